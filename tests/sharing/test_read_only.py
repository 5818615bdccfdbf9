"""Finding 4: a read-only share is read-only everywhere. The partner sees the shared opportunity, lead or referral,
but no page offers it a change, a crafted POST is refused with a message and writes nothing, and the API and the
services refuse too."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from rest_framework.test import APIClient

from leads.models import Lead
from leads.services import lead_resource_add, lead_update
from opportunities.models import Opportunity, Stage
from opportunities.services import (
    opportunity_create,
    opportunity_resource_add,
    opportunity_stage_change,
    opportunity_update,
)
from prm_portal.core.apitokens import api_token_create
from prm_portal.core.errors import NotPermitted
from prm_portal.core.models import ActivityEvent, Resource
from referrals.models import Referral
from referrals.services import referral_update
from sharing.selectors import RuleDraft
from sharing.services import sharing_apply
from tests.factories import LeadFactory, QueueFactory
from tests.referrals.factories import accepted, inbound, location_for


@pytest.fixture
def share(cast, django_capture_on_commit_callbacks):
    """Share partner B's German records of `record_type` with partner A (read-only unless told)."""

    def _share(record_type, access="read"):
        with django_capture_on_commit_callbacks(execute=True):
            sharing_apply(actor=cast.vendor_admin, record_types=[record_type],
                          rules=[RuleDraft(record_type, partner_account=cast.partner_a.pk, country="DE",
                                           access=access)])

    return _share


def _messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- opportunities ---------------------------------------------------------------------------------------------


@pytest.fixture
def german_deal(cast):
    return opportunity_create(actor=cast.partner_b_user, name="Berlin rollout", partner_account=cast.partner_b,
                              owner=cast.partner_b_user, customer_name="Berlin GmbH", country="DE")


def test_a_read_only_deal_page_offers_no_edit_no_stage_move_and_no_notes_or_files(cast, german_deal, share,
                                                                                 login_as):
    share("opportunity")
    page = login_as(cast.partner_a_user).get(reverse("opportunities:detail", args=[german_deal.pk])).content.decode()
    assert "Berlin rollout" in page and "Shared with you read-only" in page
    assert reverse("opportunities:edit", args=[german_deal.pk]) not in page
    assert reverse("opportunities:stage", args=[german_deal.pk]) not in page
    assert reverse("opportunities:resource_add", args=[german_deal.pk]) not in page
    assert "Add a comment or resource" not in page


def test_a_note_posted_to_a_read_only_deal_is_refused_with_a_message_and_nothing_is_written(
        cast, german_deal, share, login_as):
    share("opportunity")
    events = ActivityEvent.objects.count()
    response = login_as(cast.partner_a_user).post(
        reverse("opportunities:resource_add", args=[german_deal.pk]),
        {"kind": "note", "title": "Sneaky", "body": "I was here"})
    assert response.status_code == 302
    assert "You may look at this opportunity but not change it." in _messages(response)
    assert not Resource.objects.exists() and ActivityEvent.objects.count() == events


def test_a_file_posted_to_a_read_only_deal_is_refused_and_nothing_is_written(cast, german_deal, share, login_as):
    from django.core.files.uploadedfile import SimpleUploadedFile

    share("opportunity")
    login_as(cast.partner_a_user).post(
        reverse("opportunities:resource_add", args=[german_deal.pk]),
        {"kind": "file", "title": "Plan", "file": SimpleUploadedFile("plan.txt", b"secret plan")})
    assert not Resource.objects.exists()


def test_a_stage_move_or_edit_posted_to_a_read_only_deal_changes_nothing(cast, german_deal, share, login_as):
    share("opportunity")
    client = login_as(cast.partner_a_user)
    other_stage = Stage.objects.exclude(pk=german_deal.stage_id).filter(kind=Stage.Kind.OPEN).first()
    client.post(reverse("opportunities:stage", args=[german_deal.pk]),
                {"stage": other_stage.pk, "version": german_deal.version})
    client.post(reverse("opportunities:edit", args=[german_deal.pk]),
                {"name": "Renamed", "customer_name": "Berlin GmbH", "currency": "EUR", "stage": other_stage.pk})
    german_deal.refresh_from_db()
    assert german_deal.stage_id != other_stage.pk and german_deal.name == "Berlin rollout"


def test_the_deal_services_refuse_a_read_only_share(cast, german_deal, share):
    share("opportunity")
    other_stage = Stage.objects.exclude(pk=german_deal.stage_id).filter(kind=Stage.Kind.OPEN).first()
    with pytest.raises(NotPermitted):
        opportunity_resource_add(actor=cast.partner_a_user, opportunity=german_deal, kind="note", title="x", body="y")
    with pytest.raises(NotPermitted):
        opportunity_stage_change(actor=cast.partner_a_user, opportunity=german_deal, stage=other_stage)
    with pytest.raises(NotPermitted):
        opportunity_update(actor=cast.partner_a_user, opportunity=german_deal, name="x", customer_name="y",
                           amount=None, currency="EUR", close_date=None, stage=None)
    assert Opportunity.objects.get(pk=german_deal.pk).name == "Berlin rollout"


