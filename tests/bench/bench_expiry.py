"""Benchmark: the referral expiry task (E4) against a plain SQL UPDATE, on identical copies of 2,000,000 referrals.

Run by `make bench-expiry`. Builds its own database (DATABASE_URL's name + `_expiry`), migrates it, and loads with
INSERT ... SELECT generate_series:

- 1,000,000 overdue referrals: Received, 15-16 days old, each with a sender (a vendor user) to email;
- 1,000,000 others: 400,000 Received in the last 10 days, 300,000 Accepted, 200,000 Won, 100,000 Declined.

Then it VACUUM ANALYZEs and clones the database (CREATE DATABASE ... TEMPLATE), so both runs start from identical
copies; before each timing it CHECKPOINTs and reads the table and its partial index once (same warm start), and
in the same run times

- raw_update_s: `UPDATE referrals_referral SET status='expired', closed_at=now() WHERE status='received' AND
  received_at < cutoff` on copy A (closed_at is required by the table's check constraint for a closed status);
- task_s: `referral_expire_overdue_task()` on copy B, the beat task as deployed: batches of 10,000, each one
  transaction and ONE statement: the UPDATE of the oldest overdue referrals over the partial index (locked, SKIP
  LOCKED, found again by primary key), the activity events and one email per referral (outbox rows, payloads built
  in SQL, ON CONFLICT DO NOTHING) inserted from its RETURNING; then the preference router's one question and the
  commit. The on-commit doorbell `outbox_relay_task.delay` is replaced by a counter (no million real mails, no relay
  during the timing); the emails counted are the outbox rows the task wrote. BENCH_EXPIRY_PROFILE=1 prints the
  task's cProfile too.

and, on copy C (a third identical copy, same warm start),

- floor_s: ONE hand-written SQL statement doing the same writes as the task: the UPDATE of status, closed_at,
  updated_at and version, the activity events (same type, data and version) and one outbox email per referral
  (same key, kind, template, recipient, language and context, a Message-ID of its own; ON CONFLICT DO NOTHING).

floor_ratio = task_s / floor_s.
Checks: every copy has 1,000,000 expired (copies B and C as many events and outbox rows as referrals, an email and
an event of C the same as B's); emails queued = outbox rows = referrals expired; duplicates = keys in the outbox
more than once (the unique key makes it 0 by construction; counted anyway); doorbells = commits that rang once.
The last line (after floor_ratio, where the task's time went: its batch statements, its queries in all, the time
inside the batch statements and in the commits, where the events' deferred foreign keys are checked) is:
expiry: referrals=1000000 task_s=… raw_update_s=… ratio=… emails=… duplicates=0 floor_s=… floor_ratio=… events=…
batches=… queries=… sql_s=… commit_s=…
"""

import os
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

OVERDUE = int(os.environ.get("BENCH_EXPIRY_OVERDUE", 1_000_000))
OTHERS = int(os.environ.get("BENCH_EXPIRY_OTHERS", 1_000_000))
SETTINGS = "prm_portal.settings.test"


def _urls():
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/prm_bench")
    parts = urlsplit(base)
    name = parts.path.lstrip("/") or "prm_bench"
    a, b, c = f"{name}_expiry", f"{name}_expiry_copy", f"{name}_expiry_floor"
    return (urlunsplit(parts._replace(path="/postgres")), a, b,
            urlunsplit(parts._replace(path=f"/{a}")), urlunsplit(parts._replace(path=f"/{b}")),
            c, urlunsplit(parts._replace(path=f"/{c}")))


# The floor: the task's writes in one statement. Values the task takes from settings and the event registry are
# parameters; the outbox row's other columns get what OutboxMessage's defaults give.
FLOOR_SQL = """
WITH expired AS (
    UPDATE referrals_referral r
    SET status = 'expired', closed_at = %(now)s, updated_at = %(now)s, version = r.version + 1
    WHERE r.status = 'received' AND r.received_at < %(cutoff)s
    RETURNING r.id, r.partner_account_id, r.sender_id, r.sender_email, r.sender_name, r.customer_name, r.name,
              r.referral_type, r.version
), events AS (
    INSERT INTO core_activityevent (content_type_id, object_id, verb, actor_id, partner_account_id, data, created_at)
    SELECT %(ct)s, id, %(verb)s, NULL, partner_account_id, %(data)s::jsonb || jsonb_build_object('version', version),
           %(now)s
    FROM expired
)
INSERT INTO core_outboxmessage ({outbox_columns})
SELECT {outbox_values}
FROM expired e
LEFT JOIN accounts_user u ON u.id = e.sender_id
LEFT JOIN accounts_partneraccount p ON p.id = e.partner_account_id
WHERE e.sender_email <> ''
ON CONFLICT (idempotency_key) DO NOTHING
"""


