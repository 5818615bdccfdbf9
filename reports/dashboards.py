"""The Home dashboards (D3): pipeline, leads claimed and converted, response time and win rate.

Every number comes from a handful of grouped queries. The pipeline's read the summary the opportunity services
keep in the same transaction as each deal (opportunities.models.PipelineSummary), so their cost follows the
partners, reps, stages and currencies, not the number of deals; the lead-side ones read the last MONTHS months of
claims and conversions. The charts are drawn server-side as SVG (reports/_chart_*.html) and each has a CSV export
of its numbers.
"""

import logging
import statistics
from dataclasses import dataclass, field
from datetime import UTC, date, timedelta
from decimal import Decimal
from functools import cached_property

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import CharField, Count, F, Func, IntegerField, Q, Sum, Value
from django.db.models.functions import Cast, TruncMonth
from django.utils import dateformat, timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from accounts import access
from accounts.models import PartnerAccount, User
from leads.models import Lead
from opportunities.models import Opportunity, PipelineSummary, Stage
from prm_portal.core.cachegen import cache_generation, cache_generation_bump

MONTHS = 6
TOP_PARTNERS = 10
CHARTS = ("pipeline-stage", "pipeline-partner", "leads", "response-time", "win-rate")

logger = logging.getLogger(__name__)


@dataclass
class Scope:
    """Whose numbers: a set of partners (vendor admin, channel manager, partner admin) or one rep."""

    kind: str  # "all", "manager", "partner", "personal"
    user: object
    title: str = ""

    @cached_property
    def partner_ids(self) -> list:
        """A channel manager's partners, owned and granted, as the access policy has them: asked once, and given
        to every query as a list (a planner that knows how few rows to expect picks the index paths)."""
        return [row["pk"] for row in access.managed_partner_ids(self.user)]

    def _narrow(self, queryset):
        """The scope's rows of a model with `partner_account` and `owner` fields."""
        if self.kind == "manager":
            return queryset.filter(partner_account__in=self.partner_ids)
        if self.kind == "partner":
            return queryset.filter(partner_account=self.user.partner_account_id)
        if self.kind == "personal":
            return queryset.filter(owner=self.user)
        return queryset

    def pipeline(self):
        """The scope's rows of the pipeline summary (those that count deals)."""
        return self._narrow(PipelineSummary.objects.filter(n__gt=0))

    def opportunities(self):
        return self._narrow(Opportunity.objects.all())

    def leads(self):
        return self._narrow(Lead.objects.filter(partner_account__isnull=False))

    def partners(self):
        """The partners the user sees: all (vendor admins), those they manage, owned or granted (channel
        managers), or their own (partner people)."""
        if self.kind == "manager":
            return PartnerAccount.objects.filter(pk__in=self.partner_ids).order_by("name")
        return PartnerAccount.objects.filter(access.partner_account_visible_q(self.user)).order_by("name")

    @property
    def per_partner(self):
        """Broken down by group: partners for vendor staff, reps for a partner admin; a rep sees totals."""
        return self.kind in ("all", "manager", "partner")

    @property
    def group_field(self):
        return "owner_id" if self.kind == "partner" else "partner_account_id"

    @property
    def by_rep(self):
        return self.kind == "partner"

    def group_names(self) -> dict:
        if self.kind == "partner":
            users = User.objects.filter(partner_account=self.user.partner_account_id).order_by("last_name", "email")
            return {u.pk: str(u) for u in users.only("id", "first_name", "last_name", "email")}
        return dict(self.partners().values_list("id", "name"))


def dashboard_scope_for(*, user) -> Scope:
    if user.is_vendor_admin:
        return Scope("all", user, _("All partners"))
    if user.is_channel_manager:
        return Scope("manager", user, _("Your partners"))
    if user.is_partner_admin:
        return Scope("partner", user, str(user.partner_account))
    return Scope("personal", user, _("Your deals"))


# --- Geometry for the SVG charts -------------------------------------------------------------------------------

BAR_COLORS = ("var(--brand)", "var(--accent)")


@dataclass
class Bar:
    label: str
    values: list  # one number per series
    texts: list  # what is written beside each bar
    widths: list = field(default_factory=list)


