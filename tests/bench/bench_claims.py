"""Benchmark: partner reps pressing Accept on queue leads, over real HTTP, against gunicorn on PostgreSQL.

Run by `make bench-claims`. Uses its own database, named after DATABASE_URL's with a `_claims` suffix, dropped
and rebuilt on each run. 1,000 queue leads; 64 partner users in 8 partner accounts, each user limited to 20 open
queue leads and each account to 100 (so both limits bind). 32 client threads, each signed in as two reps (real
sessions, CSRF tokens, cookies), press Accept for 20 s on leads near the top of their queue view, so many
presses race for the same lead. Then the database is checked:

- double_claims: leads with more than one `claimed` event, or whose owner is not the claimer recorded;
- limit_violations: reps holding more than 20 open queue leads, accounts more than 100, quota counters that
  disagree with the leads.

queries_per_claim is measured in-process (Django test client) for one successful Accept, a rep's second: their
first ever costs one more statement (it makes their quota rows) and is printed on the line before.

The presses come from tests/bench/loadgen.py, a separate process (one asyncio thread: the load costs a fraction of
a core and none of the server's processes). The server is gunicorn (gthread) with the settings the test suite uses,
on kept connections (conn_max_age, so its hot statements are prepared once per connection), 2 workers x 6 threads.
That shape kept the tail shortest on 2 cores: a kept-alive connection stays with the worker that accepted it, and
with 4 workers some held twice the connections of others (a connection's median latency was 11-18 ms on one
worker and 74-86 ms on another), while 2 workers of 6 threads gave p95 96-107 ms against 117-138 ms for 4 x 3 at
the same throughput. BENCH_WORKERS, BENCH_THREADS, BENCH_KEEPALIVE and BENCH_WORKER_CLASS try others.

Then, in the same run on the same database, the floor: the leads and quotas are put back as they were, and for
the same 20 s as many psycopg2 connections as clients issue the claim as the service did it statement by statement
(BEGIN; user quota upsert; partner quota upsert; conditional UPDATE of the lead; COMMIT, or ROLLBACK when refused),
and give every lead they took back (lead to its queue, both quotas - 1) so the run never runs dry: raw_rps is
claims per second, ratio = rps / raw_rps. The last line is:
claims: clients=32 leads=1000 accepted=N double_claims=0 limit_violations=0 rps=X p50_ms=Y p95_ms=Z queries_per_claim=Q
        raw_rps=R ratio=X/R
"""

import http.client
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.benchdb import database_url, recreate_database  # noqa: E402

