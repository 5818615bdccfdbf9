import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from leads.events import LeadEvent
from leads.services import lead_first_responses_rebuild
from prm_portal.core.models import ActivityEvent
from prm_portal.core.services import activity_record
from reports.dashboards import dashboard_build
from tests.factories import LeadFactory, PartnerAccountFactory, PartnerUserFactory

pytestmark = pytest.mark.django_db


def _claimed_lead(user, *, claimed_hours_ago, changed_after_hours=None, event=LeadEvent.STATUS_CHANGED):
    now = timezone.now()
    lead = LeadFactory(owner=user, partner_account=user.partner_account, status="working",
                       claimed_at=now - timedelta(hours=claimed_hours_ago))
    claim = activity_record(target=lead, event=LeadEvent.CLAIMED, actor=user, partner_account=user.partner_account,
                            changes={"status": ["new", "new"]})
    ActivityEvent.objects.filter(pk=claim.pk).update(created_at=lead.claimed_at)
    if changed_after_hours is not None:
        event = activity_record(target=lead, event=event, actor=user, partner_account=user.partner_account,
                                changes={"status": ["new", "working"]})
        ActivityEvent.objects.filter(pk=event.pk).update(
            created_at=lead.claimed_at + timedelta(hours=changed_after_hours))
    lead_first_responses_rebuild()  # the history was written past the services: read it as the migration does
    return lead


@pytest.fixture
def business(cast, make_opportunity, stages):
    rep, admin, beta = cast.partner_a_user, cast.partner_a_admin, cast.partner_b_user
    make_opportunity(rep, name="A open 1", amount=1000, stage=stages["Proposal"])
    make_opportunity(admin, name="A open 2", amount=3000, stage=stages["Proposal"])
    make_opportunity(rep, name="A won", amount=7000, stage=stages["Closed won"])
    make_opportunity(rep, name="A lost", amount=2000, stage=stages["Closed lost"])
    make_opportunity(admin, name="A lost 2", amount=2000, stage=stages["Closed lost"])
    make_opportunity(beta, name="B open", amount=50000, stage=stages["Negotiation"])
    make_opportunity(beta, name="B won", amount=1, stage=stages["Closed won"])
    converted = _claimed_lead(rep, claimed_hours_ago=30, changed_after_hours=2)
    make_opportunity(rep, name="From lead", amount=500, source_lead=converted)
    _claimed_lead(rep, claimed_hours_ago=20, changed_after_hours=6, event=LeadEvent.UPDATED)
    _claimed_lead(rep, claimed_hours_ago=10)  # not touched yet: no time to count
    _claimed_lead(beta, claimed_hours_ago=50, changed_after_hours=24)


def test_channel_manager_dashboard_counts_only_their_partners(cast, business):
    d = dashboard_build(user=cast.channel_manager)
    assert d.open_count == 3  # two proposals and the converted deal
    assert d.open_amount == 4500
    assert (d.won, d.lost, d.win_rate) == (1, 2, 33)
    by_stage = {s.name: (n, a) for s, n, a in d.by_stage}
    assert by_stage["Proposal"] == (2, 4000)
    assert "Negotiation" not in [s.name for s, n, _a in d.by_stage if n]


def test_median_time_from_claim_to_first_status_change_ignores_the_claim_itself(cast, business):
    d = dashboard_build(user=cast.channel_manager)
    assert d.response_overall == pytest.approx(4.0)  # median of 2 h and 6 h; the untouched lead has none
    assert [(name, n) for _p, name, _h, n in d.response] == [("Alpha Partners", 2)]


def test_leads_claimed_and_converted_per_partner_and_month(cast, business):
    d = dashboard_build(user=cast.channel_manager)
    claimed = sum(c for pid, _n, _m, c, _v in d.lead_rows if pid == cast.partner_a.pk)
    converted = sum(v for pid, _n, _m, _c, v in d.lead_rows if pid == cast.partner_a.pk)
    assert (claimed, converted) == (3, 1)


