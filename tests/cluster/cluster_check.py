"""`make cluster-check`: the portal scaled out on one machine, and the proof that nothing happens twice.

Starts, all on 127.0.0.1 against one PostgreSQL database of its own (CLUSTER_DATABASE_URL, dropped and created
fresh) and one Redis db of its own (CLUSTER_REDIS_URL, flushed; broker and cache):

- two gunicorn instances on two ports, two Celery workers, two Celery beats (tests/cluster/cluster_settings.py:
  the expiry, outbox sweep and heartbeat every 4 s, so both beats send each of them, often at the same moment);
- mail goes to files (EMAIL_URL=filemail:////tmp/...: four slashes for an absolute path), one Message-ID header
  per delivered email.

Then it drives partner reps pressing Accept through BOTH web instances at once (real sign-ins and sessions, CSRF
tokens from the pages; a session made on one instance is used on the other), with per-rep and per-partner claim
limits that bind, while overdue referrals expire and emails (the expiry emails, reminders and a batch queued
directly) go through the outbox on both workers. It checks:

- double_claims: leads with more than one claim event, or whose owner is not the claimer recorded;
- limit_violations: reps or partners holding more open queue leads than their limit, quota counters that disagree;
- referrals: every overdue referral Expired, with exactly one expiry event (expired_twice counts the others);
- emails: every outbox row Sent, each Message-ID delivered exactly once (duplicate_emails, missing_emails);
- readyz: /readyz answers 200 on both web instances at the end (database, cache, broker, beat, outbox).

Prints its figures on its last line and exits 1 on any violation. Every process it started is stopped, in bounded
time, whatever happens. Only 127.0.0.1 is contacted.
"""

import http.client
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.bench_expiry import _columns_sql  # noqa: E402
from tests.bench.benchdb import recreate_database  # noqa: E402

SETTINGS = "tests.cluster.cluster_settings"
PARTNERS, REPS_PER_PARTNER, LEADS = 4, 4, 160
PER_USER, PER_PARTNER = 6, 18  # 4 reps x 6 > 18: the partner limit binds as well as the rep's
OVERDUE, EXPIRING_SOON, DIRECT_EMAILS = 60, 20, 60
CLIENT_THREADS, CLAIM_SECONDS = 8, 12
SETTLE_TIMEOUT, QUIET_SECONDS = 150, 8
PASSWORD = "Cluster-Check-Password-2026"
ACCEPT_RE = re.compile(r'action="/leads/(\d+)/accept/"')
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
MESSAGE_ID_RE = re.compile(r"^Message-ID:\s*(\S+)", re.M | re.I)


# --- processes --------------------------------------------------------------------------------------------------


class Processes:
    """Everything started here, each in its own session; `stop()` ends them all (TERM, then KILL after 20 s)."""

    def __init__(self, env, logdir):
        self.env, self.logdir, self.procs = env, logdir, []

    def start(self, name, *args):
        log = open(self.logdir / f"{name}.log", "w")  # noqa: SIM115 - lives as long as the process
        proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / args[0]), *args[1:]], cwd=ROOT, env=self.env,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append((name, proc, log))
        return proc

    def check_alive(self):
        for name, proc, _ in self.procs:
            if proc.poll() is not None:
                tail = (self.logdir / f"{name}.log").read_text()[-2000:]
                raise SystemExit(f"{name} stopped (exit {proc.returncode}):\n{tail}")

    def stop(self):
        for _, proc, _ in self.procs:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 20
        for _, proc, log in self.procs:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(5)
            log.close()


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """A cookie jar with one kept-alive connection per web instance; each request goes to the next instance."""

    def __init__(self, ports):
        self.ports, self.turn, self.cookies = list(ports), 0, {}
        self.conns = {port: http.client.HTTPConnection("127.0.0.1", port, timeout=30) for port in self.ports}

    def request(self, method, path, form=None, port=None):
        if port is None:
            port = self.ports[self.turn % len(self.ports)]
            self.turn += 1
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            try:
                self.conns[port].request(method, path, body=body, headers=headers)
                response = self.conns[port].getresponse()
                text = response.read().decode()
                break
            except (ConnectionError, http.client.HTTPException):
                self.conns[port].close()
                self.conns[port] = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                if attempt == 2:
                    raise
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, value = header.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value
        return response.status, text