CLIENTS = 32
REPS = 64
PARTNERS = 8
LEADS = 1000
PER_USER = 20
PER_PARTNER = 100
DURATION = 20.0
PASSWORD = "bench-Password-2026"
SETTINGS = "prm_portal.settings.test"
ACCEPT_RE = re.compile(r'action="/leads/(\d+)/accept/"')
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _populate():
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from accounts.models import PartnerAccount, PortalSettings, User
    from leads.models import ClaimLimitSettings, Lead, Queue

    PortalSettings.objects.update_or_create(id=1, defaults={"prm_enabled": True, "prm_enabled_at": timezone.now()})
    ClaimLimitSettings.objects.update_or_create(
        id=1, defaults={"max_open_per_user": PER_USER, "max_open_per_partner": PER_PARTNER}
    )
    manager = User.objects.create(email="cm@bench.example", role=User.Role.CHANNEL_MANAGER, is_staff=True)
    partners = [
        PartnerAccount.objects.create(name=f"Bench Partner {i}", owner=manager, is_partner=True,
                                      partner_enabled_at=timezone.now())
        for i in range(PARTNERS)
    ]
    queue = Queue.objects.create(name="Bench queue")
    queue.member_accounts.add(*partners)
    hashed = make_password(PASSWORD)
    now = timezone.now()
    reps = User.objects.bulk_create([
        User(email=f"rep{i:02d}@bench.example", first_name="Rep", last_name=f"{i:02d}", role=User.Role.PARTNER_USER,
             partner_account=partners[i % PARTNERS], password=hashed, last_login=now)
        for i in range(REPS)
    ])
    Lead.objects.bulk_create([
        Lead(company=f"Bench Customer {i:04d}", last_name="Buyer", queue=queue, country="CZ") for i in range(LEADS)
    ])
    # One more rep and lead, outside the run, to count the queries of one Accept.
    extra = PartnerAccount.objects.create(name="Bench Probe", owner=manager, is_partner=True,
                                          partner_enabled_at=now)
    probe_queue = Queue.objects.create(name="Bench probe queue")
    probe_queue.member_accounts.add(extra)
    probe = User.objects.create(email="probe@bench.example", role=User.Role.PARTNER_USER, partner_account=extra,
                                password=hashed, last_login=now)
    probe_leads = [Lead.objects.create(company=f"Probe Customer {i}", last_name="Probe", queue=probe_queue)
                   for i in range(2)]
    return queue, reps, probe, probe_leads


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_gunicorn(db_url, port):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": SETTINGS, "DATABASE_URL": db_url + "?conn_max_age=600",
           "PYTHONWARNINGS": "ignore::UserWarning"}
    cmd = [str(ROOT / ".venv/bin/gunicorn"), "prm_portal.wsgi:application", "-b", f"127.0.0.1:{port}",
           # BENCH_WORKER_CLASS / BENCH_WORKERS / BENCH_THREADS / BENCH_KEEPALIVE try other shapes (docstring).
           "-k", os.environ.get("BENCH_WORKER_CLASS", "gthread"), "--workers", os.environ.get("BENCH_WORKERS", "2"),
           "--threads", os.environ.get("BENCH_THREADS", "6"), "--backlog", "256",
           "--keep-alive", os.environ.get("BENCH_KEEPALIVE", "30"), "--log-level", "warning"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)
    for _ in range(150):
        try:
            if Browser(port).request("GET", "/healthz")[0] == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("gunicorn did not start")


class Browser:
    """A minimal HTTP/1.1 client with a cookie jar and a kept-alive connection: cheap enough on CPU that the
    load generator leaves the two cores to the server."""

    def __init__(self, port):
        self.port = port
        self.cookies = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method, path, form=None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                text = response.read().decode()
                break
            except (ConnectionError, http.client.HTTPException):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt == 2:
                    raise
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, value = header.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value
        return response.status, text


def _sign_in(port, user, form):
    """A real session: through the sign-in form for the first reps (allauth rate-limits sign-ins per IP to 30 a
    minute, a protection this benchmark keeps), a server-side login for the rest. CSRF comes from the pages."""
    from django.conf import settings
    from django.test import Client

    browser = Browser(port)
    if form:
        _, page = browser.request("GET", "/auth/login/")
        token = CSRF_RE.search(page).group(1)
        status, _ = browser.request("POST", "/auth/login/", {"csrfmiddlewaretoken": token, "login": user.email,
                                                              "password": PASSWORD})
        if status != 302:
            raise SystemExit(f"sign-in failed for {user.email}: {status}")
    else:
        client = Client()
        client.force_login(user)
        browser.cookies[settings.SESSION_COOKIE_NAME] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return browser


def _load(port, sessions):
    """The presses, from loadgen.py in its own process: 32 clients of two reps each, for DURATION seconds."""
    plan = {"port": port, "duration": DURATION,
            "groups": [[sessions[i].cookies, sessions[i + CLIENTS].cookies] for i in range(CLIENTS)]}
    done = subprocess.run([sys.executable, str(Path(__file__).with_name("loadgen.py"))], input=json.dumps(plan),
                          capture_output=True, text=True, check=True)
    result = json.loads(done.stdout)
    refused = {k: v for k, v in result["statuses"].items() if k != "302"}
    if refused:
        raise SystemExit(f"Accept answered other than 302: {refused}")
    return result