@dataclass
class HBarChart:
    key: str
    title: str
    series: list
    bars: list
    note: str = ""
    width: int = 540
    label_width: int = 165
    bar_area: int = 250
    row_height: int = 0

    def layout(self):
        top = max((max(b.values) for b in self.bars if b.values), default=0) or 1
        for bar in self.bars:
            bar.widths = [max(round(self.bar_area * float(v) / float(top)), 1 if v else 0) for v in bar.values]
        per_series = 16
        self.row_height = 10 + per_series * len(self.series)
        self.height = max(self.row_height * len(self.bars) + (24 if len(self.series) > 1 else 6), 40)
        self.series_colors = list(zip(self.series, BAR_COLORS, strict=False))
        rows = []
        for index, bar in enumerate(self.bars):
            y = index * self.row_height + (24 if len(self.series) > 1 else 4)
            rects = []
            for s, (w, text) in enumerate(zip(bar.widths, bar.texts, strict=False)):
                ry = y + 4 + s * per_series
                rects.append({"y": ry, "w": w, "text": text, "color": BAR_COLORS[s % 2], "ty": ry + 11,
                              "tx": self.label_width + w + 6})
            rows.append({"label": bar.label, "label_y": y + self.row_height / 2 + 3, "rects": rects})
        self.rows = rows
        return self


@dataclass
class ColumnChart:
    key: str
    title: str
    series: list
    columns: list  # (label, [values])
    width: int = 540
    height: int = 220

    def layout(self):
        plot_h, base = 150, 180
        top = max((max(vals) for _label, vals in self.columns if vals), default=0) or 1
        slot = (self.width - 40) / max(len(self.columns), 1)
        bar_w = min(28, (slot - 12) / max(len(self.series), 1))
        cols = []
        for i, (label, vals) in enumerate(self.columns):
            x0 = 30 + i * slot + (slot - bar_w * len(vals)) / 2
            rects = []
            for s, v in enumerate(vals):
                h = round(plot_h * v / top) if v else 0
                rects.append({"x": x0 + s * bar_w, "y": base - h, "h": h, "w": bar_w - 2, "v": v,
                              "color": BAR_COLORS[s % 2], "tx": x0 + s * bar_w + (bar_w - 2) / 2,
                              "ty": base - h - 4})
            cols.append({"label": label, "lx": 30 + i * slot + slot / 2, "rects": rects})
        self.cols = cols
        self.base = base
        self.empty = not any(v for _label, vals in self.columns for v in vals)
        self.series_colors = list(zip(self.series, BAR_COLORS, strict=False))
        return self


# --- Numbers -----------------------------------------------------------------------------------------------------


def _money(amount, currency):
    return f"{number_format(Decimal(amount or 0).quantize(Decimal('1')), force_grouping=True)} {currency}"


def _hours(value):
    if value is None:
        return "—"
    if value < 1:
        return _("%(n)s min") % {"n": number_format(round(value * 60))}
    if value < 48:
        return _("%(n)s h") % {"n": number_format(round(value, 1))}
    return _("%(n)s days") % {"n": number_format(round(value / 24, 1))}


def _month_starts(now):
    """The first midnight of each of the last MONTHS months, the viewer's (the current time zone's): the window
    starts where its first month starts for them, so no claim of the month before it slips in."""
    first = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    months = [first]
    for _i in range(MONTHS - 1):
        months.append((months[-1] - timedelta(days=1)).replace(day=1))
    return list(reversed(months))


@dataclass
class Dashboard:
    scope: Scope
    stages: list
    partners: dict  # id -> name
    currency: str
    other_currencies: dict
    by_stage: list  # (stage, count, amount)
    by_partner: list  # (partner_id, name, open_count, open_amount, won, lost)
    months: list
    lead_rows: list  # (partner_id, name, month, claimed, converted), in no order
    response: list  # (partner_id, name, median_hours, leads)
    response_overall: float | None
    won: int
    lost: int
    open_count: int
    open_amount: Decimal
    won_amount: Decimal
    charts: dict = field(default_factory=dict)

    @property
    def response_overall_text(self):
        return _hours(self.response_overall)

    @property
    def win_rate(self):
        closed = self.won + self.lost
        return round(100 * self.won / closed) if closed else None