def _wait_for_web(ports, procs):
    deadline = time.monotonic() + 90
    pending = set(ports)
    while pending and time.monotonic() < deadline:
        procs.check_alive()
        for port in list(pending):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    pending.discard(port)
                conn.close()
            except OSError:
                pass
        time.sleep(0.3)
    if pending:
        raise SystemExit(f"web instances on {sorted(pending)} did not come up")


# --- data -------------------------------------------------------------------------------------------------------


def _populate():
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from accounts.models import PartnerAccount, PartnerLocation, PortalSettings, User
    from leads.models import ClaimLimitSettings, Lead, Queue
    from prm_portal.core.emails import email_enqueue

    now = timezone.now()
    PortalSettings.objects.update_or_create(id=1, defaults={"prm_enabled": True, "prm_enabled_at": now})
    ClaimLimitSettings.objects.update_or_create(
        id=1, defaults={"max_open_per_user": PER_USER, "max_open_per_partner": PER_PARTNER})
    manager = User.objects.create(email="cm@cluster.example", role=User.Role.CHANNEL_MANAGER, is_staff=True,
                                  first_name="Carl", last_name="Manager")
    partners = [PartnerAccount.objects.create(name=f"Cluster Partner {i}", owner=manager, is_partner=True,
                                              partner_enabled_at=now) for i in range(PARTNERS)]
    queue = Queue.objects.create(name="Cluster queue")
    queue.member_accounts.add(*partners)
    hashed = make_password(PASSWORD)
    reps = User.objects.bulk_create([
        User(email=f"rep{i:02d}@cluster.example", first_name="Rep", last_name=f"{i:02d}",
             role=User.Role.PARTNER_USER, partner_account=partners[i % PARTNERS], password=hashed, last_login=now)
        for i in range(PARTNERS * REPS_PER_PARTNER)
    ])
    Lead.objects.bulk_create([Lead(company=f"Cluster Customer {i:04d}", last_name="Buyer", queue=queue,
                                   country="CZ") for i in range(LEADS)])
    location = PartnerLocation.objects.create(partner_account=partners[0], name="Prague", city="Prague",
                                              country="CZ")
    _referrals(manager.pk, partners[0].pk, location.pk)
    for i in range(DIRECT_EMAILS):  # each its own transaction and doorbell, like the services' emails
        email_enqueue(template_key="test_ping", to=f"person{i}@cluster.example", context={"name": f"P{i}"},
                      idempotency_key=f"cluster-ping-{i}")
    return reps


def _referrals(vendor_id, partner_id, location_id):
    from django.db import connection

    from referrals.models import Referral

    common = {
        "referral_type": "'sales_qualified'", "direction": "'inbound'", "deal_type": "'services'",
        "partner_account": str(partner_id), "location": str(location_id), "sender": str(vendor_id),
        "created_by": str(vendor_id), "sender_name": "'Carl Manager'", "sender_email": "'cm@cluster.example'",
        "customer_name": "'Cluster customer ' || g", "need": "'Needs help.'", "updated_at": "now()",
        "sales_stage": "'created'", "currency": "'EUR'", "inquiry": "gen_random_uuid()", "status": "'received'",
    }
    for field in Referral._meta.concrete_fields:  # counters and flags with a plain default keep it
        if field.name not in common and not field.null and isinstance(field.default, int | bool):
            common[field.name] = str(int(field.default)) if not isinstance(field.default, bool) else (
                "true" if field.default else "false")
    with connection.cursor() as cur:
        for count, received in ((OVERDUE, "now() - interval '15 days'"),
                                (EXPIRING_SOON, "now() - interval '13 days'")):
            cols, exprs = _columns_sql(Referral, {**common, "received_at": received})
            cur.execute(f"INSERT INTO referrals_referral ({cols}) SELECT {exprs} "  # noqa: S608
                        "FROM generate_series(1, %s) AS g", [count])


