"""Benchmark: the Home dashboard over 100,000 opportunities across 500 partners (server side).

Run by `make bench-dashboard`. Uses its own database, named after BENCH_DATABASE_URL's with a `_dashboard`
suffix (so other benchmarks sharing that URL are never disturbed), dropped and rebuilt on each run.
Then, in the same run and database, the opportunities grow tenfold to 1,000,000 (each one copied nine times by
INSERT ... SELECT: same partners, owners, stages, amounts, dates), VACUUM ANALYZE, and the vendor admin's uncached
dashboard is timed again (p95_1m_ms). Both bulk loads bypass the opportunity services, so each ends as an install's
migration does: pipeline_summary_rebuild() fills the dashboards' summary from the deals (untimed). The last line is:
dashboard: opportunities=100000 p95_ms=… queries=… cached_p95_ms=… p95_1m_ms=… queries_1m=… sql_p95_ms=… sql_p95_1m_ms=…
(sql_*: the page's own SELECTs replayed straight through the connection, without Django or the template.)
"""

import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.benchdb import database_url, recreate_database  # noqa: E402

OPPORTUNITIES = 100_000
PARTNERS = 500
MANAGERS = 25
LEADS = 30_000
RUNS = 30


def _populate():
    import random
    from datetime import timedelta
    from decimal import Decimal

    from django.contrib.auth.hashers import make_password
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from django.utils import timezone

    from accounts.models import PartnerAccount, PortalSettings, User
    from leads.events import LeadEvent
    from leads.models import Lead
    from opportunities.models import CustomerAccount, Opportunity, Stage
    from prm_portal.core.models import ActivityEvent

    rng = random.Random(7)
    now = timezone.now()
    password = make_password("bench-Password-1")
    PortalSettings.objects.update_or_create(id=1, defaults={"prm_enabled": True, "prm_enabled_at": now})
    admin = User.objects.create(email="admin@bench.example", role=User.Role.VENDOR_ADMIN, is_superuser=True,
                                is_staff=True, password=password)
    managers = User.objects.bulk_create(
        User(email=f"cm{i}@bench.example", role=User.Role.CHANNEL_MANAGER, is_staff=True, password=password)
        for i in range(MANAGERS)
    )
    partners = PartnerAccount.objects.bulk_create(
        PartnerAccount(name=f"Partner {i:03d}", owner=managers[i % MANAGERS], is_partner=True,
                       partner_enabled_at=now, country="CZ")
        for i in range(PARTNERS)
    )
    users = User.objects.bulk_create(
        User(email=f"rep{p.pk}-{j}@bench.example", partner_account=p, password=password, last_login=now,
             role=User.Role.PARTNER_ADMIN if j == 0 else User.Role.PARTNER_USER)
        for p in partners for j in range(2)
    )
    reps = {}
    for u in users:
        reps.setdefault(u.partner_account_id, []).append(u)
    customers = CustomerAccount.objects.bulk_create(
        CustomerAccount(name=f"Customer {p.pk}-{k}", partner_account=p) for p in partners for k in range(10)
    )
    by_partner = {}
    for c in customers:
        by_partner.setdefault(c.partner_account_id, []).append(c)
    stages = list(Stage.objects.order_by("order"))
    weights = [20, 15, 12, 10, 8, 20, 15][: len(stages)]
    currencies = ["EUR"] * 18 + ["USD", "CZK"]
    batch = []
    for i in range(OPPORTUNITIES):
        p = partners[i % PARTNERS]
        batch.append(Opportunity(
            name=f"Deal {i}", partner_account=p, owner=rng.choice(reps[p.pk]),
            customer_account=rng.choice(by_partner[p.pk]), stage=rng.choices(stages, weights)[0],
            amount=Decimal(rng.randrange(1_000, 250_000)), currency=rng.choice(currencies),
            close_date=(now + timedelta(days=rng.randint(-200, 200))).date(),
        ))
        if len(batch) == 10_000:
            Opportunity.objects.bulk_create(batch)
            batch = []
    Opportunity.objects.bulk_create(batch)

    leads = []
    for i in range(LEADS):
        p = partners[i % PARTNERS]
        leads.append(Lead(company=f"Lead {i}", last_name="Contact", owner=rng.choice(reps[p.pk]),
                          partner_account=p, status=rng.choice(["working", "qualified", "converted"]),
                          claimed_at=now - timedelta(hours=rng.randint(1, 24 * 180))))
    leads = Lead.objects.bulk_create(leads, batch_size=5_000)
    lead_ct = ContentType.objects.get_for_model(Lead)
    events = []
    for lead in leads:
        events.append(ActivityEvent(content_type=lead_ct, object_id=lead.pk, verb=LeadEvent.CLAIMED.value,
                                    partner_account_id=lead.partner_account_id, data={}))
        if rng.random() < 0.8:
            events.append(ActivityEvent(content_type=lead_ct, object_id=lead.pk, verb=LeadEvent.STATUS_CHANGED.value,
                                        partner_account_id=lead.partner_account_id,
                                        data={"changes": {"status": ["new", "working"]},
                                              "after_hours": rng.randint(1, 96)}))
    ActivityEvent.objects.bulk_create(events, batch_size=5_000)
    with connection.cursor() as cur:
        # auto_now_add ignores the values given to bulk_create: spread the history over the last 8 months.
        cur.execute("UPDATE opportunities_opportunity SET created_at = now() - random() * interval '240 days'")
        cur.execute(
            "UPDATE core_activityevent e SET created_at = l.claimed_at + "
            "  CASE WHEN e.verb = %s THEN interval '0' "
            "  ELSE ((e.data->>'after_hours')::int * interval '1 hour') END "
            "FROM leads_lead l WHERE e.object_id = l.id AND e.content_type_id = %s",
            [LeadEvent.CLAIMED.value, lead_ct.pk],
        )
        # A sixth of the leads became opportunities.
        cur.execute(
            "UPDATE opportunities_opportunity o SET source_lead_id = l.id FROM ("
            "  SELECT id, row_number() OVER (ORDER BY id) AS n FROM leads_lead WHERE status = 'converted') l "
            "WHERE o.id = (SELECT min(id) FROM opportunities_opportunity) + l.n * 7"
        )
    from leads.services import lead_first_responses_rebuild

    lead_first_responses_rebuild()  # the leads' first responses, as the migration reads them from the events
    _summary_rebuild("populated")
    connection.close()
    import psycopg2  # VACUUM cannot run in a transaction block

    parts = urlsplit(os.environ["DATABASE_URL"])
    raw = psycopg2.connect(host=parts.hostname, port=parts.port or 5432, user=parts.username or "postgres",
                           password=parts.password or None, dbname=parts.path.lstrip("/"))
    raw.autocommit = True
    with raw.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    raw.close()
    return admin, managers[0]


