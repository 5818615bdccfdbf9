"""The hot paths' query counts (issue 12) stay where they are: constant counts, not timings.

Counted as Django counts them in a test: BEGIN/COMMIT of a service's transaction show up as SAVEPOINT/RELEASE
(the test runs inside a transaction), so the figures here are the ones `make bench-claims` and `make bench-inbox`
print. Each request is preceded by one warm-up page: the session is then read from the cache and the gates know
PRM is on, as in a portal that has been running for more than a second.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from leads.models import Lead, UserClaimQuota
from prm_portal.core.models import ActivityEvent, RecentItem
from tests.factories import LeadFactory, OpportunityFactory, QueueFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue(partner_a):
    return QueueFactory(accounts=[partner_a])


@pytest.fixture
def rep(partner_a_user, login_as):
    client = login_as(partner_a_user)
    assert client.get(reverse("leads:list")).status_code == 200  # warm-up: session cached, PRM seen on
    return client


def _accept(client, lead):
    with CaptureQueriesContext(connection) as ctx:
        response = client.post(reverse("leads:claim", args=[lead.pk]))
    assert response.status_code == 302
    return [q["sql"] for q in ctx.captured_queries]


def test_accept_takes_a_lead_in_at_most_six_queries(rep, queue, partner_a_user):
    first, second, third = LeadFactory.create_batch(3, queue=queue)
    queries = _accept(rep, first)
    # A rep's first claim ever: the claim statement runs twice (it makes the rep's quota rows), and this process
    # reads the queue's service levels once.
    assert len(queries) <= 8, queries
    for lead in (second, third):
        queries = _accept(rep, lead)
        # user, BEGIN, the claim (quotas, lead, event: one statement), the webhook listener, COMMIT, recent item
        assert len(queries) <= 6, queries
    assert set(Lead.objects.filter(owner=partner_a_user).values_list("pk", flat=True)) == {
        first.pk, second.pk, third.pk}
    assert UserClaimQuota.objects.get(user=partner_a_user).open_count == 3
    assert ActivityEvent.objects.filter(object_id__in=[first.pk, second.pk, third.pk], verb="lead.claimed").count() == 3
    assert RecentItem.objects.filter(user=partner_a_user).count() == 3


def test_accept_costs_no_session_or_portal_settings_query(rep, queue):
    _accept(rep, LeadFactory(queue=queue))
    queries = _accept(rep, LeadFactory(queue=queue))
    assert not [q for q in queries if "django_session" in q or "accounts_portalsettings" in q]


def test_accept_of_a_lead_someone_else_took_is_refused_in_at_most_five_queries(rep, queue, cast):
    from leads.services import lead_claim

    lead = LeadFactory(queue=queue)
    colleague_lead = LeadFactory(queue=queue)
    _accept(rep, colleague_lead)  # the rep's quota rows exist from here on
    from tests.factories import PartnerUserFactory

    lead_claim(actor=PartnerUserFactory(partner_account=cast.partner_a), lead_id=lead.pk)
    queries = _accept(rep, lead)
    assert len(queries) <= 5, queries
    assert Lead.objects.get(pk=lead.pk).owner_id != cast.partner_a_user.pk


def test_leads_tab_page_costs_the_same_queries_with_ten_times_the_rows(rep, queue, partner_a_user):
    LeadFactory.create_batch(3, queue=queue)
    LeadFactory.create_batch(2, owner=partner_a_user, partner_account=partner_a_user.partner_account)
    with CaptureQueriesContext(connection) as few:
        rep.get(reverse("leads:list"))
    LeadFactory.create_batch(30, queue=queue)
    LeadFactory.create_batch(20, owner=partner_a_user, partner_account=partner_a_user.partner_account)
    with CaptureQueriesContext(connection) as many:
        response = rep.get(reverse("leads:list"))
    assert response.content.decode().count('<tr id="lead-') == 50
    assert len(many.captured_queries) == len(few.captured_queries)
    # The user with their partner account, the person's queues, the count and the page's ids (one statement: the
    # sharing rules are a subquery of it), the page's rows, the claim usage and Recent Items.
    assert len(many.captured_queries) <= 6, [q["sql"][:90] for q in many.captured_queries]
    assert not [q for q in many.captured_queries if q["sql"].startswith('SELECT "accounts_partneraccount"')]


def test_leads_tab_rows_poll_costs_the_same_queries_with_ten_times_the_rows(rep, queue):
    LeadFactory.create_batch(5, queue=queue)
    with CaptureQueriesContext(connection) as few:
        rep.get(reverse("leads:rows") + "?view=queue")
    LeadFactory.create_batch(45, queue=queue)
    with CaptureQueriesContext(connection) as many:
        response = rep.get(reverse("leads:rows") + "?view=queue")
    assert response.content.decode().count('<tr id="lead-') == 50
    assert len(many.captured_queries) == len(few.captured_queries) <= 4, [q["sql"][:90] for q in many.captured_queries]


def test_home_dashboard_costs_the_same_queries_with_ten_times_the_deals(cast, login_as, settings):
    settings.DASHBOARD_CACHE_SECONDS = 0  # the numbers computed from the database, every time
    client = login_as(cast.vendor_admin)
    client.get("/")
    OpportunityFactory.create_batch(3, partner_account=cast.partner_a, owner=cast.partner_a_user)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/").status_code == 200
    OpportunityFactory.create_batch(30, partner_account=cast.partner_a, owner=cast.partner_a_user)
    OpportunityFactory.create_batch(10, partner_account=cast.partner_b, owner=cast.partner_b_user)
    with CaptureQueriesContext(connection) as many:
        assert client.get("/").status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries), [q["sql"][:90] for q in many.captured_queries]