def test_an_edit_share_of_a_deal_lets_the_partner_add_notes(cast, german_deal, share, login_as):
    share("opportunity", access="edit")
    page = login_as(cast.partner_a_user).get(reverse("opportunities:detail", args=[german_deal.pk])).content.decode()
    assert reverse("opportunities:resource_add", args=[german_deal.pk]) in page
    login_as(cast.partner_a_user).post(reverse("opportunities:resource_add", args=[german_deal.pk]),
                                       {"kind": "note", "title": "Welcome", "body": "Working on it"})
    assert Resource.objects.get().title == "Welcome"


# --- leads -----------------------------------------------------------------------------------------------------


@pytest.fixture
def german_queue_lead(cast):
    """A lead waiting in a queue partner A is not a member of."""
    return LeadFactory(company="Berlin Leads GmbH", country="DE", queue=QueueFactory(accounts=[cast.partner_b]))


def test_a_read_only_shared_lead_offers_no_edit_and_no_accept(cast, german_queue_lead, share, login_as):
    share("lead")
    client = login_as(cast.partner_a_user)
    detail = client.get(reverse("leads:detail", args=[german_queue_lead.pk])).content.decode()
    assert "Berlin Leads GmbH" in detail
    assert reverse("leads:edit", args=[german_queue_lead.pk]) not in detail
    assert reverse("leads:claim", args=[german_queue_lead.pk]) not in detail
    listing = client.get(reverse("leads:list")).content.decode()
    assert "Berlin Leads GmbH" in listing
    assert reverse("leads:claim", args=[german_queue_lead.pk]) not in listing


def test_a_queue_members_list_still_offers_accept_on_its_queue_lead(cast, german_queue_lead, login_as):
    listing = login_as(cast.partner_b_user).get(reverse("leads:list")).content.decode()
    assert reverse("leads:claim", args=[german_queue_lead.pk]) in listing


def test_an_edit_or_accept_posted_to_a_read_only_shared_lead_changes_nothing(cast, german_queue_lead, share,
                                                                            login_as):
    share("lead")
    client = login_as(cast.partner_a_user)
    response = client.post(reverse("leads:edit", args=[german_queue_lead.pk]),
                           {"company": "Renamed", "last_name": "X", "country": "DE", "status": "working"})
    assert "You cannot edit this lead." in _messages(response)
    client.post(reverse("leads:claim", args=[german_queue_lead.pk]))
    german_queue_lead.refresh_from_db()
    assert german_queue_lead.company == "Berlin Leads GmbH" and german_queue_lead.owner_id is None


def test_the_lead_api_and_services_refuse_a_read_only_share(cast, share):
    lead = LeadFactory(company="Owned Berlin Lead", country="DE", owner=cast.partner_b_user,
                       partner_account=cast.partner_b)
    share("lead")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_create(actor=cast.partner_a_user, name='Tests')[1]}")
    assert api.get(reverse("leads_api:lead-detail", kwargs={"pk": lead.pk})).status_code == 200
    response = api.patch(reverse("leads_api:lead-detail", kwargs={"pk": lead.pk}), {"company": "Renamed"},
                         format="json")
    assert response.status_code == 403
    with pytest.raises(NotPermitted):
        lead_update(actor=cast.partner_a_user, lead=lead, company="Renamed")
    with pytest.raises(NotPermitted):
        lead_resource_add(actor=cast.partner_a_user, lead=lead, kind="note", title="x", body="y")
    assert Lead.objects.get(pk=lead.pk).company == "Owned Berlin Lead" and not Resource.objects.exists()


# --- referrals -------------------------------------------------------------------------------------------------


@pytest.fixture
def german_accepted_referral(cast):
    referral = inbound(actor=cast.other_channel_manager, partner=cast.partner_b,
                       location=location_for(cast.partner_b, "Berlin", "Berlin", "DE"),
                       customer_name="Berlin GmbH", customer_country="DE")
    return accepted(actor=cast.partner_b_user, referral=referral)


def test_a_read_only_shared_referral_page_offers_no_action(cast, german_accepted_referral, share, login_as):
    share("referral")
    page = login_as(cast.partner_a_user).get(
        reverse("referrals:detail", args=[german_accepted_referral.pk])).content.decode()
    assert "ERP migration" in page and "Shared with you read-only" in page
    for name in ("stage", "won", "lost", "edit", "team_add"):
        assert reverse(f"referrals:{name}", args=[german_accepted_referral.pk]) not in page


def test_referral_notes_and_stages_posted_by_a_shared_partner_are_refused_and_nothing_is_written(
        cast, german_accepted_referral, share, login_as):
    share("referral", access="edit")
    client = login_as(cast.partner_a_user)
    pk = german_accepted_referral.pk
    response = client.post(reverse("referrals:edit", args=[pk]), {
        "edit-name": "Taken over", "edit-estimated_value": "1", "edit-estimated_close_date": "2030-01-01",
        "edit-notes": "Our notes now", "edit-crm_id": "", "edit-campaign_id": ""})
    assert "Only the partner's own people can work on this referral." in _messages(response)
    client.post(reverse("referrals:stage", args=[pk]), {"stage": "data_collection"})
    client.post(reverse("referrals:lost", args=[pk]), {"lost-reason": "Gone"})
    referral = Referral.objects.get(pk=pk)
    assert referral.notes == "Wants a plan by spring." and referral.name == "ERP migration"
    assert referral.status == Referral.Status.ACCEPTED and referral.sales_stage == "accepted"
    with pytest.raises(NotPermitted):
        referral_update(actor=cast.partner_a_user, referral=referral, notes="Ours")
