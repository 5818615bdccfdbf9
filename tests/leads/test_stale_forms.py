"""Issue finding 11 for leads: edit, convert and change-owner forms, the claim, and the API's ETag / If-Match."""

import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from leads.models import Lead
from leads.services import lead_claim, lead_convert, lead_reassign, lead_update
from opportunities.models import Opportunity
from prm_portal.core.versioning import StaleVersion
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(partner_a_user):
    return LeadFactory(company="Kovo Hradec", owner=partner_a_user, partner_account=partner_a_user.partner_account,
                       phone="111")


def _version_in(html):
    found = re.search(r'<input type="hidden" name="version" value="(\d*)"', html)
    assert found, "the form carries no version"
    return found.group(1)


def _edit(lead, **changes):
    data = {"status": lead.status, "company": lead.company, "last_name": lead.last_name, "email": lead.email,
            "country": lead.country, "phone": lead.phone}
    data.update(changes)
    return data


@pytest.fixture
def api():
    return APIClient()


# --- services ---------------------------------------------------------------------------------------------------


def test_every_lead_write_adds_one_to_the_version(lead, partner_a_user, channel_manager, queue):
    lead_update(actor=partner_a_user, lead=lead, phone="222")
    assert Lead.objects.get(pk=lead.pk).version == 2
    lead_reassign(actor=channel_manager, leads=[lead], queue=queue)
    assert Lead.objects.get(pk=lead.pk).version == 3


def test_a_claim_adds_one_to_the_version_in_its_conditional_update(queue_lead, partner_a_user):
    claimed = lead_claim(actor=partner_a_user, lead_id=queue_lead.pk)
    assert claimed.version == 2
    assert Lead.objects.get(pk=queue_lead.pk).version == 2


def test_a_stale_update_is_refused_with_what_changed(lead, partner_a_user, channel_manager):
    lead_update(actor=channel_manager, lead=lead, status="working")
    with pytest.raises(StaleVersion) as refused:
        lead_update(actor=partner_a_user, lead=lead, phone="999", expected_version=1)
    assert refused.value.changes == [("Status", "New", "Working")]
    assert Lead.objects.get(pk=lead.pk).phone == "111"


def test_a_stale_convert_is_refused_and_nothing_is_created(partner_a_user, channel_manager):
    lead = LeadFactory(owner=partner_a_user, partner_account=partner_a_user.partner_account, status="qualified")
    lead_update(actor=channel_manager, lead=lead, company="Kovo Hradec a.s.")
    with pytest.raises(StaleVersion):
        lead_convert(actor=partner_a_user, lead=lead, opportunity_name="Deal", expected_version=1)
    assert Lead.objects.get(pk=lead.pk).status == Lead.Status.QUALIFIED
    assert not Opportunity.objects.filter(source_lead=lead).exists()


# --- pages ------------------------------------------------------------------------------------------------------


def test_a_stale_edit_form_is_refused_keeps_the_input_and_changes_nothing(lead, partner_a_user, channel_manager,
                                                                          login_as):
    client = login_as(partner_a_user)
    read_at = _version_in(client.get(reverse("leads:edit", args=[lead.pk])).content.decode())
    lead_update(actor=channel_manager, lead=lead, status="working")

    response = client.post(reverse("leads:edit", args=[lead.pk]), _edit(lead, phone="999", version=read_at))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Carl Manager changed this after you opened it: Status: New → Working." in page
    assert 'value="999"' in page
    assert _version_in(page) == "2"
    lead.refresh_from_db()
    assert (lead.status, lead.phone) == ("working", "111")


def test_saving_again_after_the_refusal_goes_through(lead, partner_a_user, channel_manager, login_as):
    client = login_as(partner_a_user)
    lead_update(actor=channel_manager, lead=lead, status="working")
    refused = client.post(reverse("leads:edit", args=[lead.pk]), _edit(lead, phone="999", version=1))
    again = client.post(reverse("leads:edit", args=[lead.pk]),
                        _edit(lead, status="working", phone="999", version=_version_in(refused.content.decode())))
    assert again.status_code == 302
    assert Lead.objects.get(pk=lead.pk).phone == "999"


