"""Each scope's dashboard, read from the pipeline summary, shows what grouping its deals afresh shows; its uncached
build costs the same queries however many deals, partners and leads there are."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Count, Sum
from django.test.utils import CaptureQueriesContext

from accounts import access
from opportunities.models import Opportunity, Stage
from opportunities.services import opportunity_stage_change, opportunity_update
from reports.dashboards import dashboard_build
from tests.factories import PartnerAccountFactory, PartnerUserFactory

pytestmark = pytest.mark.django_db


def _reference(deals, group):
    """The pipeline numbers as the dashboard computed them before the summary: every deal of the scope grouped."""
    stages = {s.pk: s for s in Stage.objects.all()}
    rows = list(deals.order_by().values_list(group, "stage_id", "currency").annotate(n=Count("id"), t=Sum("amount")))
    counts = {}
    for _g, _s, cur, n, _t in rows:
        counts[cur] = counts.get(cur, 0) + n
    currency = max(sorted(counts), key=counts.get) if counts else "EUR"
    ref = {"currency": currency, "won": 0, "lost": 0, "open_count": 0, "open_amount": Decimal(0),
           "won_amount": Decimal(0), "other": {}, "by_stage": {pk: [0, Decimal(0)] for pk in stages}, "groups": {}}
    for g, sid, cur, n, total in rows:
        kind, amount, main = stages[sid].kind, Decimal(total or 0), cur == currency
        row = ref["groups"].setdefault(g, [0, Decimal(0), 0, 0])
        if kind == Stage.Kind.WON:
            ref["won"] += n
            row[2] += n
            ref["won_amount"] += amount if main else 0
        elif kind == Stage.Kind.LOST:
            ref["lost"] += n
            row[3] += n
        else:
            ref["open_count"] += n
            row[0] += n
            if main:
                ref["open_amount"] += amount
                row[1] += amount
            else:
                ref["other"][cur] = ref["other"].get(cur, Decimal(0)) + amount
        ref["by_stage"][sid][0] += n
        ref["by_stage"][sid][1] += amount if main else 0
    return ref


def _assert_same(dash, ref):
    assert dash.currency == ref["currency"]
    assert (dash.won, dash.lost, dash.open_count) == (ref["won"], ref["lost"], ref["open_count"])
    assert (dash.open_amount, dash.won_amount) == (ref["open_amount"], ref["won_amount"])
    assert dash.other_currencies == ref["other"]
    assert {s.pk: [n, a] for s, n, a in dash.by_stage} == ref["by_stage"]
    assert {pid: [n, a, w, lo] for pid, _name, n, a, w, lo in dash.by_partner} == ref["groups"]


@pytest.fixture
def business(cast, make_opportunity, stages):
    """Deals of partners A and B, and of a partner C the first channel manager also owns, in three currencies;
    then moved and edited through the services."""
    rep, admin, beta = cast.partner_a_user, cast.partner_a_admin, cast.partner_b_user
    gamma = PartnerUserFactory(partner_account=PartnerAccountFactory(name="Gamma Sales", owner=cast.channel_manager),
                               first_name="Greta", last_name="Gamma")
    deals = [
        make_opportunity(rep, name="A open", amount=1000, stage=stages["Proposal"]),
        make_opportunity(rep, name="A open USD", amount=400, currency="USD", stage=stages["Qualification"]),
        make_opportunity(admin, name="A open none", amount=None),
        make_opportunity(admin, name="A won", amount=7000, stage=stages["Closed won"]),
        make_opportunity(rep, name="A lost", amount=2000, stage=stages["Closed lost"]),
        make_opportunity(beta, name="B open", amount=50000, currency="USD", stage=stages["Negotiation"]),
        make_opportunity(beta, name="B open 2", amount=25000, currency="USD"),
        make_opportunity(beta, name="B won EUR", amount=5, stage=stages["Closed won"]),
        make_opportunity(gamma, name="C open", amount=300, stage=stages["Proposal"]),
        make_opportunity(gamma, name="C won", amount=900, currency="CZK", stage=stages["Closed won"]),
    ]
    opportunity_stage_change(actor=rep, opportunity=deals[0], stage=stages["Negotiation"])
    opportunity_update(actor=admin, opportunity=deals[2], name="A open none", customer_name="Kovo Hradec",
                       amount=Decimal("123.45"), currency="EUR", close_date=None, stage=None, owner=rep)
    opportunity_update(actor=beta, opportunity=deals[6], name="B open 2", customer_name="Kovo Hradec",
                       amount=Decimal("26000"), currency="EUR", close_date=None, stage=stages["Closed lost"])
    return deals


@pytest.mark.parametrize("who, group", [
    ("vendor_admin", "partner_account_id"),
    ("channel_manager", "partner_account_id"),
    ("granted_channel_manager", "partner_account_id"),
    ("other_channel_manager", "partner_account_id"),
    ("partner_a_admin", "owner_id"),
    ("partner_a_user", "partner_account_id"),
    ("partner_b_user", "partner_account_id"),
])
def test_each_scopes_dashboard_shows_what_grouping_its_deals_shows(cast, business, who, group):
    user = getattr(cast, who)
    if user.is_partner_admin:
        deals = Opportunity.objects.filter(partner_account=user.partner_account_id)
    elif user.is_partner:
        deals = Opportunity.objects.filter(owner=user)
    else:
        deals = Opportunity.objects.filter(access.opportunity_visible_q(user))
    ref = _reference(deals, group)
    assert ref["open_count"] + ref["won"] + ref["lost"] > 0
    _assert_same(dashboard_build(user=user, use_cache=False), ref)


def test_a_granted_channel_manager_sees_the_granted_partner_by_name(cast, business):
    dash = dashboard_build(user=cast.granted_channel_manager, use_cache=False)
    assert [name for _p, name, *_r in dash.by_partner] == ["Alpha Partners"]
    assert dash.open_count == 3 and dash.won == 1 and dash.lost == 1


def test_the_main_currency_is_the_one_most_deals_are_in(cast, business):
    dash = dashboard_build(user=cast.partner_b_user, use_cache=False)
    assert dash.currency == "EUR" and dash.other_currencies == {"USD": Decimal("50000")}  # 2 EUR deals, 1 USD


# The uncached build of each scope, in queries (the user's own group lookups by the access policy included).
QUERIES = {"vendor_admin": 7, "channel_manager": 10, "granted_channel_manager": 10, "partner_a_admin": 7,
           "partner_a_user": 7}


@pytest.mark.parametrize("who", sorted(QUERIES))
def test_the_uncached_dashboard_costs_the_same_queries_with_more_deals_partners_and_leads(
        cast, business, make_opportunity, stages, who):
    from tests.factories import LeadFactory

    user = getattr(cast, who)
    dashboard_build(user=user, use_cache=False)  # content types and the like in their caches
    with CaptureQueriesContext(connection) as few:
        dashboard_build(user=user, use_cache=False)
    for i in range(6):
        partner = PartnerAccountFactory(owner=cast.channel_manager)
        rep = PartnerUserFactory(partner_account=partner)
        make_opportunity(rep, name=f"More {i}", amount=10 * i, stage=stages["Closed won"] if i % 2 else None)
        make_opportunity(cast.partner_a_user, name=f"A more {i}", amount=i, currency="PLN")
        LeadFactory(owner=rep, partner_account=partner, status="working")
    with CaptureQueriesContext(connection) as many:
        dash = dashboard_build(user=user, use_cache=False)
    assert dash.open_count > 0
    assert len(many) == len(few) <= QUERIES[who], [q["sql"][:100] for q in many.captured_queries]