def _check(queue):
    from django.db.models import Count

    from accounts.models import PartnerAccount, User
    from leads.events import LeadEvent
    from leads.models import Lead, PartnerClaimQuota, UserClaimQuota
    from prm_portal.core.models import ActivityEvent

    bench_leads = Lead.objects.filter(company__startswith="Bench Customer")
    accepted = bench_leads.filter(owner__isnull=False).count()
    claimed_events = ActivityEvent.objects.filter(
        verb__in=[LeadEvent.CLAIMED, LeadEvent.CLAIMED_DIRECT], object_id__in=bench_leads.values("pk"))
    double = claimed_events.values("object_id").annotate(n=Count("id")).filter(n__gt=1).count()
    owners = dict(bench_leads.filter(owner__isnull=False).values_list("pk", "owner_id"))
    double += sum(1 for object_id, actor_id in claimed_events.values_list("object_id", "actor_id")
                  if owners.get(object_id) != actor_id)
    violations = 0
    held = Lead.objects.filter(holds_claim=True)
    per_user = dict(held.values("owner_id").annotate(n=Count("id")).values_list("owner_id", "n"))
    per_partner = dict(held.values("partner_account_id").annotate(n=Count("id"))
                       .values_list("partner_account_id", "n"))
    violations += sum(1 for n in per_user.values() if n > PER_USER)
    violations += sum(1 for n in per_partner.values() if n > PER_PARTNER)
    for user_id, n in UserClaimQuota.objects.values_list("user_id", "open_count"):
        violations += n != per_user.get(user_id, 0)
    for partner_id, n in PartnerClaimQuota.objects.values_list("partner_account_id", "open_count"):
        violations += n != per_partner.get(partner_id, 0)
    assert User.objects.filter(email__endswith="@bench.example", role="partner_user").count() == REPS + 1
    assert PartnerAccount.objects.count() == PARTNERS + 1
    return accepted, double, violations


RAW_CLAIM = [
    ("INSERT INTO leads_userclaimquota (user_id, open_count, ceiling) VALUES (%(user)s, 1, %(per_user)s) "
     "ON CONFLICT (user_id) DO UPDATE SET open_count = leads_userclaimquota.open_count + 1, "
     "ceiling = EXCLUDED.ceiling WHERE leads_userclaimquota.open_count < EXCLUDED.ceiling RETURNING open_count"),
    ("INSERT INTO leads_partnerclaimquota (partner_account_id, open_count, ceiling) "
     "VALUES (%(partner)s, 1, %(per_partner)s) ON CONFLICT (partner_account_id) DO UPDATE SET "
     "open_count = leads_partnerclaimquota.open_count + 1, ceiling = EXCLUDED.ceiling "
     "WHERE leads_partnerclaimquota.open_count < EXCLUDED.ceiling RETURNING open_count"),
    ("UPDATE leads_lead SET owner_id = %(user)s, partner_account_id = %(partner)s, source_queue_id = queue_id, "
     "queue_id = NULL, claimed_at = now(), holds_claim = true, updated_at = now(), version = version + 1 "
     "WHERE id = %(lead)s AND owner_id IS NULL AND queue_id = %(queue)s RETURNING id"),
]
RAW_RELEASE = [
    ("UPDATE leads_lead SET owner_id = NULL, partner_account_id = NULL, queue_id = source_queue_id, "
     "source_queue_id = NULL, claimed_at = NULL, holds_claim = false, updated_at = now(), version = version + 1 "
     "WHERE id = %(lead)s"),
    "UPDATE leads_userclaimquota SET open_count = open_count - 1 WHERE user_id = %(user)s",
    "UPDATE leads_partnerclaimquota SET open_count = open_count - 1 WHERE partner_account_id = %(partner)s",
]


