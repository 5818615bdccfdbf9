"""The one access policy (accounts/access.py): findings 5, 6 and 8 of the trust-core issue.

6. "Which partners does a channel manager manage" had two definitions: a channel manager granted (not owning)
   partner A saw the account page but none of its records, and some services never checked the actor.
5. API tokens skipped the portal's gates (forced password change, PRM off).
8. Recent Items kept a lead's label and link after the lead was reassigned away.
"""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import access
from leads.models import Lead
from leads.selectors import lead_list_visible_to
from leads.services import lead_reassign, lead_update
from opportunities.selectors import opportunity_list_visible_to
from opportunities.services import opportunity_update
from prm_portal.core.apitokens import api_token_create
from prm_portal.core.errors import NotPermitted
from prm_portal.core.selectors import recent_item_list_for
from prm_portal.core.services import recent_item_touch
from referrals.selectors import deal_registration_list_to_review, referral_list_visible_to
from reports.dashboards import dashboard_build
from tests.factories import OpportunityFactory
from tests.referrals.factories import inbound

pytestmark = pytest.mark.django_db


@pytest.fixture
def records_of_a(cast):
    lead = Lead.objects.create(company="Alpha Customer", last_name="Novak", owner=cast.partner_a_user,
                               partner_account=cast.partner_a)
    opportunity = OpportunityFactory(partner_account=cast.partner_a, owner=cast.partner_a_user)
    referral = inbound(actor=cast.vendor_admin, partner=cast.partner_a)
    return lead, opportunity, referral


def test_a_granted_channel_manager_manages_the_partner_like_its_owner(cast, granted_channel_manager, records_of_a):
    lead, opportunity, referral = records_of_a
    assert access.manages_partner(granted_channel_manager, cast.partner_a.pk)
    assert lead_list_visible_to(user=granted_channel_manager).filter(pk=lead.pk).exists()
    assert opportunity_list_visible_to(user=granted_channel_manager).filter(pk=opportunity.pk).exists()
    assert referral_list_visible_to(user=granted_channel_manager).filter(pk=referral.pk).exists()
    assert dashboard_build(user=granted_channel_manager, use_cache=False).open_count >= 1


def test_a_granted_channel_manager_opens_the_partners_records_in_the_portal(
        cast, granted_channel_manager, records_of_a, client):
    lead, opportunity, referral = records_of_a
    client.force_login(granted_channel_manager)
    assert client.get(reverse("leads:detail", args=[lead.pk])).status_code == 200
    assert client.get(reverse("opportunities:detail", args=[opportunity.pk])).status_code == 200
    assert client.get(reverse("referrals:detail", args=[referral.pk])).status_code == 200


def test_a_manager_of_other_partners_sees_none_of_partner_as_records(cast, records_of_a):
    lead, opportunity, referral = records_of_a
    outsider = cast.other_channel_manager
    assert not lead_list_visible_to(user=outsider).filter(pk=lead.pk).exists()
    assert not opportunity_list_visible_to(user=outsider).filter(pk=opportunity.pk).exists()
    assert not referral_list_visible_to(user=outsider).filter(pk=referral.pk).exists()
    assert not deal_registration_list_to_review(user=outsider).exists()


def test_lead_edit_by_someone_who_may_not_change_it_is_refused_by_the_service(cast, records_of_a):
    lead, _opportunity, _referral = records_of_a
    for outsider in (cast.partner_b_user, cast.other_channel_manager):
        with pytest.raises(NotPermitted):
            lead_update(actor=outsider, lead=lead, company="Hijacked")
    lead.refresh_from_db()
    assert lead.company == "Alpha Customer"


def test_reassigning_another_managers_lead_is_refused(cast, records_of_a):
    lead, _opportunity, _referral = records_of_a
    with pytest.raises(NotPermitted):
        lead_reassign(actor=cast.other_channel_manager, leads=[lead], owner=cast.partner_b_user)
    lead.refresh_from_db()
    assert lead.owner == cast.partner_a_user


def test_opportunity_update_by_another_partner_is_refused_by_the_service(cast, records_of_a):
    _lead, opportunity, _referral = records_of_a
    with pytest.raises(NotPermitted):
        opportunity_update(actor=cast.partner_b_user, opportunity=opportunity, name="Hijacked",
                           customer_name="X", amount=1, currency="EUR", close_date=None, stage=None)
    opportunity.refresh_from_db()
    assert opportunity.name != "Hijacked"


# --- finding 5: the API follows the pages' gates ------------------------------------------------------------------


def _token_client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_create(actor=user, name='Tests')[1]}")
    return client


def test_a_token_does_not_skip_the_forced_password_change(cast, records_of_a):
    lead, _opportunity, _referral = records_of_a
    cast.partner_a_user.must_change_password = True
    cast.partner_a_user.save(update_fields=["must_change_password"])
    client = _token_client(cast.partner_a_user)
    assert client.get("/api/leads/").status_code == 403
    response = client.patch(f"/api/leads/{lead.pk}/", {"company": "Changed"}, format="json")
    assert response.status_code == 403
    lead.refresh_from_db()
    assert lead.company == "Alpha Customer"
    assert client.get("/api/referrals/").status_code == 403


def test_a_partner_token_waits_for_prm_like_the_pages(cast, records_of_a, monkeypatch):
    lead, _opportunity, _referral = records_of_a
    # A portal where PRM is not enabled yet (the database refuses to switch an enabled one off).
    monkeypatch.setattr(access, "prm_is_enabled", lambda: False)
    client = _token_client(cast.partner_a_user)
    assert client.get("/api/leads/").status_code == 503
    assert client.patch(f"/api/leads/{lead.pk}/", {"company": "Changed"}, format="json").status_code == 503
    lead.refresh_from_db()
    assert lead.company == "Alpha Customer"
    assert client.get("/api/referrals/").status_code == 503
    # vendor staff's tokens work while PRM is off, as their pages do
    assert _token_client(cast.vendor_admin).get("/api/leads/").status_code == 200


# --- finding 8: nothing outlives access ----------------------------------------------------------------------------


def test_recent_items_drop_a_lead_reassigned_away(cast, records_of_a, client):
    lead, _opportunity, _referral = records_of_a
    recent_item_touch(user=cast.partner_a_user, target=lead, label=lead.company,
                      url=reverse("leads:detail", args=[lead.pk]))
    assert [i.object_id for i in recent_item_list_for(user=cast.partner_a_user)] == [lead.pk]
    Lead.objects.filter(pk=lead.pk).update(owner=cast.partner_b_user, partner_account=cast.partner_b)
    assert recent_item_list_for(user=cast.partner_a_user) == []
    client.force_login(cast.partner_a_user)
    page = client.get(reverse("reports:home")).content.decode()
    assert "Alpha Customer" not in page
    assert reverse("leads:detail", args=[lead.pk]) not in page


def test_opening_a_deal_for_a_partner_one_does_not_belong_to_or_manage_is_refused(cast):
    from opportunities.models import Opportunity
    from opportunities.services import opportunity_create

    for outsider in (cast.partner_b_user, cast.other_channel_manager):
        with pytest.raises(NotPermitted):
            opportunity_create(actor=outsider, name="Planted deal", partner_account=cast.partner_a,
                               owner=cast.partner_a_user, customer_name="X")
    assert not Opportunity.objects.filter(name="Planted deal").exists()
    assert opportunity_create(actor=cast.granted_channel_manager, name="Granted deal", partner_account=cast.partner_a,
                              owner=cast.partner_a_user, customer_name="X").pk