def _floor_sql():
    from django.conf import settings

    from prm_portal.core.models import OutboxMessage

    payload = """jsonb_build_object(
        'template_key', 'referral_expired', 'to', e.sender_email, 'language', COALESCE(u.language, 'en'),
        'context', jsonb_build_object(
            'referral_id', e.id, 'title', COALESCE(NULLIF(e.name, ''), e.customer_name),
            'customer_name', e.customer_name, 'partner_name', COALESCE(p.name, ''),
            'is_customer_inquiry', e.referral_type = 'customer_inquiry', 'sender_name', e.sender_name,
            'days', %(days)s))"""
    domain = settings.OUTBOX_MESSAGE_ID_DOMAIN.replace("'", "")
    cols, exprs = _columns_sql(OutboxMessage, {
        "kind": "'email'", "idempotency_key": "'referral-expired-' || e.id", "payload": payload,
        "message_id": f"'<' || gen_random_uuid() || '@{domain}>'", "status": "'pending'", "attempts": "0",
        "next_attempt_at": "%(now)s", "created_at": "%(now)s",
    })
    return FLOOR_SQL.format(outbox_columns=cols, outbox_values=exprs)


def _admin(admin_url, *statements):
    import psycopg2

    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        for sql in statements:
            cur.execute(sql)
    conn.close()


def _columns_sql(model, overrides):
    """Every concrete column with a SQL expression: the override, or an empty value fitting the field."""
    from django.db import models

    cols, exprs = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        cols.append(f'"{field.column}"')
        if field.name in overrides:
            exprs.append(overrides[field.name])
        elif field.null:
            exprs.append("NULL")
        elif isinstance(field, models.JSONField):
            exprs.append("'[]'::jsonb")
        elif isinstance(field, models.BooleanField):
            exprs.append("false")
        elif isinstance(field, models.CharField | models.TextField):
            exprs.append(f"'{field.default}'" if isinstance(field.default, str) else "''")
        elif isinstance(field, models.IntegerField) and isinstance(field.default, int):
            exprs.append(str(field.default))  # e.g. version = 1
        else:
            raise RuntimeError(f"no value for {field.name}")
    return ", ".join(cols), ", ".join(exprs)


def _load(vendor_id, partner_id, location_id):
    from django.db import connection

    from referrals.models import Referral

    common = {
        "referral_type": "'sales_qualified'", "direction": "'inbound'", "deal_type": "'services'",
        "partner_account": str(partner_id), "location": str(location_id), "sender": str(vendor_id),
        "created_by": str(vendor_id), "sender_name": "'Carl Manager'", "sender_email": "'cm@vendor.example'",
        "customer_name": "'Customer ' || g", "need": "'Needs help.'", "updated_at": "now()",
        "sales_stage": "'created'", "currency": "'EUR'", "inquiry": "gen_random_uuid()",
    }
    batches = [
        # overdue: received 15..16 days ago
        (OVERDUE, {**common, "status": "'received'",
                   "received_at": "now() - interval '15 days' - mod(g, 86400) * interval '1 second'"}),
        # others: received recently, accepted, won, declined
        (OTHERS * 4 // 10, {**common, "status": "'received'",
                            "received_at": "now() - mod(g, 864000) * interval '1 second'"}),
        (OTHERS * 3 // 10, {**common, "status": "'accepted'", "sales_stage": "'accepted'", "name": "'Deal ' || g",
                            "received_at": "now() - interval '30 days'", "accepted_at": "now() - interval '29 days'"}),
        (OTHERS * 2 // 10, {**common, "status": "'won'", "sales_stage": "'won'",
                            "received_at": "now() - interval '60 days'", "closed_at": "now() - interval '20 days'"}),
        (OTHERS - OTHERS * 9 // 10, {**common, "status": "'declined'", "decline_reason": "'no_budget'",
                                     "received_at": "now() - interval '40 days'",
                                     "closed_at": "now() - interval '39 days'"}),
    ]
    with connection.cursor() as cur:
        for count, overrides in batches:
            cols, exprs = _columns_sql(Referral, overrides)
            cur.execute(f"INSERT INTO referrals_referral ({cols}) SELECT {exprs} FROM generate_series(1, %s) AS g",
                        [count])