def _sign_in_all(reps, ports):
    """The first reps through the sign-in form (allauth limits sign-ins per address), the rest server-side; every
    session is then used on both instances (sessions live in the shared database)."""
    from django.conf import settings
    from django.test import Client

    browsers = []
    for i, rep in enumerate(reps):
        browser = Browser(ports)
        if i < 6:
            port = ports[i % len(ports)]
            _, page = browser.request("GET", "/auth/login/", port=port)
            token = CSRF_RE.search(page).group(1)
            status, _ = browser.request("POST", "/auth/login/", {"csrfmiddlewaretoken": token, "login": rep.email,
                                                                  "password": PASSWORD}, port=port)
            if status != 302:
                raise SystemExit(f"sign-in failed for {rep.email} on :{port}: {status}")
        else:
            client = Client()
            client.force_login(rep)
            browser.cookies[settings.SESSION_COOKIE_NAME] = client.cookies[settings.SESSION_COOKIE_NAME].value
        browsers.append(browser)
    return browsers


def _claims(browsers, stop_at, counts, lock, seed):
    rng = random.Random(seed)
    presses, refused = 0, 0
    ids, tokens = {}, {}

    def refresh(browser):
        _, page = browser.request("GET", "/leads/rows/?view=queue")
        ids[id(browser)] = [int(i) for i in ACCEPT_RE.findall(page)]
        match = CSRF_RE.search(page)
        if match:
            tokens[id(browser)] = match.group(1)

    for browser in browsers:
        refresh(browser)
    turn = 0
    while time.monotonic() < stop_at:
        browser = browsers[turn % len(browsers)]
        turn += 1
        if not ids[id(browser)]:
            refresh(browser)
            if not ids[id(browser)]:
                time.sleep(0.1)
                continue
        lead_id = ids[id(browser)].pop(rng.randrange(min(8, len(ids[id(browser)]))))
        status, _ = browser.request("POST", f"/leads/{lead_id}/accept/", {"csrfmiddlewaretoken": tokens[id(browser)]})
        presses += 1
        if status != 302:
            refused += 1
        if presses % 3 == 0:
            refresh(browser)
    with lock:
        counts["presses"] += presses
        counts["not_redirected"] += refused


# --- checks -----------------------------------------------------------------------------------------------------


def _settled():
    from prm_portal.core.models import OutboxMessage
    from referrals.models import Referral

    overdue_left = Referral.objects.filter(status=Referral.Status.RECEIVED, customer_name__startswith="Cluster",
                                           received_at__lt=_cutoff()).count()
    reminders_left = Referral.objects.filter(status=Referral.Status.RECEIVED,
                                             expiry_reminder_sent_at__isnull=True).count()
    unsent = OutboxMessage.objects.exclude(status=OutboxMessage.Status.SENT).count()
    return overdue_left == 0 and reminders_left == 0 and unsent == 0


def _cutoff():
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    return timezone.now() - timedelta(days=settings.REFERRAL_EXPIRY_DAYS)


