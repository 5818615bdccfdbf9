"""A lead's first response (the dashboards' response time, issue 12): the owner's first status change after the claim,
kept by the services in the same write, cleared by each claim and recall, and rebuilt from the timeline as the
migration does."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leads.models import Lead
from leads.services import lead_claim, lead_first_responses_rebuild, lead_update
from tests.factories import LeadFactory, QueueFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def claimed(cast):
    queue = QueueFactory(accounts=[cast.partner_a])
    lead = LeadFactory(queue=queue)
    lead_claim(actor=cast.partner_a_user, lead_id=lead.pk)
    return Lead.objects.get(pk=lead.pk)


def test_a_claim_starts_with_no_response_and_the_first_status_change_is_it(cast, claimed):
    assert claimed.claimed_at is not None and claimed.first_response_at is None
    lead_update(actor=cast.partner_a_user, lead=claimed, description="Called, no answer")  # not a status change
    assert Lead.objects.get(pk=claimed.pk).first_response_at is None
    lead_update(actor=cast.partner_a_user, lead=claimed, status=Lead.Status.WORKING)
    first = Lead.objects.get(pk=claimed.pk).first_response_at
    assert first is not None and first >= claimed.claimed_at
    lead_update(actor=cast.partner_a_user, lead=claimed, status=Lead.Status.QUALIFIED)
    assert Lead.objects.get(pk=claimed.pk).first_response_at == first


def test_the_rebuild_reads_the_same_first_response_from_the_timeline(cast, claimed):
    lead_update(actor=cast.partner_a_user, lead=claimed, status=Lead.Status.WORKING)
    lead_update(actor=cast.partner_a_user, lead=claimed, status=Lead.Status.QUALIFIED)
    kept = Lead.objects.get(pk=claimed.pk).first_response_at
    Lead.objects.filter(pk=claimed.pk).update(first_response_at=None)
    unanswered = LeadFactory(owner=cast.partner_a_user, partner_account=cast.partner_a)
    with CaptureQueriesContext(connection) as ctx:
        lead_first_responses_rebuild()
    assert len(ctx.captured_queries) <= 2  # one UPDATE whatever the number of leads
    rebuilt = Lead.objects.get(pk=claimed.pk).first_response_at
    assert abs((rebuilt - kept).total_seconds()) < 1  # the event is written in the same transaction, a moment later
    assert Lead.objects.get(pk=unanswered.pk).first_response_at is None


def test_a_new_claim_clears_the_previous_owners_response(cast, claimed):
    lead_update(actor=cast.partner_a_user, lead=claimed, status=Lead.Status.WORKING)
    queue = QueueFactory(accounts=[cast.partner_a])
    Lead.objects.filter(pk=claimed.pk).update(owner=None, queue=queue, holds_claim=False)  # back in a queue
    lead_claim(actor=cast.partner_a_admin, lead_id=claimed.pk)
    assert Lead.objects.get(pk=claimed.pk).first_response_at is None


@pytest.mark.django_db(transaction=True)
def test_a_status_change_outside_any_transaction_is_its_own_transaction(cast):
    """As a page or the API calls it: the service opens its transaction (it locks the lead)."""
    queue = QueueFactory(accounts=[cast.partner_a])
    lead = LeadFactory(queue=queue)
    lead_claim(actor=cast.partner_a_user, lead_id=lead.pk)
    lead_update(actor=cast.partner_a_user, lead=Lead.objects.get(pk=lead.pk), status=Lead.Status.WORKING)
    assert Lead.objects.get(pk=lead.pk).first_response_at is not None
