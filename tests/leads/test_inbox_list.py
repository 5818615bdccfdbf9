"""The Leads tab of a partner person as the newest rows of each part of what they may see (issue 12): the same
leads, count, order and Accept buttons as the access policy's one filter, whatever the parts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from guardian.shortcuts import assign_perm

from accounts import access
from leads.models import Lead
from leads.selectors import lead_page_list_visible_to
from tests.factories import LeadFactory, PartnerUserFactory, QueueFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def inbox(cast):
    """Partner A's people see: leads they own, A's other leads (admins), two queues' waiting leads, a lead given to
    A but to nobody there yet, and a lead of partner B shared with the rep directly."""
    first, second = QueueFactory(accounts=[cast.partner_a]), QueueFactory(users=[cast.partner_a_user])
    colleague = PartnerUserFactory(partner_account=cast.partner_a)
    leads = {
        "own": LeadFactory.create_batch(3, owner=cast.partner_a_user, partner_account=cast.partner_a),
        "colleague": LeadFactory.create_batch(2, owner=colleague, partner_account=cast.partner_a),
        "first_queue": LeadFactory.create_batch(4, queue=first),
        "second_queue": LeadFactory.create_batch(2, queue=second),
        "given": [LeadFactory(partner_account=cast.partner_a)],
        "other_partner": LeadFactory.create_batch(2, owner=cast.partner_b_user, partner_account=cast.partner_b),
        "nobody": LeadFactory.create_batch(2, queue=QueueFactory(accounts=[cast.partner_b])),
    }
    shared = leads["other_partner"][0]
    assign_perm("leads.view_lead", cast.partner_a_user, shared)
    assign_perm("leads.view_lead", cast.partner_a_user, leads["own"][0])  # shared and owned: listed once
    return leads


def _all(user, **kwargs):
    merged = lead_page_list_visible_to(user=user, page_size=50, **kwargs)
    return merged.count(), [lead.pk for lead in merged[0:50]]


@pytest.mark.parametrize("who", ["partner_a_user", "partner_a_admin", "partner_b_user", "read_only_partner"])
@pytest.mark.parametrize("view", ["all", "mine", "queue"])
def test_the_merged_list_holds_what_the_access_policy_allows_newest_first(cast, inbox, who, view, request):
    user = getattr(cast, who) if hasattr(cast, who) else request.getfixturevalue(who)  # sharing rules: every lead
    expected = list(Lead.objects.filter(access.lead_visible_q(user, view=view)).order_by("-created_at", "-id")
                    .values_list("pk", flat=True))
    count, pks = _all(user, view=view)
    assert pks == expected
    assert count == len(expected)


def test_no_lead_is_in_two_parts_of_a_persons_inbox(cast, inbox):
    for user in (cast.partner_a_user, cast.partner_a_admin):
        parts = access.lead_visible_parts(user, queue_ids=access.queue_ids_for(user))
        seen = [pk for part in parts for pk in Lead.objects.filter(part).values_list("pk", flat=True)]
        assert len(seen) == len(set(seen))


def test_the_rep_sees_their_queues_their_own_the_given_and_the_shared_lead(cast, inbox):
    _count, pks = _all(cast.partner_a_user)
    wanted = {lead.pk for key in ("own", "first_queue", "second_queue", "given") for lead in inbox[key]}
    assert set(pks) == wanted | {inbox["other_partner"][0].pk}
    assert not set(pks) & {lead.pk for lead in inbox["colleague"] + inbox["nobody"]}


def test_a_status_filter_and_a_second_page_keep_the_order_and_the_count(cast, inbox):
    Lead.objects.filter(pk__in=[lead.pk for lead in inbox["first_queue"][:2]]).update(status="working")
    count, pks = _all(cast.partner_a_user, status="working")
    assert count == 2 and set(pks) == {lead.pk for lead in inbox["first_queue"][:2]}
    everything = list(Lead.objects.filter(access.lead_visible_q(cast.partner_a_user)).order_by("-created_at", "-id")
                      .values_list("pk", flat=True))
    second = lead_page_list_visible_to(user=cast.partner_a_user, page_size=5, page_number=2)
    assert second.count() == len(everything)
    assert [lead.pk for lead in second[5:10]] == everything[5:10]


def test_accept_shows_on_waiting_leads_only_not_on_shared_or_owned_ones(cast, inbox, login_as):
    body = login_as(cast.partner_a_user).get(reverse("leads:list")).content.decode()
    for lead in inbox["first_queue"] + inbox["second_queue"] + inbox["given"]:
        assert f'id="accept-{lead.pk}"' in body
    for lead in inbox["own"] + inbox["other_partner"][:1]:
        assert f'id="accept-{lead.pk}"' not in body and f'id="view-{lead.pk}"' in body


def test_the_pager_reaches_the_last_leads(cast, inbox, login_as):
    LeadFactory.create_batch(55, owner=cast.partner_a_user, partner_account=cast.partner_a)
    client = login_as(cast.partner_a_user)
    total = Lead.objects.filter(access.lead_visible_q(cast.partner_a_user)).count()
    oldest = Lead.objects.filter(access.lead_visible_q(cast.partner_a_user)).order_by("created_at", "id").first()
    body = client.get(reverse("leads:list") + "?page=2").content.decode()
    assert body.count('<tr id="lead-') == total - 50
    assert f'<tr id="lead-{oldest.pk}"' in body
    body = client.get(reverse("leads:list") + "?page=99").content.decode()  # past the end: the last page
    assert f'<tr id="lead-{oldest.pk}"' in body


def test_the_signed_in_person_comes_with_their_partner_account_in_one_query(cast, login_as):
    client = login_as(cast.partner_a_user)
    client.get(reverse("leads:list"))
    with CaptureQueriesContext(connection) as ctx:
        client.get(reverse("leads:list"))
    assert ctx.captured_queries[0]["sql"].startswith('SELECT u."id"')
    assert '"accounts_partneraccount"' in ctx.captured_queries[0]["sql"]
    assert not [q for q in ctx.captured_queries if q["sql"].startswith('SELECT "accounts_partneraccount"')]


def test_the_plain_list_marks_the_same_leads_offered_as_the_merged_one(cast, inbox):
    """The plain queryset (SQLite's path) and the merged list (PostgreSQL's) agree on every Accept button."""
    from leads.selectors import lead_list_visible_to

    for user in (cast.partner_a_user, cast.partner_a_admin):
        plain = {lead.pk: lead.offered for lead in lead_list_visible_to(user=user, with_offered=True)}
        merged = {lead.pk: lead.offered for lead in lead_page_list_visible_to(user=user, page_size=100)[0:100]}
        assert plain == merged and any(plain.values())


@pytest.mark.parametrize("statements", ["sent as text", "prepared"])
def test_the_page_rows_are_the_orms_rows_with_owner_queue_and_clock(cast, inbox, statements, monkeypatch):
    """The hand-written page statement reads what select_related("owner", "queue", "sla_clock") reads, sent as
    text or prepared on a kept connection (prm_portal.core.sql.execute_prepared)."""
    from leads.models import LeadClock
    from leads.selectors import _page_rows

    timed = inbox["first_queue"][0]
    at = timed.created_at
    LeadClock.objects.create(lead=timed, kind="accept", queue=timed.queue, limit=4, started_at=at, remind_at=at,
                             due_at=at, recall_at=at, next_at=at)
    ids = [lead.pk for leads in inbox.values() for lead in leads]
    expected = list(Lead.objects.select_related("owner", "queue", "sla_clock").filter(pk__in=ids)
                    .order_by("-created_at", "-id"))
    fields = [f.attname for f in Lead._meta.concrete_fields]
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0 if statements == "sent as text" else 60)
    with CaptureQueriesContext(connection) as ctx:
        rows = _page_rows(ids)
        for got, want in zip(rows, expected, strict=True):
            assert [getattr(got, f) for f in fields] == [getattr(want, f) for f in fields]
            assert got.owner == want.owner and got.queue == want.queue
            assert (got.owner and got.owner.email) == (want.owner and want.owner.email)
            assert (got.queue and got.queue.name) == (want.queue and want.queue.name)
            assert got._state.fields_cache["sla_clock"] == want._state.fields_cache["sla_clock"]
    assert len(ctx.captured_queries) == 1
    assert ctx.captured_queries[0]["sql"].startswith("EXECUTE prm_") == (statements == "prepared")
    assert rows[[lead.pk for lead in rows].index(timed.pk)].sla_clock.lead is rows[[r.pk for r in rows].index(timed.pk)]


def test_a_persons_compiled_parts_follow_their_queues_role_and_partner(cast, inbox):
    """The parts are kept compiled per person; joining a queue, a new role or another partner is a new list at once."""
    from accounts.models import User

    rep = cast.partner_a_user
    before = {lead.pk for lead in lead_page_list_visible_to(user=rep)[0:50]}
    joined = QueueFactory(users=[rep])
    waiting = LeadFactory(queue=joined)
    rep = User.objects.get(pk=rep.pk)
    assert {lead.pk for lead in lead_page_list_visible_to(user=rep)[0:50]} == before | {waiting.pk}
    rep.role = User.Role.PARTNER_ADMIN
    colleagues = {lead.pk for lead in inbox["colleague"]}
    assert colleagues <= {lead.pk for lead in lead_page_list_visible_to(user=rep)[0:50]}
    rep.role, rep.partner_account = User.Role.PARTNER_USER, cast.partner_b
    after = {lead.pk for lead in lead_page_list_visible_to(user=rep)[0:50]}
    assert not after & colleagues and waiting.pk in after  # his own queue, still