def _time(client, runs, *, cold):
    from django.core.cache import cache

    timings = []
    for _ in range(runs):
        if cold:
            cache.clear()  # the dashboard's numbers computed from the database, not from its cache
        start = time.perf_counter()
        response = client.get("/")
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code
    return timings


def _p95(values):
    return statistics.quantiles(values, n=20)[-1]


def main():
    base, url, name = database_url("dashboard")
    reuse = os.environ.get("BENCH_REUSE") == "1"  # iterate on the code without rebuilding the data
    if not reuse:
        recreate_database(base, name)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm_portal.settings.test")
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from opportunities.models import Opportunity

    setup_test_environment()
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    from accounts.models import User

    if reuse:
        admin, manager = User.objects.get(email="admin@bench.example"), User.objects.get(email="cm0@bench.example")
        _summary_rebuild("reused")
    else:
        admin, manager = _populate()

    count = Opportunity.objects.count()
    print(f"populated {count} opportunities in {time.perf_counter() - t0:.0f} s", flush=True)

    if os.environ.get("BENCH_GC_FREEZE", "1") == "1":
        # What prm_portal/wsgi.py does in every server process after loading the app: the start-up heap
        # leaves the collector's generations, so full collections stop costing tens of ms mid-request.
        import gc

        gc.collect()
        gc.freeze()
    results = {}
    for label, user in (("channel manager (20 partners)", manager), ("vendor admin (all)", admin)):
        client = Client()
        client.force_login(user)
        _time(client, 3, cold=True)  # warm up the process
        queries = []
        cache.clear()
        with connection.execute_wrapper(
                lambda execute, sql, *args: queries.append((sql, args[0])) or execute(sql, *args)):
            response = client.get("/")
        assert b"Open pipeline by stage" in response.content
        cold = _time(client, RUNS, cold=True)
        warm = _time(client, RUNS, cold=False)
        results[label] = (_p95(cold), len(queries), _p95(warm), _sql_profile(queries, label))
        print(f"  {label}: uncached p50_ms={statistics.median(cold):.1f} p95_ms={_p95(cold):.1f} "
              f"queries={len(queries)}; cached p50_ms={statistics.median(warm):.1f} p95_ms={_p95(warm):.1f}",
              flush=True)
    # For information: the Opportunities tab over the same rows (newest first, then sorted by amount).
    client = Client()
    client.force_login(admin)
    for path in ("/opportunities/", "/opportunities/?sort=-amount&page=3"):
        timings = []
        for _ in range(RUNS):
            start = time.perf_counter()
            assert client.get(path).status_code == 200
            timings.append((time.perf_counter() - start) * 1000)
        print(f"  list {path}: p50_ms={statistics.median(timings):.1f} p95_ms={_p95(timings):.1f}", flush=True)
    p95, queries, warm_p95, sql_p95 = results["vendor admin (all)"]

    t0 = time.perf_counter()
    _grow(OPPORTUNITIES_GROWN // OPPORTUNITIES - 1)
    grown = Opportunity.objects.count()
    print(f"grown to {grown} opportunities in {time.perf_counter() - t0:.0f} s", flush=True)
    client = Client()
    client.force_login(admin)
    _time(client, 3, cold=True)
    queries_1m = []
    cache.clear()
    with connection.execute_wrapper(
            lambda execute, sql, *args: queries_1m.append((sql, args[0])) or execute(sql, *args)):
        assert b"Open pipeline by stage" in client.get("/").content
    cold_1m = _time(client, RUNS, cold=True)
    print(f"  vendor admin (all) at {grown}: uncached p50_ms={statistics.median(cold_1m):.1f} "
          f"p95_ms={_p95(cold_1m):.1f} queries={len(queries_1m)}", flush=True)
    sql_p95_1m = _sql_profile(queries_1m, f"vendor admin (all) at {grown}")
    # p95_ms is the uncached figure: every run recomputes the numbers from the 100,000 rows. sql_p95_ms is the same
    # page's statements alone, replayed straight through the connection: the part of p95_ms that is the database's.
    print(f"dashboard: opportunities={count} p95_ms={p95:.1f} queries={queries} cached_p95_ms={warm_p95:.1f} "
          f"p95_1m_ms={_p95(cold_1m):.1f} queries_1m={len(queries_1m)} sql_p95_ms={sql_p95:.1f} "
          f"sql_p95_1m_ms={sql_p95_1m:.1f}")


def _part(sql):
    """Which part of the dashboard a statement computes."""
    if "pipelinesummary" in sql:
        return "pipeline"
    if "core_activityevent" in sql:
        return "response"
    if "leads_lead" in sql:
        return "claimed"
    if "opportunities_opportunity" in sql:
        return "converted"
    return "other"


def _sql_profile(statements, label):
    """Replay an uncached page's SELECTs RUNS times straight through the database connection (no Django, no
    template): prints each part's median and returns the p95 of their total."""
    from django.db import connection

    selects = [(sql, params) for sql, params in statements if sql.lstrip().upper().startswith("SELECT")]
    parts, totals = {}, []
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor  # the driver's own cursor
        for _ in range(RUNS):
            run = {}
            for sql, params in selects:
                start = time.perf_counter()
                cursor.execute(sql, params)
                cursor.fetchall()
                run[_part(sql)] = run.get(_part(sql), 0.0) + (time.perf_counter() - start) * 1000
            for name, ms in run.items():
                parts.setdefault(name, []).append(ms)
            totals.append(sum(run.values()))
    per_part = " ".join(f"{name}={statistics.median(v):.1f}" for name, v in sorted(parts.items()))
    print(f"  {label}: its SQL alone p50_ms={statistics.median(totals):.1f} p95_ms={_p95(totals):.1f} "
          f"(medians per part, ms: {per_part})", flush=True)
    return _p95(totals)


OPPORTUNITIES_GROWN = 1_000_000


def _summary_rebuild(label):
    """The deals were written in bulk, past the services: fill the dashboards' pipeline summary from them, as the
    migration does on an install (not part of any timed figure)."""
    from opportunities.services import pipeline_summary_rebuild

    t0 = time.perf_counter()
    rows = pipeline_summary_rebuild()
    print(f"  pipeline summary ({label}): {rows} rows in {time.perf_counter() - t0:.1f} s", flush=True)
    _summary_check()


def _summary_check():
    """The dashboards read the summary: it must hold exactly what grouping the deals gives, both ways."""
    from django.db import connection

    fresh = ("SELECT partner_account_id, owner_id, stage_id, currency, COUNT(*), COALESCE(SUM(amount), 0) "
             "FROM opportunities_opportunity GROUP BY 1, 2, 3, 4")
    summary = ("SELECT partner_account_id, owner_id, stage_id, currency, n, amount "
               "FROM opportunities_pipelinesummary WHERE n <> 0")
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM (({fresh}) EXCEPT ({summary})) a")  # noqa: S608
        missing = cur.fetchone()[0]
        cur.execute(f"SELECT count(*) FROM (({summary}) EXCEPT ({fresh})) a")  # noqa: S608
        extra = cur.fetchone()[0]
    assert missing == extra == 0, f"pipeline summary differs from the deals: {missing} missing, {extra} extra rows"


def _grow(copies):
    """Each opportunity copied `copies` times (new names, same everything else), then VACUUM ANALYZE."""
    from django.db import connection

    from opportunities.models import Opportunity

    columns = [f.column for f in Opportunity._meta.concrete_fields if not f.primary_key]
    exprs = [f"o.{c}" if c not in ("name", "source_lead_id") else ("o.name || ' #' || g" if c == "name" else "NULL")
             for c in columns]
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO opportunities_opportunity ({', '.join(columns)}) "  # noqa: S608
                    f"SELECT {', '.join(exprs)} FROM opportunities_opportunity o, generate_series(1, %s) g",
                    [copies])
    _summary_rebuild("grown")
    connection.close()
    import psycopg2

    raw = psycopg2.connect(os.environ["DATABASE_URL"])
    raw.autocommit = True
    with raw.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    raw.close()


if __name__ == "__main__":
    main()
