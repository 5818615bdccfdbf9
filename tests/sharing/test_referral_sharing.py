"""Finding 7: a sharing rule of type referral really shares referrals — in the Referrals tabs, on the detail page
(read-only) and through the API — and a referral that arrives after Done is shared at once."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from prm_portal.core.apitokens import api_token_create
from prm_portal.core.errors import NotPermitted
from referrals.models import Referral
from referrals.selectors import referral_list_for_tab, referral_list_visible_to
from referrals.services import referral_accept
from sharing.models import ReferralGroupObjectPermission
from sharing.selectors import RuleDraft, shared_pks_q
from sharing.services import sharing_apply
from tests.factories import PartnerUserFactory
from tests.referrals.factories import accepted, inbound, location_for, outbound


@pytest.fixture
def share_german_referrals_with_a(cast, django_capture_on_commit_callbacks):
    """Partner B's referrals of German customers are shared with partner A (the grants are written after commit)."""

    def _share(access="read", record_types=("referral",)):
        with django_capture_on_commit_callbacks(execute=True):
            sharing_apply(actor=cast.vendor_admin, record_types=list(record_types),
                          rules=[RuleDraft("referral", partner_account=cast.partner_a.pk, country="DE",
                                           access=access)])

    return _share


@pytest.fixture
def german_referral(cast):
    """Partner B's received sales-qualified referral of a German customer."""
    return inbound(actor=cast.other_channel_manager, partner=cast.partner_b,
                   location=location_for(cast.partner_b, "Berlin", "Berlin", "DE"),
                   customer_name="Berlin GmbH", customer_country="DE")


@pytest.fixture
def czech_referral(cast):
    return inbound(actor=cast.other_channel_manager, partner=cast.partner_b,
                   location=location_for(cast.partner_b, "Berlin", "Berlin", "DE"),
                   customer_name="Brno s.r.o.", customer_country="CZ")


def _api(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_create(actor=user, name='Tests')[1]}")
    return client


def test_a_referral_rule_writes_grants_and_shares_only_the_matching_referrals(
        cast, german_referral, czech_referral, share_german_referrals_with_a):
    share_german_referrals_with_a()
    assert list(ReferralGroupObjectPermission.objects.values_list("content_object_id", flat=True)) == [
        german_referral.pk]
    shared = Referral.objects.filter(shared_pks_q(user=cast.partner_a_user, model=Referral))
    assert list(shared) == [german_referral]
    assert list(referral_list_visible_to(user=cast.partner_a_user)) == [german_referral]
    assert not Referral.objects.filter(shared_pks_q(user=cast.partner_a_user, model=Referral, action="change"))


def test_the_partner_sees_the_shared_referral_in_its_referrals_tab_and_detail_page_read_only(
        cast, german_referral, czech_referral, share_german_referrals_with_a, login_as):
    share_german_referrals_with_a()
    client = login_as(cast.partner_a_user)
    tab = client.get(reverse("referrals:list"), {"tab": "qualified"}).content.decode()
    assert "Berlin GmbH" in tab and "Brno s.r.o." not in tab
    detail = client.get(reverse("referrals:detail", args=[german_referral.pk]))
    page = detail.content.decode()
    assert detail.status_code == 200 and "Berlin GmbH" in page
    assert "Shared with you read-only" in page
    assert reverse("referrals:accept", args=[german_referral.pk]) not in page
    assert reverse("referrals:decline", args=[german_referral.pk]) not in page
    assert client.get(reverse("referrals:detail", args=[czech_referral.pk])).status_code == 404


def test_the_referrals_own_partner_still_works_it_without_the_read_only_badge(
        cast, german_referral, share_german_referrals_with_a, login_as):
    share_german_referrals_with_a()
    page = login_as(cast.partner_b_user).get(reverse("referrals:detail", args=[german_referral.pk])).content.decode()
    assert "Shared with you read-only" not in page
    assert reverse("referrals:accept", args=[german_referral.pk]) in page