DASHBOARDS = "dashboards"  # the cache generation the record apps bump when a deal or lead changes


def dashboard_invalidate():
    """Every cached dashboard is out of date: the services call this when a deal changes."""
    cache_generation_bump(DASHBOARDS)


def _cache_get(key):
    try:
        return cache.get(key)
    except Exception:  # a cache outage is a miss
        return None


def _cache_set(key, value, ttl):
    try:
        cache.set(key, value, ttl)
    except Exception:  # nothing cached; the next request computes again
        logger.warning("cache unreachable: dashboard not cached", exc_info=True)


def _cache_key(scope, month):
    """Whose numbers, and in which time zone: the months group claims by the viewer's own midnight, so two vendor
    admins in Prague and New York never share one cached dashboard."""
    ident = {"all": "all", "partner": scope.user.partner_account_id}.get(scope.kind, scope.user.pk)
    zone = timezone.get_current_timezone_name()
    return f"reports:dashboard:{cache_generation(DASHBOARDS)}:{scope.kind}:{ident}:{month:%Y%m}:{zone}"


def dashboard_build(*, user, now=None, use_cache=True) -> Dashboard:
    """The Home dashboard of the user's scope.

    The numbers come from a constant number of grouped queries; they are cached for
    settings.DASHBOARD_CACHE_SECONDS and dropped whenever an opportunity changes (the services call
    dashboard_invalidate()), so lead-side numbers are at most that many seconds old.
    """
    now = now or timezone.now()
    scope = dashboard_scope_for(user=user)
    stages = {s.pk: s for s in Stage.objects.order_by("order", "id")}
    ttl = getattr(settings, "DASHBOARD_CACHE_SECONDS", 60)
    months = _month_starts(now)
    key = _cache_key(scope, months[0]) if use_cache and ttl else None
    numbers = _cache_get(key) if key else None
    if numbers is None:
        numbers = _numbers(scope=scope, stages=stages, months=months)
        if key:
            _cache_set(key, numbers, ttl)
    numbers = dict(numbers)
    numbers["by_stage"] = [(stages[pk], n, a) for pk, n, a in numbers["by_stage"] if pk in stages]
    dash = Dashboard(scope=scope, stages=list(stages.values()), **numbers)
    dash.charts = {key.replace("-", "_"): chart for key, chart in _charts(dash).items()}
    return dash


def _rows(queryset) -> list[tuple]:
    """A grouped queryset's rows straight from the cursor: thousands of small tuples without per-row
    converters (callers normalise what they read: _decimal, int)."""
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:  # a scope of no partners
        return []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _decimal(value):
    if value is None:
        return Decimal(0)
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _month_of(field, local_starts):
    """The month of `field` in the current time zone, as TruncMonth says it, for thousands of (group, month) rows.

    On PostgreSQL: which of `local_starts` (the window's months, starting at local midnight) it falls in, as
    width_bucket's number (1 for the first; never 0, as the first starts at or before the window): a few comparisons
    per row, where DATE_TRUNC with a time zone cost more than the rest of the statement. Elsewhere: TruncMonth's
    value as text (the driver makes no datetime of it). `_month_day` turns either into the month's first day."""
    if connection.vendor == "postgresql":
        return Func(F(field), Value(list(local_starts)), function="width_bucket", output_field=IntegerField())
    return Cast(TruncMonth(field), output_field=CharField())


def _month_day(value, local_starts):
    """The first day of the month `_month_of` gave: a bucket number, or TruncMonth's text ('2026-07-01 ...')."""
    if isinstance(value, int):
        return local_starts[value - 1].date()
    return date(int(value[:4]), int(value[5:7]), 1)


