"""Benchmark: partner reps pressing Accept on queue leads, over real HTTP, against gunicorn on PostgreSQL.

Run by `make bench-claims`. Uses its own database, named after DATABASE_URL's with a `_claims` suffix, dropped
and rebuilt on each run. 1,000 queue leads; 64 partner users in 8 partner accounts, each user limited to 20 open
queue leads and each account to 100 (so both limits bind). 32 client threads, each signed in as two reps (real
sessions, CSRF tokens, cookies), press Accept for 20 s on leads near the top of their queue view, so many
presses race for the same lead. Then the database is checked:

- double_claims: leads with more than one `claimed` event, or whose owner is not the claimer recorded;
- limit_violations: reps holding more than 20 open queue leads, accounts more than 100, quota counters that
  disagree with the leads.

queries_per_claim is measured in-process (Django test client) for one successful Accept.
The last line is:
claims: clients=32 leads=1000 accepted=N double_claims=0 limit_violations=0 rps=X p50_ms=Y p95_ms=Z queries_per_claim=Q
"""

import http.client
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
    probe_lead = Lead.objects.create(company="Probe Customer", last_name="Probe", queue=probe_queue)
    return queue, reps, probe, probe_lead


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_gunicorn(db_url, port):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": SETTINGS, "DATABASE_URL": db_url + "?conn_max_age=600",
           "PYTHONWARNINGS": "ignore::UserWarning"}
    cmd = [str(ROOT / ".venv/bin/gunicorn"), "prm_portal.wsgi:application", "-b", f"127.0.0.1:{port}",
           "-k", "gthread", "--workers", "4", "--threads", "3", "--backlog", "256", "--keep-alive", "30",
           "--log-level", "warning"]
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


class Rep:
    def __init__(self, browser):
        self.browser = browser
        self.lead_ids = []
        self.token = ""

    def refresh(self):
        _, page = self.browser.request("GET", "/leads/rows/?view=queue")  # what the Leads tab polls
        self.lead_ids = [int(i) for i in ACCEPT_RE.findall(page)]
        match = CSRF_RE.search(page)
        self.token = match.group(1) if match else self.token


def _client(reps, stop_at, latencies, counts, lock, seed):
    rng = random.Random(seed)
    for rep in reps:
        rep.refresh()
    mine, posts = [], 0
    turn = 0
    while time.monotonic() < stop_at:
        rep = reps[turn % len(reps)]
        turn += 1
        if not rep.lead_ids:
            rep.refresh()
            if not rep.lead_ids:
                time.sleep(0.05)
                continue
        lead_id = rep.lead_ids.pop(rng.randrange(min(10, len(rep.lead_ids))))
        started = time.perf_counter()
        status, _ = rep.browser.request("POST", f"/leads/{lead_id}/accept/", {"csrfmiddlewaretoken": rep.token})
        mine.append((time.perf_counter() - started) * 1000)
        posts += 1
        if status != 302:
            raise SystemExit(f"Accept answered {status}")
        if posts % 4 == 0:
            rep.refresh()  # the queue view as the rep sees it after a few presses
    with lock:
        latencies.extend(mine)
        counts.append(posts)


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


def _queries_per_claim(probe, probe_lead):
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(probe)
    client.get("/leads/")
    with CaptureQueriesContext(connection) as ctx:
        response = client.post(f"/leads/{probe_lead.pk}/accept/")
    assert response.status_code == 302
    probe_lead.refresh_from_db()
    assert probe_lead.owner_id == probe.pk
    return len(ctx.captured_queries)


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
    queue, reps, probe, probe_lead = _populate()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    connection.close()

    port = _free_port()
    server = _start_gunicorn(db_url, port)
    try:
        sessions = [_sign_in(port, rep, form=i < 20) for i, rep in enumerate(reps)]
        groups = [[Rep(sessions[i]), Rep(sessions[i + CLIENTS])] for i in range(CLIENTS)]
        latencies, counts, lock = [], [], threading.Lock()
        stop_at = time.monotonic() + DURATION
        started = time.monotonic()
        threads = [threading.Thread(target=_client, args=(group, stop_at, latencies, counts, lock, i))
                   for i, group in enumerate(groups)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(20)

    accepted, double, violations = _check(queue)
    queries = _queries_per_claim(probe, probe_lead)
    latencies.sort()
    p50 = statistics.median(latencies)
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    print(f"accept presses={sum(counts)} over {elapsed:.1f}s; limits {PER_USER}/user, {PER_PARTNER}/partner "
          f"({PARTNERS} partners x {REPS // PARTNERS} reps)")
    print(
        f"claims: clients={CLIENTS} leads={LEADS} accepted={accepted} double_claims={double} "
        f"limit_violations={violations} rps={sum(counts) / elapsed:.0f} p50_ms={p50:.1f} p95_ms={p95:.1f} "
        f"queries_per_claim={queries}"
    )
    return 0 if double == 0 and violations == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