def test_vendor_admin_dashboard_covers_every_partner(cast, business):
    d = dashboard_build(user=cast.vendor_admin)
    assert d.open_count == 4 and d.won == 2 and d.lost == 2
    assert [name for _p, name, *_r in d.by_partner] == ["Beta Resellers", "Alpha Partners"]


def test_partner_admin_sees_their_partner_and_a_rep_their_own_deals(cast, business):
    assert dashboard_build(user=cast.partner_a_admin).open_count == 3
    mine = dashboard_build(user=cast.partner_a_user)
    assert (mine.open_count, mine.won, mine.lost) == (2, 1, 1)
    assert dashboard_build(user=cast.partner_b_user).open_amount == 50000


def test_home_renders_the_charts_for_a_channel_manager(cast, business, login_as):
    html = login_as(cast.channel_manager).get(reverse("reports:home")).content.decode()
    for title in ("Open pipeline by stage", "Open pipeline by partner", "Leads claimed and converted per month",
                  "Median time from claim to first status change", "Win rate"):
        assert title in html
    assert html.count("<svg") >= 5
    assert "Beta Resellers" not in html


def test_home_of_a_partner_admin_never_names_another_partner(cast, business, login_as):
    html = login_as(cast.partner_a_admin).get(reverse("reports:home")).content.decode()
    assert "Open pipeline by stage" in html and "Beta Resellers" not in html


def test_home_runs_a_constant_number_of_queries(cast, business, login_as, make_opportunity, stages,
                                                django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login_as(cast.vendor_admin)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("reports:home"))
    for i in range(15):
        partner = PartnerAccountFactory(owner=cast.channel_manager)
        user = PartnerUserFactory(partner_account=partner)
        make_opportunity(user, name=f"More {i}", amount=100 * i, stage=stages["Closed won"] if i % 3 else None)
        _claimed_lead(user, claimed_hours_ago=5, changed_after_hours=1)
    with django_assert_max_num_queries(len(few)):  # no more queries with more rows
        response = client.get(reverse("reports:home"))
    assert response.context["dash"].open_count > 3  # the numbers were recomputed, not cached
    assert len(few) <= 12


def test_each_chart_exports_its_numbers_as_csv(cast, business, login_as):
    client = login_as(cast.channel_manager)
    for chart in ("pipeline-stage", "pipeline-partner", "leads", "response-time", "win-rate"):
        response = client.get(reverse("reports:dashboard_export", args=[chart]))
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(client.get(
        reverse("reports:dashboard_export", args=["win-rate"])).content.decode())))
    assert rows[0] == ["partner", "won", "lost", "win_rate_percent"]
    assert ["Alpha Partners", "1", "2", "33.3"] in rows
    assert all("Beta" not in r[0] for r in rows)


def test_unknown_chart_is_404(cast, login_as):
    assert login_as(cast.channel_manager).get(
        reverse("reports:dashboard_export", args=["nope"])).status_code == 404


def test_partner_admin_dashboard_breaks_the_partner_down_by_rep(cast, business, login_as):
    d = dashboard_build(user=cast.partner_a_admin)
    by_rep = {name: (n, won, lost) for _p, name, n, _a, won, lost in d.by_partner}
    assert by_rep == {"Adam Rep": (2, 1, 1), "Ada Alpha": (1, 0, 1)}
    html = login_as(cast.partner_a_admin).get(reverse("reports:home")).content.decode()
    assert "Open pipeline by rep" in html and "Adam Rep" in html
    rows = list(csv.reader(io.StringIO(login_as(cast.partner_a_admin).get(
        reverse("reports:dashboard_export", args=["win-rate"])).content.decode())))
    assert rows[0][0] == "owner" and ["Adam Rep", "1", "1", "50.0"] in rows


def test_a_cached_dashboard_follows_a_stage_move_at_once(cast, business, login_as, stages, settings):
    from opportunities.models import Opportunity
    from opportunities.services import opportunity_stage_change

    settings.DASHBOARD_CACHE_SECONDS = 60
    client = login_as(cast.channel_manager)
    assert client.get(reverse("reports:home")).context["dash"].won == 1
    deal = Opportunity.objects.get(name="A open 1")
    opportunity_stage_change(actor=cast.partner_a_user, opportunity=deal, stage=stages["Closed won"])
    dash = client.get(reverse("reports:home")).context["dash"]
    assert (dash.won, dash.open_count) == (2, 2)


