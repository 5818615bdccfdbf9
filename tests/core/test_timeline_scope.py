"""Finding 8b: a lead's new partner saw the previous partner's reps and internal events in its timeline. A partner
sees only its own events and the vendor-wide ones that are not internal; vendor staff see all (SPEC C10)."""

import pytest
from django.urls import reverse

from leads.events import LeadEvent
from leads.services import lead_claim, lead_create, lead_reassign
from opportunities.selectors import opportunity_timeline
from opportunities.services import opportunity_create
from prm_portal.core.selectors import activity_list_for
from prm_portal.core.services import activity_record
from referrals.events import ReferralEvent
from tests.factories import QueueFactory
from tests.referrals.factories import inbound


@pytest.fixture
def lead_moved_from_a_to_b(cast, django_capture_on_commit_callbacks):
    """Claimed from a shared queue by A's rep, then given by the vendor admin to B's rep, with a notification."""
    QueueFactory(name="EMEA Inbound", accounts=[cast.partner_a, cast.partner_b], is_default=True)
    lead = lead_create(company="Kovo Hradec", last_name="Novák")  # routed to the default queue: vendor-wide events
    lead_claim(actor=cast.partner_a_user, lead_id=lead.pk)
    with django_capture_on_commit_callbacks(execute=True):
        lead_reassign(actor=cast.vendor_admin, leads=[lead], owner=cast.partner_b_user, notify=True)
    lead.refresh_from_db()
    assert lead.owner == cast.partner_b_user
    return lead


def _timeline(client, lead):
    response = client.get(reverse("leads:detail", args=[lead.pk]))
    assert response.status_code == 200
    return response.content.decode().split('id="timeline"')[1].split("</ol>")[0]


def test_new_partner_sees_neither_the_previous_partners_rep_nor_its_events(cast, lead_moved_from_a_to_b,
                                                                            login_as):
    timeline = _timeline(login_as(cast.partner_b_user), lead_moved_from_a_to_b)
    assert "Adam Rep" not in timeline and "rep@alpha.example" not in timeline
    assert "accepted the lead" not in timeline  # A's claim is A's event
    assert "emailed" not in timeline  # the notification is internal
    assert "Vera Admin reassigned the lead from another partner to Bob Outsider" in timeline


def test_vendor_staff_see_the_whole_history_by_name(cast, lead_moved_from_a_to_b, login_as):
    timeline = _timeline(login_as(cast.vendor_admin), lead_moved_from_a_to_b)
    assert "Adam Rep accepted the lead from EMEA Inbound" in timeline
    assert "Vera Admin reassigned the lead from Adam Rep to Bob Outsider" in timeline
    assert "Vera Admin emailed rep@beta.example about the new assignment" in timeline


def test_selector_gives_a_partner_its_own_and_vendor_wide_events_only(cast, lead_moved_from_a_to_b):
    lead = lead_moved_from_a_to_b
    for_b = [e.verb for e in activity_list_for(target=lead, viewer=cast.partner_b_user)]
    assert LeadEvent.REASSIGNED in for_b and LeadEvent.CREATED in for_b and LeadEvent.ROUTED_TO_DEFAULT_QUEUE in for_b
    assert LeadEvent.CLAIMED not in for_b and LeadEvent.NOTIFIED not in for_b
    everything = [e.verb for e in activity_list_for(target=lead, viewer=cast.vendor_admin)]
    assert LeadEvent.CLAIMED in everything and LeadEvent.NOTIFIED in everything
    assert activity_list_for(target=lead).count() == len(everything)


def test_deal_timeline_hides_the_source_leads_events_of_the_previous_partner(cast, lead_moved_from_a_to_b):
    lead = lead_moved_from_a_to_b
    opportunity = opportunity_create(actor=cast.partner_b_user, name="Kovo ERP", partner_account=cast.partner_b,
                                     owner=cast.partner_b_user, customer_name="Kovo Hradec", source_lead=lead)
    for_b = {(e.source, e.verb) for e in opportunity_timeline(opportunity=opportunity, viewer=cast.partner_b_user)}
    assert ("lead", LeadEvent.CLAIMED.value) not in for_b and ("lead", LeadEvent.REASSIGNED.value) in for_b
    for_staff = {(e.source, e.verb) for e in opportunity_timeline(opportunity=opportunity, viewer=cast.vendor_admin)}
    assert ("lead", LeadEvent.CLAIMED.value) in for_staff


def test_referral_page_hides_internal_events_from_the_partner(cast, login_as):
    referral = inbound(actor=cast.channel_manager, partner=cast.partner_a)
    activity_record(target=referral, event=ReferralEvent.OFFERED_TO_NEXT, actor=cast.channel_manager,
                    partner_account=cast.partner_a, referral=referral.pk)
    url = reverse("referrals:detail", args=[referral.pk])
    partner_page = login_as(cast.partner_a_user).get(url).content.decode()
    assert "Carl Manager sent the referral to" in partner_page
    assert "offered the inquiry" not in partner_page
    staff_page = login_as(cast.channel_manager).get(url).content.decode()
    assert "Carl Manager offered the inquiry to the next matching partner" in staff_page