def _reset(queue):
    """Every bench lead back in the queue, every quota at 0: the state the HTTP run started from."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("UPDATE leads_lead SET owner_id = NULL, partner_account_id = NULL, queue_id = %s, "
                    "source_queue_id = NULL, claimed_at = NULL, holds_claim = false "
                    "WHERE company LIKE 'Bench Customer %%'", [queue.pk])
        cur.execute("UPDATE leads_userclaimquota SET open_count = 0")
        cur.execute("UPDATE leads_partnerclaimquota SET open_count = 0")
    connection.close()


def _raw_worker(db_url, jobs, stop_at, counts, seed):
    """Claims straight through psycopg2, as the service did them before the one-statement claim."""
    import psycopg2

    rng = random.Random(seed)
    conn = psycopg2.connect(db_url)
    attempts = won = 0
    with conn.cursor() as cur:
        while time.monotonic() < stop_at:
            job = rng.choice(jobs["reps"]) | {"lead": rng.choice(jobs["leads"])}
            took = True
            for sql in RAW_CLAIM:  # psycopg2 opens the transaction (BEGIN) with the first statement
                cur.execute(sql, job)
                if cur.fetchone() is None:
                    took = False
                    break
            attempts += 1
            if not took:
                conn.rollback()
                continue
            conn.commit()
            won += 1
            for sql in RAW_RELEASE:
                cur.execute(sql, job)
            conn.commit()
    conn.close()
    counts.append((attempts, won))


def _raw_rps(db_url, queue, reps):
    from leads.models import Lead

    _reset(queue)
    jobs = {"reps": [{"user": r.pk, "partner": r.partner_account_id, "per_user": PER_USER,
                      "per_partner": PER_PARTNER, "queue": queue.pk} for r in reps],
            "leads": list(Lead.objects.filter(queue=queue).values_list("pk", flat=True))}
    from django.db import connection

    connection.close()
    counts = []
    stop_at = time.monotonic() + DURATION
    started = time.monotonic()
    threads = [threading.Thread(target=_raw_worker, args=(db_url, jobs, stop_at, counts, i)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    attempts, won = sum(a for a, _ in counts), sum(w for _, w in counts)
    print(f"raw: {attempts} claims ({won} took a lead, each given back) over {elapsed:.1f}s on {CLIENTS} connections")
    return attempts / elapsed


def _queries_per_claim(probe, probe_leads):
    """Queries of the probe rep's first Accept ever (their quota rows are made then) and of their next one."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(probe)
    client.get("/leads/")
    counts = []
    for lead in probe_leads:
        with CaptureQueriesContext(connection) as ctx:
            response = client.post(f"/leads/{lead.pk}/accept/")
        assert response.status_code == 302
        lead.refresh_from_db()
        assert lead.owner_id == probe.pk
        counts.append(len(ctx.captured_queries))
    return counts


def main():
    base_url, db_url, name = database_url("claims")
    recreate_database(base_url, name)
    os.environ["DATABASE_URL"] = db_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    queue, reps, probe, probe_leads = _populate()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    connection.close()

    port = _free_port()
    server = _start_gunicorn(db_url, port)
    try:
        sessions = [_sign_in(port, rep, form=i < 20) for i, rep in enumerate(reps)]
        for browser in sessions:
            browser.conn.close()
        result = _load(port, sessions)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(20)

    accepted, double, violations = _check(queue)
    first_claim_queries, queries = _queries_per_claim(probe, probe_leads)
    raw_rps = _raw_rps(db_url, queue, reps)
    latencies = sorted(result["latencies"])
    elapsed = result["elapsed"]
    presses = len(latencies)
    p50 = statistics.median(latencies)
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    rps = presses / elapsed
    print(f"accept presses={presses} over {elapsed:.1f}s; limits {PER_USER}/user, {PER_PARTNER}/partner "
          f"({PARTNERS} partners x {REPS // PARTNERS} reps); load generator CPU {result['cpu_s']:.1f}s; "
          f"queries of a rep's first Accept ever {first_claim_queries}, of the next {queries}")
    print(
        f"claims: clients={CLIENTS} leads={LEADS} accepted={accepted} double_claims={double} "
        f"limit_violations={violations} rps={rps:.0f} p50_ms={p50:.1f} p95_ms={p95:.1f} "
        f"queries_per_claim={queries} raw_rps={raw_rps:.0f} ratio={rps / raw_rps:.3f}"
    )
    return 0 if double == 0 and violations == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