def _numbers(*, scope, stages, months) -> dict:
    """Every number of the dashboard, as plain data (cacheable)."""
    partners = scope.group_names()  # partners, or the partner's reps for a partner admin
    group = scope.group_field

    # 1. The pipeline, from the summary the opportunity services keep (PipelineSummary): as many rows as groups,
    # stages and currencies, however many deals there are. Per group and currency, by stage kind...
    kind_ids = {kind: [pk for pk, s in stages.items() if s.kind == kind] or [0] for kind in Stage.Kind.values}
    pipeline = scope.pipeline().order_by()
    per_group = _rows(
        pipeline.values_list(group, "currency").annotate(
            open_n=Sum("n", filter=Q(stage__in=kind_ids[Stage.Kind.OPEN])),
            open_amount=Sum("amount", filter=Q(stage__in=kind_ids[Stage.Kind.OPEN])),
            won_n=Sum("n", filter=Q(stage__in=kind_ids[Stage.Kind.WON])),
            lost_n=Sum("n", filter=Q(stage__in=kind_ids[Stage.Kind.LOST])),
        )
    )
    # ... and per stage and currency.
    per_stage = _rows(pipeline.values_list("stage_id", "currency").annotate(n=Sum("n"), total=Sum("amount")))
    currency_counts = {}
    for _sid, cur, n, _total in per_stage:
        currency_counts[cur] = currency_counts.get(cur, 0) + int(n)
    currency = max(sorted(currency_counts), key=currency_counts.get) if currency_counts else "EUR"
    other = {}
    by_stage = {pk: [0, Decimal(0)] for pk in stages}
    won = lost = open_count = 0
    open_amount = won_amount = Decimal(0)
    kinds = {pk: s.kind for pk, s in stages.items()}
    for sid, cur, n, total in per_stage:
        kind = kinds.get(sid)
        if kind is None:
            continue
        n, amount, main = int(n), _decimal(total), cur == currency
        if kind == Stage.Kind.WON:
            won += n
            if main:
                won_amount += amount
        elif kind == Stage.Kind.LOST:
            lost += n
        else:
            open_count += n
            if main:
                open_amount += amount
            else:
                other[cur] = other.get(cur, Decimal(0)) + amount
        by_stage[sid][0] += n
        if main:
            by_stage[sid][1] += amount
    by_partner = {}
    for pid, cur, open_n, open_total, won_n, lost_n in per_group:
        row = by_partner.get(pid)
        if row is None:
            row = by_partner[pid] = [0, Decimal(0), 0, 0]
        row[0] += int(open_n or 0)
        if cur == currency:
            row[1] += _decimal(open_total)
        row[2] += int(won_n or 0)
        row[3] += int(lost_n or 0)

    # 2. Leads claimed per partner and month.
    since = months[0]
    # The window's months at the viewer's midnights, and the next one's start (where the current month ends): the
    # months a TruncMonth in this time zone gives the window's rows.
    local_starts = [*months, (months[-1] + timedelta(days=32)).replace(day=1)]
    claimed = _rows(
        scope.leads()
        .filter(claimed_at__gte=since)
        .annotate(month=_month_of("claimed_at", local_starts))
        .order_by()
        .values_list(group, "month")
        .annotate(n=Count("*"))
    )
    # 3. Leads converted per partner and month: the opportunities that came from a lead (an index-only scan of
    # opp_converted_idx, which holds those deals alone).
    converted = _rows(
        scope.opportunities()
        .filter(source_lead__isnull=False, created_at__gte=since)
        .annotate(month=_month_of("created_at", local_starts))
        .order_by()
        .values_list(group, "month")
        .annotate(n=Count("*"))
    )
    days = {}  # each month as the database gives it -> the month's first day

    def day_of(value):
        days[value] = day = _month_day(value, local_starts)
        return day

    # Each query has one row per group and month: the claimed make the keys, the converted join them.
    lead_counts = {(pid, days.get(month) or day_of(month)): [n, 0] for pid, month, n in claimed}
    for pid, month, n in converted:
        key = (pid, days.get(month) or day_of(month))
        counts = lead_counts.get(key)
        if counts is None:
            lead_counts[key] = [0, n]
        else:
            counts[1] += n

    # 4. Time from claim to the first status change after it, per lead claimed in the window.
    per_partner_hours, overall = _response_times(scope=scope, since=since)

    return dict(
        partners=partners,
        currency=currency,
        other_currencies=other,
        by_stage=[(pk, n, amount) for pk, (n, amount) in by_stage.items()],
        by_partner=sorted(
            ((pid, partners.get(pid, "?"), *vals) for pid, vals in by_partner.items() if pid in partners),
            key=lambda r: (-r[3], r[1]),
        ),
        months=[m.date() for m in months],
        lead_rows=[(pid, partners.get(pid, ""), month, c, v) for (pid, month), (c, v) in lead_counts.items()],
        response=sorted(
            ((pid, partners.get(pid, ""), hours, n) for pid, (hours, n) in per_partner_hours.items()),
            key=lambda r: r[2],
        ),
        response_overall=overall,
        won=won,
        lost=lost,
        open_count=open_count,
        open_amount=open_amount,
        won_amount=won_amount,
    )