@pytest.mark.parametrize("zone", ["UTC", "Europe/Prague", "America/New_York", "Pacific/Auckland"])
def test_claims_fall_in_the_month_of_the_viewers_time_zone(cast, zone, make_opportunity):
    """The claimed and converted counts per month group as TruncMonth does in the viewer's time zone, also for
    claims an hour either side of a local month's first midnight."""
    from datetime import datetime

    from django.db.models import Count
    from django.db.models.functions import TruncMonth

    from leads.models import Lead
    from opportunities.models import Opportunity

    rep = cast.partner_a_user
    with timezone.override(zone):
        now = timezone.now()
        local = timezone.localtime(now)
        edges = []
        month = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        for _ in range(4):
            edges.append(month)
            month = (month - timedelta(days=1)).replace(day=1)
        for edge in edges:
            for shift in (-1, 1):
                lead = LeadFactory(owner=rep, partner_account=rep.partner_account, claimed_at=edge + timedelta(
                    hours=shift))
                if edge + timedelta(hours=shift) <= now:
                    opp = make_opportunity(rep, name=f"From {lead.pk}", amount=1, source_lead=lead)
                    Opportunity.objects.filter(pk=opp.pk).update(created_at=edge + timedelta(hours=shift))
        first = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        for _ in range(5):  # the window's first month, where its first local midnight is
            first = (first - timedelta(days=1)).replace(day=1)
        for shift in (-1, 1):  # a claim an hour before the window (the month before, not shown) and one inside
            LeadFactory(owner=rep, partner_account=rep.partner_account, claimed_at=first + timedelta(hours=shift))
        d = dashboard_build(user=cast.vendor_admin, use_cache=False)
        got = {(month, claimed, converted) for pid, _name, month, claimed, converted in d.lead_rows
               if pid == rep.partner_account_id}
        since = d.months[0]
        assert since == first.date() and {month for month, _c, _v in got} <= set(d.months)
        window = timezone.make_aware(datetime(since.year, since.month, 1))  # the viewer's midnight
        expected_claimed = {row["m"].date(): row["n"] for row in Lead.objects.filter(
            partner_account=rep.partner_account, claimed_at__gte=window).annotate(m=TruncMonth("claimed_at"))
            .values("m").annotate(n=Count("*"))}
        expected_converted = {row["m"].date(): row["n"] for row in Opportunity.objects.filter(
            partner_account=rep.partner_account, source_lead__isnull=False, created_at__gte=window)
            .annotate(m=TruncMonth("created_at")).values("m").annotate(n=Count("*"))}
        expected = {(m, expected_claimed.get(m, 0), expected_converted.get(m, 0))
                    for m in set(expected_claimed) | set(expected_converted)}
        assert got == expected
        assert len(expected) >= 3


def test_a_cached_dashboard_is_kept_per_time_zone(cast, settings):
    """Two viewers of the same scope in different time zones each get their own months, cache or no cache."""
    settings.DASHBOARD_CACHE_SECONDS = 60
    rep = cast.partner_a_user
    with timezone.override("Europe/Prague"):
        first = timezone.localtime(timezone.now()).replace(day=1, hour=0, minute=30, second=0, microsecond=0)
        LeadFactory(owner=rep, partner_account=rep.partner_account, claimed_at=first)  # Prague: this month
        in_prague = {m: c for pid, _n, m, c, _v in dashboard_build(user=cast.vendor_admin).lead_rows
                     if pid == rep.partner_account_id}
    with timezone.override("America/New_York"):
        in_new_york = {m: c for pid, _n, m, c, _v in dashboard_build(user=cast.vendor_admin).lead_rows
                       if pid == rep.partner_account_id}
    assert in_prague == {first.date(): 1}
    previous = (first.date() - timedelta(days=1)).replace(day=1)
    assert in_new_york == {previous: 1}  # 00:30 in Prague is the evening before in New York