def test_the_api_lists_and_reads_the_shared_referral(cast, german_referral, czech_referral,
                                                     share_german_referrals_with_a):
    share_german_referrals_with_a()
    api = _api(cast.partner_a_user)
    listed = api.get(reverse("referrals_api:referral-list")).json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [row["id"] for row in rows] == [german_referral.pk]
    detail = api.get(reverse("referrals_api:referral-detail", kwargs={"pk": german_referral.pk}))
    assert detail.status_code == 200 and detail.json()["customer_name"] == "Berlin GmbH"
    assert api.get(reverse("referrals_api:referral-detail", kwargs={"pk": czech_referral.pk})).status_code == 404


def test_an_edit_share_of_a_referral_still_never_lets_another_partner_act_on_it(
        cast, german_referral, share_german_referrals_with_a):
    share_german_referrals_with_a(access="edit")
    assert Referral.objects.filter(shared_pks_q(user=cast.partner_a_user, model=Referral, action="change")).exists()
    with pytest.raises(NotPermitted):
        accepted(actor=cast.partner_a_user, referral=german_referral)
    response = _api(cast.partner_a_user).post(
        reverse("referrals_api:referral-accept", kwargs={"pk": german_referral.pk}),
        {"name": "Taken", "estimated_value": "1", "estimated_close_date": "2030-01-01", "notes": "x"}, format="json")
    assert response.status_code == 403
    german_referral.refresh_from_db()
    assert german_referral.status == Referral.Status.RECEIVED and german_referral.name == ""


def test_a_referral_sent_after_done_is_shared_at_once(cast, share_german_referrals_with_a):
    share_german_referrals_with_a()
    later = inbound(actor=cast.other_channel_manager, partner=cast.partner_b,
                    location=location_for(cast.partner_b, "Berlin", "Berlin", "DE"),
                    customer_name="München AG", customer_country="DE")
    assert later in referral_list_for_tab(user=cast.partner_a_user, tab="qualified")


def test_an_outbound_deal_created_after_done_is_shared_at_once(cast, share_german_referrals_with_a):
    share_german_referrals_with_a()
    deal = outbound(actor=cast.partner_b_user, location=location_for(cast.partner_b, "Berlin", "Berlin", "DE"),
                    customer_country="DE",
                    team_members=[{"name": "Bea", "phone": "+49 1", "email": "bea@beta.example"}])
    assert deal in referral_list_for_tab(user=cast.partner_a_user, tab="outbound")


def test_referrals_are_not_shared_while_the_record_type_is_off(cast, german_referral, share_german_referrals_with_a):
    share_german_referrals_with_a(record_types=())
    assert not ReferralGroupObjectPermission.objects.exists()
    assert german_referral not in referral_list_visible_to(user=cast.partner_a_user)


def test_a_location_scoped_user_of_the_grantee_sees_the_shared_referral(cast, german_referral,
                                                                        share_german_referrals_with_a):
    scoped = PartnerUserFactory(partner_account=cast.partner_a, email="scoped@alpha.example",
                                location=location_for(cast.partner_a))
    share_german_referrals_with_a()
    assert german_referral in referral_list_visible_to(user=scoped)


def test_the_wizard_done_with_a_referral_rule_shares_the_referral(client, cast, german_referral,
                                                                  django_capture_on_commit_callbacks):
    client.force_login(cast.vendor_admin)
    client.post(reverse("sharing:start"))
    step = lambda n: reverse("sharing:step", kwargs={"step": n})  # noqa: E731
    client.post(step(1), {"record_types": ["referral"]})
    client.post(step(2), {"action": "add", "record_type": "referral", "grantee": f"account:{cast.partner_a.pk}",
                          "country": "de", "industry": "", "access": "read"})
    client.post(step(2), {"action": "next"})
    assert '<td class="count">1</td>' in client.get(step(3)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("sharing:done"))
    assert german_referral in referral_list_visible_to(user=cast.partner_a_user)
    with pytest.raises(NotPermitted):
        referral_accept(actor=cast.partner_a_user, referral=german_referral, name="x", estimated_value="1",
                        estimated_close_date="2030-01-01", notes="x")