def _check_claims():
    from django.db.models import Count

    from leads.events import LeadEvent
    from leads.models import Lead, PartnerClaimQuota, UserClaimQuota
    from prm_portal.core.models import ActivityEvent

    leads = Lead.objects.filter(company__startswith="Cluster Customer")
    accepted = leads.filter(owner__isnull=False).count()
    events = ActivityEvent.objects.filter(verb__in=[LeadEvent.CLAIMED, LeadEvent.CLAIMED_DIRECT],
                                          object_id__in=leads.values("pk"))
    double = events.values("object_id").annotate(n=Count("id")).filter(n__gt=1).count()
    owners = dict(leads.filter(owner__isnull=False).values_list("pk", "owner_id"))
    double += sum(1 for object_id, actor_id in events.values_list("object_id", "actor_id")
                  if owners.get(object_id) != actor_id)
    held = Lead.objects.filter(holds_claim=True)
    per_user = dict(held.values("owner_id").annotate(n=Count("id")).values_list("owner_id", "n"))
    per_partner = dict(held.values("partner_account_id").annotate(n=Count("id"))
                       .values_list("partner_account_id", "n"))
    violations = sum(1 for n in per_user.values() if n > PER_USER)
    violations += sum(1 for n in per_partner.values() if n > PER_PARTNER)
    for user_id, n in UserClaimQuota.objects.values_list("user_id", "open_count"):
        violations += n != per_user.get(user_id, 0)
    for partner_id, n in PartnerClaimQuota.objects.values_list("partner_account_id", "open_count"):
        violations += n != per_partner.get(partner_id, 0)
    return accepted, double, violations


def _check_referrals():
    from django.db.models import Count

    from prm_portal.core.models import ActivityEvent
    from referrals.events import ReferralEvent
    from referrals.models import Referral

    expired = Referral.objects.filter(status=Referral.Status.EXPIRED)
    events = Counter(dict(ActivityEvent.objects.filter(verb=ReferralEvent.EXPIRED)
                          .values("object_id").annotate(n=Count("id")).values_list("object_id", "n")))
    twice = sum(1 for n in events.values() if n > 1)
    missing_event = sum(1 for pk in expired.values_list("pk", flat=True) if events.get(pk, 0) == 0)
    return expired.count(), twice + missing_event


def _check_emails(maildir):
    from prm_portal.core.models import OutboxMessage

    delivered = Counter()
    for path in Path(maildir).glob("*"):
        delivered.update(MESSAGE_ID_RE.findall(path.read_text(errors="replace")))
    rows = list(OutboxMessage.objects.values_list("status", "message_id"))
    sent_ids = {message_id for status, message_id in rows if status == OutboxMessage.Status.SENT}
    duplicates = sum(n - 1 for n in delivered.values() if n > 1)
    missing = sum(1 for message_id in sent_ids if delivered.get(message_id, 0) == 0)
    unsent = sum(1 for status, _ in rows if status != OutboxMessage.Status.SENT)
    return sum(delivered.values()), len(rows), duplicates, missing, unsent


def _readyz(ports):
    answers = []
    for port in ports:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/readyz")
        answers.append(conn.getresponse().status)
        conn.close()
    return answers


# --- main -------------------------------------------------------------------------------------------------------