def test_a_stale_convert_form_is_refused_where_the_user_is(partner_a_user, channel_manager, login_as):
    lead = LeadFactory(owner=partner_a_user, partner_account=partner_a_user.partner_account, status="qualified")
    client = login_as(partner_a_user)
    read_at = _version_in(client.get(reverse("leads:convert", args=[lead.pk])).content.decode())
    lead_update(actor=channel_manager, lead=lead, phone="555")
    response = client.post(reverse("leads:convert", args=[lead.pk]),
                           {"opportunity_name": "Big deal", "version": read_at})
    assert response.status_code == 200
    assert "Phone:" in response.content.decode() and 'value="Big deal"' in response.content.decode()
    assert Lead.objects.get(pk=lead.pk).status == Lead.Status.QUALIFIED


def test_a_stale_change_owner_form_on_the_lead_page_is_refused(lead, channel_manager, partner_a_user, queue,
                                                               login_as):
    client = login_as(channel_manager)
    page = client.get(reverse("leads:detail", args=[lead.pk])).content.decode()
    read_at = _version_in(page)
    lead_update(actor=partner_a_user, lead=lead, status="working")
    response = client.post(reverse("leads:reassign"), {"lead": [lead.pk], "queue": queue.pk, "version": read_at,
                                                       "next": reverse("leads:detail", args=[lead.pk])}, follow=True)
    assert "Status: New → Working" in response.content.decode()
    lead.refresh_from_db()
    assert lead.owner == partner_a_user and lead.queue is None


def test_a_form_posted_without_a_version_is_not_checked(lead, partner_a_user, channel_manager, login_as):
    """A page rendered before versions existed still saves: the check is for forms that say what they read."""
    lead_update(actor=channel_manager, lead=lead, status="working")
    response = login_as(partner_a_user).post(reverse("leads:edit", args=[lead.pk]),
                                             _edit(lead, status="working", phone="999"))
    assert response.status_code == 302


# --- API: ETag and If-Match -----------------------------------------------------------------------------------------


def test_the_api_detail_sends_the_version_as_etag(lead, partner_a_user, api):
    api.force_authenticate(partner_a_user)
    response = api.get(reverse("leads_api:lead-detail", args=[lead.pk]))
    assert response["ETag"] == '"1"'
    assert response.json()["version"] == 1


def test_an_api_update_with_the_current_if_match_is_saved_with_the_new_etag(lead, partner_a_user, api):
    api.force_authenticate(partner_a_user)
    response = api.patch(reverse("leads_api:lead-detail", args=[lead.pk]), {"phone": "222"}, format="json",
                         HTTP_IF_MATCH='"1"')
    assert response.status_code == 200
    assert response["ETag"] == '"2"'
    assert Lead.objects.get(pk=lead.pk).phone == "222"


def test_an_api_update_with_a_stale_if_match_is_412_with_what_changed(lead, partner_a_user, channel_manager, api):
    lead_update(actor=channel_manager, lead=lead, status="working")
    api.force_authenticate(partner_a_user)
    response = api.patch(reverse("leads_api:lead-detail", args=[lead.pk]), {"phone": "222"}, format="json",
                         HTTP_IF_MATCH='"1"')
    assert response.status_code == 412
    assert response["ETag"] == '"2"'
    body = response.json()
    assert body["code"] == "stale"
    assert body["changes"] == [{"field": "Status", "old": "New", "new": "Working"}]
    assert Lead.objects.get(pk=lead.pk).phone == "111"


def test_an_api_accept_with_a_stale_if_match_is_412_and_the_lead_stays_in_the_queue(queue_lead, partner_a_user,
                                                                                    channel_manager, api):
    lead_update(actor=channel_manager, lead=queue_lead, phone="777")
    api.force_authenticate(partner_a_user)
    response = api.post(reverse("leads_api:lead-accept", args=[queue_lead.pk]), HTTP_IF_MATCH='"1"')
    assert response.status_code == 412
    assert Lead.objects.get(pk=queue_lead.pk).owner is None
    response = api.post(reverse("leads_api:lead-accept", args=[queue_lead.pk]), HTTP_IF_MATCH='"2"')
    assert response.status_code == 200 and response["ETag"] == '"3"'