def _as_datetime(value):
    """SQLite hands raw-SQL timestamps back as text."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value


# date_part, not EXTRACT: EXTRACT gives numeric, whose sorting made the medians take twice as long; percentile_cont
# works in double precision anyway.
MEDIANS_SQL = (
    "SELECT grp, GROUPING(grp), percentile_cont(0.5) WITHIN GROUP ("
    "  ORDER BY date_part('epoch', first_response_at - claimed_at) / 3600.0), COUNT(*) "
    "FROM ({leads}) f GROUP BY ROLLUP(grp)"
)


def _response_times(*, scope, since):
    """Median hours from claim to the lead's first status change after it (`Lead.first_response_at`, which the lead
    services keep): per partner (or rep), and overall. One query on the leads claimed in the window, from the
    lead_claimed_idx index alone; PostgreSQL takes the medians itself (percentile_cont with ROLLUP), other databases
    in Python."""
    try:
        leads_sql, leads_params = (
            scope.leads().filter(claimed_at__gte=since, first_response_at__isnull=False)
            .annotate(grp=F(scope.group_field)).order_by()
            .values("grp", "claimed_at", "first_response_at")
            .query.sql_with_params()
        )
    except EmptyResultSet:  # a scope of no partners
        return {}, None
    per_partner, overall = {}, None
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(MEDIANS_SQL.format(leads=leads_sql), leads_params)
            for partner_id, is_total, median, n in cursor.fetchall():
                if is_total:
                    overall = float(median) if median is not None else None
                else:
                    per_partner[partner_id] = (float(median), n)
            return per_partner, overall
        cursor.execute(leads_sql, leads_params)
        hours_by_partner, all_hours = {}, []
        for partner_id, claimed_at, changed_at in cursor.fetchall():
            claimed_at, changed_at = _as_datetime(claimed_at), _as_datetime(changed_at)
            hours = (changed_at - claimed_at).total_seconds() / 3600
            hours_by_partner.setdefault(partner_id, []).append(hours)
            all_hours.append(hours)
    per_partner = {pid: (statistics.median(h), len(h)) for pid, h in hours_by_partner.items()}
    return per_partner, (statistics.median(all_hours) if all_hours else None)


def _charts(d: Dashboard) -> dict:
    charts = {}
    open_stages = [(s, n, a) for s, n, a in d.by_stage if s.kind == Stage.Kind.OPEN]
    charts["pipeline-stage"] = HBarChart(
        key="pipeline-stage",
        title=_("Open pipeline by stage"),
        series=[_("Amount")],
        bars=[
            Bar(f"{s.label} ({s.probability} %)", [a], [f"{_money(a, d.currency)} · {n}"])
            for s, n, a in open_stages
        ],
        note=", ".join(_money(a, c) for c, a in sorted(d.other_currencies.items())),
    ).layout()
    if d.scope.per_partner:
        top = [r for r in d.by_partner if r[2]][:TOP_PARTNERS]
        charts["pipeline-partner"] = HBarChart(
            key="pipeline-partner",
            title=_("Open pipeline by rep") if d.scope.by_rep else _("Open pipeline by partner"),
            series=[_("Amount")],
            bars=[Bar(name, [amount], [f"{_money(amount, d.currency)} · {n}"]) for _p, name, n, amount, *_r in top],
            note=_("Top %(n)s; the CSV has all of them.") % {"n": TOP_PARTNERS}
            if len(d.by_partner) > TOP_PARTNERS else "",
        ).layout()
    per_month = {m: [0, 0] for m in d.months}
    per_partner = {}
    for pid, name, month, c, v in d.lead_rows:
        if month in per_month:
            per_month[month][0] += c
            per_month[month][1] += v
        row = per_partner.setdefault((pid, name), [0, 0])
        row[0] += c
        row[1] += v
    charts["leads"] = ColumnChart(
        key="leads",
        title=_("Leads claimed and converted per month"),
        series=[_("Claimed"), _("Converted")],
        columns=[(dateformat.format(m, "M Y"), vals) for m, vals in per_month.items()],
    ).layout()
    if d.scope.per_partner:
        top = sorted(per_partner.items(), key=lambda kv: (-kv[1][0], kv[0][1]))[:TOP_PARTNERS]
        charts["leads-partner"] = HBarChart(
            key="leads",
            title=(_("Leads claimed and converted per rep (last %(n)s months)") if d.scope.by_rep
                   else _("Leads claimed and converted per partner (last %(n)s months)")) % {"n": MONTHS},
            series=[_("Claimed"), _("Converted")],
            bars=[Bar(name, [c, v], [str(c), str(v)]) for (_pid, name), (c, v) in top],
        ).layout()
    charts["response-time"] = HBarChart(
        key="response-time",
        title=_("Median time from claim to first status change"),
        series=[_("Hours")],
        bars=[Bar(name, [h], [f"{_hours(h)} · {n}"]) for _p, name, h, n in d.response[:TOP_PARTNERS]]
        if d.scope.per_partner else [],
    ).layout()
    win_bars = []
    if d.scope.per_partner:
        rated = [(name, won, lost) for _p, name, _n, _a, won, lost in d.by_partner if won + lost]
        rated.sort(key=lambda r: (-r[1] / (r[1] + r[2]), r[0]))
        win_bars = [
            Bar(name, [round(100 * w / (w + lo))], [f"{round(100 * w / (w + lo))} % · {w}/{w + lo}"])
            for name, w, lo in rated[:TOP_PARTNERS]
        ]
    charts["win-rate"] = HBarChart(
        key="win-rate", title=_("Win rate"), series=[_("Won %")], bars=win_bars
    ).layout()
    return charts


def dashboard_csv_rows(*, dashboard: Dashboard, chart: str) -> tuple[list, list]:
    """The numbers behind one chart: (header, rows)."""
    d = dashboard
    who = "owner" if d.scope.by_rep else "partner"
    if chart == "pipeline-stage":
        return (
            ["stage", "probability", "kind", "opportunities", f"amount_{d.currency}"],
            [[s.name, s.probability, s.kind, n, a] for s, n, a in d.by_stage],
        )
    if chart == "pipeline-partner":
        return (
            [who, "open_opportunities", f"open_amount_{d.currency}", "won", "lost"],
            [[name, n, a, w, lo] for _p, name, n, a, w, lo in d.by_partner],
        )
    if chart == "leads":
        return (
            [who, "month", "claimed", "converted"],
            [[name or str(d.scope.user), month.isoformat(), c, v] for _p, name, month, c, v in sorted(
                d.lead_rows, key=lambda r: (r[0] is None, r[0] or 0, r[2]))],
        )
    if chart == "response-time":
        rows = [[name, round(h, 2), n] for _p, name, h, n in d.response]
        rows.append(["(all)", round(d.response_overall, 2) if d.response_overall is not None else "", sum(
            r[3] for r in d.response)])
        return [who, "median_hours", "leads"], rows
    if chart == "win-rate":
        rows = [
            [name, w, lo, round(100 * w / (w + lo), 1) if w + lo else ""] for _p, name, _n, _a, w, lo in d.by_partner
        ]
        rows.append(["(all)", d.won, d.lost, d.win_rate if d.win_rate is not None else ""])
        return [who, "won", "lost", "win_rate_percent"], rows
    raise KeyError(chart)