def main():
    db_url = os.environ.get("CLUSTER_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/prm_cluster")
    redis_url = os.environ.get("CLUSTER_REDIS_URL", "redis://127.0.0.1:6379/7")
    for url in (db_url, redis_url):
        if urlsplit(url).hostname not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit(f"the cluster check only talks to this machine, not {url}")
    db_name = urlsplit(db_url).path.lstrip("/")
    recreate_database(db_url, db_name)
    import redis

    redis.Redis.from_url(redis_url).flushdb()

    workdir = Path(tempfile.mkdtemp(prefix="prm-cluster-"))
    maildir = workdir / "mail"
    maildir.mkdir()
    ports = [_free_port(), _free_port()]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PORTAL_", "SENTRY_"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": SETTINGS, "DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(64),
        # Kept connections, as docker-compose.yml has them: the hot statements are prepared on each (issue 12).
        "ALLOWED_HOSTS": "127.0.0.1,localhost", "DATABASE_URL": db_url + ("&" if "?" in db_url else "?")
        + "conn_max_age=60", "CELERY_BROKER_URL": redis_url,
        "REDIS_URL": redis_url, "EMAIL_URL": f"filemail:///{maildir}", "PORTAL_BASE_URL": f"http://127.0.0.1:{ports[0]}",
        "LOG_LEVEL": "WARNING", "PYTHONWARNINGS": "ignore",
    })
    os.environ.update({k: env[k] for k in ("DJANGO_SETTINGS_MODULE", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS",
                                           "DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "EMAIL_URL",
                                           "PORTAL_BASE_URL", "LOG_LEVEL")})
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", verbosity=0)
    call_command("setup_periodic_tasks")
    reps = _populate()  # queues the direct emails: their doorbells wait in Redis for the workers
    connections.close_all()

    procs = Processes(env, workdir)
    started = time.monotonic()
    code = 1
    try:
        for i, port in enumerate(ports, 1):
            procs.start(f"web{i}", "gunicorn", "prm_portal.wsgi:application", "--bind", f"127.0.0.1:{port}",
                        "--workers", "2", "--threads", "4", "--log-level", "warning")
        for i in (1, 2):
            procs.start(f"worker{i}", "celery", "-A", "prm_portal", "worker", "--pool", "threads", "--concurrency",
                        "4", "-n", f"cluster{i}@%h", "--loglevel", "WARNING")
            procs.start(f"beat{i}", "celery", "-A", "prm_portal", "beat", "--loglevel", "WARNING", "--max-interval",
                        "2", "--schedule", str(workdir / f"beat{i}.schedule"))
        _wait_for_web(ports, procs)

        browsers = _sign_in_all(reps, ports)
        counts, lock = Counter(), threading.Lock()
        stop_at = time.monotonic() + CLAIM_SECONDS
        threads = [threading.Thread(target=_claims, args=(browsers[i::CLIENT_THREADS], stop_at, counts, lock, i))
                   for i in range(CLIENT_THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(CLAIM_SECONDS + 60)

        deadline = time.monotonic() + SETTLE_TIMEOUT
        while not _settled():
            procs.check_alive()
            if time.monotonic() > deadline:
                print(f"not settled after {SETTLE_TIMEOUT}s: see the logs in {workdir}", file=sys.stderr)
                break
            time.sleep(1)
        time.sleep(QUIET_SECONDS)  # both beats keep sending: anything done twice would show now
        procs.check_alive()
        ready = _readyz(ports)
    finally:
        procs.stop()
    elapsed = time.monotonic() - started
    connections.close_all()

    accepted, double, violations = _check_claims()
    expired, expired_wrong = _check_referrals()
    delivered, outbox_rows, duplicates, missing, unsent = _check_emails(maildir)
    ok = (double == 0 and violations == 0 and expired == OVERDUE and expired_wrong == 0 and duplicates == 0
          and missing == 0 and unsent == 0 and ready == [200, 200] and counts["not_redirected"] == 0
          and accepted > 0)
    if ok:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"logs and mail kept in {workdir}", file=sys.stderr)
    print(f"cluster: {PARTNERS * REPS_PER_PARTNER} reps pressed Accept {counts['presses']} times through "
          f"{len(ports)} web instances; limits {PER_USER}/rep, {PER_PARTNER}/partner")
    print(
        f"cluster: web=2 workers=2 beats=2 presses={counts['presses']} accepted={accepted} double_claims={double} "
        f"limit_violations={violations} referrals_expired={expired}/{OVERDUE} expired_not_once={expired_wrong} "
        f"emails_delivered={delivered} outbox_rows={outbox_rows} duplicate_emails={duplicates} "
        f"missing_emails={missing} unsent={unsent} readyz={','.join(map(str, ready))} seconds={elapsed:.0f} "
        f"result={'ok' if ok else 'VIOLATION'}"
    )
    code = 0 if ok else 1
    return code


if __name__ == "__main__":
    sys.exit(main())