def _settle_and_warm(cutoff_sql):
    """Same starting line for both copies: a checkpoint, then the table and its partial index read once."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("CHECKPOINT")
        cur.execute("SELECT count(*), sum(length(customer_name)) FROM referrals_referral")
        cur.execute(f"SELECT count(*) FROM referrals_referral WHERE status = 'received' AND received_at < {cutoff_sql}")


def _switch_database(url):
    import environ
    from django.conf import settings
    from django.db import connections

    connections.close_all()
    settings.DATABASES["default"].update(environ.Env.db_url_config(url))
    connections["default"].settings_dict.update(environ.Env.db_url_config(url))


def main():
    admin_url, name_a, name_b, url_a, url_b, name_c, url_c = _urls()
    os.environ["DATABASE_URL"] = url_a
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    _admin(admin_url, f'DROP DATABASE IF EXISTS "{name_b}"', f'DROP DATABASE IF EXISTS "{name_c}"',
           f'DROP DATABASE IF EXISTS "{name_a}"', f'CREATE DATABASE "{name_a}"')

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections

    from accounts.models import PartnerAccount, PartnerLocation, User

    call_command("migrate", verbosity=0)
    vendor = User.objects.create_user("cm@vendor.example", "x", role=User.Role.CHANNEL_MANAGER, is_staff=True)
    partner = PartnerAccount.objects.create(name="Alpha Partners", owner=vendor, is_partner=True)
    location = PartnerLocation.objects.create(partner_account=partner, name="Prague", city="Prague", country="CZ")
    t0 = time.perf_counter()
    _load(vendor.pk, partner.pk, location.pk)
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE referrals_referral")
        cur.execute("VACUUM ANALYZE core_activityevent")
    print(f"loaded {OVERDUE + OTHERS} referrals in {time.perf_counter() - t0:.1f}s", flush=True)
    connections.close_all()
    _admin(admin_url, f'CREATE DATABASE "{name_b}" TEMPLATE "{name_a}"',
           f'CREATE DATABASE "{name_c}" TEMPLATE "{name_a}"')

    # Copy A: the plain SQL update.
    from django.conf import settings

    cutoff_sql = f"now() - interval '{settings.REFERRAL_EXPIRY_DAYS} days'"
    _settle_and_warm(cutoff_sql)
    with connection.cursor() as cur:
        t0 = time.perf_counter()
        cur.execute("UPDATE referrals_referral SET status = 'expired', closed_at = now() "  # noqa: S608
                    f"WHERE status = 'received' AND received_at < {cutoff_sql}")
        raw_s = time.perf_counter() - t0
        raw_rows = cur.rowcount
    print(f"raw update: {raw_rows} rows in {raw_s:.2f}s", flush=True)

    # Copy B: the project's task.
    _switch_database(url_b)
    from prm_portal.core.models import OutboxMessage
    from prm_portal.core.tasks import outbox_relay_task
    from referrals.models import Referral
    from referrals.tasks import referral_expire_overdue_task

    _settle_and_warm(cutoff_sql)
    doorbells = Counter()

    def count_delay(*args, **kwargs):
        doorbells["rung"] += 1

    # Where the time goes: inside the batch statements (the change, its events and its emails, one statement per
    # batch), in the commits (where PostgreSQL checks the events' deferred foreign keys), and the rest (Python, the
    # other queries). Counted by a plain execute wrapper and a wrapped commit: both cost nothing next to the work.
    stats = Counter()

    def timed(execute, sql, params, many, context):
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            stats["queries"] += 1
            if "UPDATE referrals_referral" in sql and "INSERT INTO core_activityevent" in sql:
                stats["batches"] += 1
                stats["sql_s"] += time.perf_counter() - t

    real_commit = connection._commit

    def timed_commit():
        t = time.perf_counter()
        try:
            return real_commit()
        finally:
            stats["commits"] += 1
            stats["commit_s"] += time.perf_counter() - t

    connection._commit = timed_commit
    # A plain function, not a Mock: a Mock's call recording would cost more than the work being measured.
    real_delay = outbox_relay_task.delay
    outbox_relay_task.delay = count_delay
    profile = os.environ.get("BENCH_EXPIRY_PROFILE") and __import__("cProfile").Profile()
    try:
        with connection.execute_wrapper(timed):
            if profile:
                profile.enable()
            t0 = time.perf_counter()
            summary = referral_expire_overdue_task()
            task_s = time.perf_counter() - t0
            if profile:
                profile.disable()
    finally:
        outbox_relay_task.delay = real_delay
        connection._commit = real_commit
    expired = Referral.objects.filter(status="expired").count()
    print(f"task: {summary} in {task_s:.2f}s: {stats['batches']} batch statements {stats['sql_s']:.2f}s, "
          f"{stats['commits']} commits {stats['commit_s']:.2f}s, the rest (Python, {stats['queries']} queries in all) "
          f"{task_s - stats['sql_s'] - stats['commit_s']:.2f}s", flush=True)
    if profile:
        import pstats

        pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
    from prm_portal.core.models import ActivityEvent
    from referrals.events import ReferralEvent

    events = ActivityEvent.objects.filter(verb=ReferralEvent.EXPIRED.value)
    task_events = events.count()
    sample_event = events.order_by("object_id").values("object_id", "verb", "data", "actor_id",
                                                       "partner_account_id").first()
    expired_rows = OutboxMessage.objects.filter(idempotency_key__startswith="referral-expired-")
    emails = expired_rows.count()
    duplicates = emails - expired_rows.values("idempotency_key").distinct().count()
    print(f"outbox: {emails} emails written, doorbell rung {doorbells['rung']} times", flush=True)
    sample = expired_rows.order_by("idempotency_key").values("idempotency_key", "kind", "payload", "status").first()
    connections.close_all()
    _admin(admin_url, f'DROP DATABASE IF EXISTS "{name_b}"')

    # Copy C: the floor, one statement.
    _switch_database(url_c)
    import json

    from django.contrib.contenttypes.models import ContentType

    from prm_portal.core.events import require_registered
    from prm_portal.core.models import ActivityEvent
    from referrals.events import ReferralEvent
    from referrals.services.expiry import EXPIRED_EVENT_DATA

    _settle_and_warm(cutoff_sql)
    from django.utils import timezone

    now = timezone.now()
    params = {"now": now, "cutoff": now - timezone.timedelta(days=settings.REFERRAL_EXPIRY_DAYS),
              "ct": ContentType.objects.get_for_model(Referral).pk, "verb": require_registered(ReferralEvent.EXPIRED),
              "data": json.dumps(EXPIRED_EVENT_DATA), "days": settings.REFERRAL_EXPIRY_DAYS}
    from django.db import transaction

    floor_sql = _floor_sql()
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(floor_sql, params)
    floor_s = time.perf_counter() - t0
    floor_expired = Referral.objects.filter(status="expired").count()
    floor_emails = OutboxMessage.objects.filter(idempotency_key__startswith="referral-expired-").count()
    floor_events = ActivityEvent.objects.filter(verb=params["verb"]).count()
    same = OutboxMessage.objects.filter(idempotency_key=sample["idempotency_key"]).values(
        "idempotency_key", "kind", "payload", "status").first() == sample
    same = same and ActivityEvent.objects.filter(object_id=sample_event["object_id"], verb=params["verb"]).values(
        "object_id", "verb", "data", "actor_id", "partner_account_id").first() == sample_event
    print(f"floor: one statement, {floor_expired} expired, {floor_events} events, {floor_emails} outbox rows in "
          f"{floor_s:.2f}s; an email and an event as the task wrote them: {'same' if same else 'DIFFERENT'}",
          flush=True)
    connections.close_all()
    _admin(admin_url, f'DROP DATABASE IF EXISTS "{name_c}"')
    ok = (expired == raw_rows == OVERDUE == floor_expired == floor_events == floor_emails and emails == expired
          and task_events == expired and duplicates == 0 and same)
    print(f"expiry: referrals={expired} task_s={task_s:.2f} raw_update_s={raw_s:.2f} ratio={task_s / raw_s:.2f} "
          f"emails={emails} duplicates={duplicates} floor_s={floor_s:.2f} floor_ratio={task_s / floor_s:.2f} "
          f"events={task_events} batches={stats['batches']} queries={stats['queries']} sql_s={stats['sql_s']:.2f} "
          f"commit_s={stats['commit_s']:.2f}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
