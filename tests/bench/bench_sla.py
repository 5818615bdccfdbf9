"""Benchmark: the service-level ladder (issue 13) against one hand-written SQL statement, on identical copies.

Run by `make bench-sla`. Builds its own database (DATABASE_URL's name + `_sla`, beside it a `_sla_copy`), migrates
it and loads with INSERT ... SELECT generate_series: 20 channel managers, 200 partners, 2,000 partner reps, one
queue with service levels (Prague business calendar), and 200,000 claimed leads (100 per rep, counted in the claim
quotas), each with its clock. 10 % are overdue at various steps: a third due for the reminder, a third for the
escalation (already reminded), a third for the recall (already escalated); the other 90 % are on time.

After VACUUM ANALYZE the database is cloned (CREATE DATABASE ... TEMPLATE), so both runs start from identical copies;
before each timing it CHECKPOINTs and reads the tables once, and the URLconf is loaded (the same warm start).
Then:

- floor_s: on copy A, ONE hand-written statement (timed to its commit) doing the same state changes: every due
  clock moved to its step (a recalled lead's clock restarted as the queue's accept clock), the recalled leads put
  back in their queue with their quota counts freed and their former owners blocked for the cool-down, one
  timeline event per step, and the emails (one per person and step, listing their leads) written to the outbox;
- task_s: on copy B, `sla_ladder_run_task()`, the beat task as deployed. The on-commit doorbell
  `outbox_relay_task.delay` is replaced by a counter (no relay during the timing).

Checks: both copies reach the same steps, events, recalled leads, quota total and emails; duplicates = outbox keys
written more than once (0 by the unique key; counted anyway) plus leads listed in two emails of one step. The last
line is:
sla: leads=200000 steps=… task_s=… floor_s=… ratio=… emails=… duplicates=0
"""

import os
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.benchdb import database_url, recreate_database  # noqa: E402

LEADS = int(os.environ.get("BENCH_SLA_LEADS", 200_000))
REPS = 2_000
PARTNERS = 200
MANAGERS = 20
SETTINGS = "prm_portal.settings.test"


def _admin(base_url, *statements):
    import psycopg2

    parts = urlsplit(base_url)
    conn = psycopg2.connect(host=parts.hostname, port=parts.port or 5432, user=parts.username or "postgres",
                            password=parts.password or None, dbname="postgres")
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
        if field.primary_key and field.name not in overrides:
            continue
        cols.append(f'"{field.column}"')
        if field.name in overrides:
            exprs.append(overrides[field.name])
        elif field.null:
            exprs.append("NULL")
        elif isinstance(field, models.JSONField):
            exprs.append("'{}'::jsonb")
        elif isinstance(field, models.BooleanField):
            exprs.append("true" if field.default is True else "false")
        elif isinstance(field, models.CharField | models.TextField):
            exprs.append(f"'{field.default}'" if isinstance(field.default, str) else "''")
        elif isinstance(field, models.IntegerField) and isinstance(field.default, int):
            exprs.append(str(field.default))
        elif isinstance(field, models.DateTimeField):
            exprs.append("now()")
        else:
            raise RuntimeError(f"no value for {model.__name__}.{field.name}")
    return ", ".join(cols), ", ".join(exprs)


def _load(now):
    from django.contrib.auth.hashers import make_password
    from django.db import connection

    from accounts.models import PartnerAccount, PortalSettings, User
    from leads.models import BusinessCalendar, ClaimLimitSettings, Lead, LeadClock, Queue, QueueServiceLevel

    password = make_password("bench-Password-1")
    PortalSettings.objects.update_or_create(id=1, defaults={"prm_enabled": True, "prm_enabled_at": now})
    ClaimLimitSettings.objects.update_or_create(id=1, defaults={"max_open_per_user": 1000,
                                                                "max_open_per_partner": 10000})
    admin = User.objects.create(email="admin@bench.example", role=User.Role.VENDOR_ADMIN, is_superuser=True,
                                is_staff=True, password=password)
    managers = User.objects.bulk_create(
        User(email=f"cm{i}@bench.example", first_name="Channel", last_name=f"Manager {i}",
             role=User.Role.CHANNEL_MANAGER, is_staff=True, password=password) for i in range(MANAGERS))
    partners = PartnerAccount.objects.bulk_create(
        PartnerAccount(name=f"Partner {i:03d}", owner=managers[i % MANAGERS], is_partner=True, partner_enabled_at=now,
                       country="CZ") for i in range(PARTNERS))
    User.objects.bulk_create(
        User(email=f"rep{i}@bench.example", first_name="Rep", last_name=str(i), partner_account=partners[i % PARTNERS],
             role=User.Role.PARTNER_USER, password=password, last_login=now) for i in range(REPS))
    queue = Queue.objects.create(name="EMEA Inbound")
    queue.member_accounts.add(*partners)
    calendar = BusinessCalendar.objects.create(name="Prague office", time_zone="Europe/Prague")
    QueueServiceLevel.objects.create(queue=queue, calendar=calendar, accept_within_hours=8,
                                     first_touch_within_hours=4, progress_within_days=5, grace_hours=4,
                                     cooldown_hours=72, manager=admin)
    lead_cols, lead_exprs = _columns_sql(Lead, {
        "company": "'Company ' || g", "last_name": "'Contact'", "country": "'CZ'", "status": "'working'",
        "owner": "r.id", "partner_account": "r.partner_account_id", "source_queue": str(queue.pk),
        "claimed_at": "now() - interval '20 days'", "holds_claim": "true", "version": "2",
    })
    step = "mod(g, 30)"  # 0: due for the reminder, 1: for the escalation, 2: for the recall; the rest on time
    clock_cols, clock_exprs = _columns_sql(LeadClock, {
        "lead": "l.id", "queue": str(queue.pk),
        "kind": "CASE WHEN mod(l.id, 2) = 0 THEN 'first_touch' ELSE 'progress' END",
        "limit": "CASE WHEN mod(l.id, 2) = 0 THEN 4 ELSE 5 END",
        "started_at": "%(now)s - interval '20 days'",
        "remind_at": f"CASE WHEN {step} < 3 THEN %(now)s - interval '3 days' ELSE %(now)s + interval '1 day' END",
        "due_at": f"CASE WHEN {step} IN (1, 2) THEN %(now)s - interval '2 days' ELSE %(now)s + interval '2 days' END",
        "recall_at": f"CASE WHEN {step} = 2 THEN %(now)s - interval '1 day' ELSE %(now)s + interval '3 days' END",
        "step": f"CASE WHEN {step} IN (1, 2) THEN {step} ELSE 0 END",
        "next_at": (f"CASE {step} WHEN 0 THEN %(now)s - interval '3 days' WHEN 1 THEN %(now)s - interval '2 days' "
                    f"WHEN 2 THEN %(now)s - interval '1 day' ELSE %(now)s + interval '1 day' END"),
        "generation": "1",
    })
    with connection.cursor() as cur:
        cur.execute("CREATE TEMP TABLE reps AS SELECT row_number() OVER (ORDER BY id) - 1 AS n, id, "
                    "partner_account_id FROM accounts_user WHERE role = 'partner_user'")
        cur.execute(f"INSERT INTO leads_lead ({lead_cols}) SELECT {lead_exprs} "  # noqa: S608
                    f"FROM generate_series(1, %s) AS g JOIN reps r ON r.n = mod(g, {REPS})", [LEADS])
        cur.execute(f"INSERT INTO leads_leadclock ({clock_cols}) SELECT {clock_exprs} "  # noqa: S608
                    "FROM (SELECT id, row_number() OVER (ORDER BY id) AS g FROM leads_lead) AS l",
                    {"now": now})
        cur.execute("INSERT INTO leads_userclaimquota (user_id, open_count, ceiling) "
                    "SELECT owner_id, count(*), 1000 FROM leads_lead GROUP BY owner_id")
        cur.execute("INSERT INTO leads_partnerclaimquota (partner_account_id, open_count, ceiling) "
                    "SELECT partner_account_id, count(*), 10000 FROM leads_lead GROUP BY partner_account_id")
    return queue


def _floor_sql(now, queue_id):
    """The one hand-written statement, and its parameters: the same state changes as the ladder's run."""
    from django.conf import settings
    from django.contrib.contenttypes.models import ContentType

    from leads.events import LeadEvent
    from leads.models import Lead
    from leads.services.sla import CLOSED, clock_times, service_level_for
    from prm_portal.core.models import OutboxMessage

    accept = clock_times(service_level_for(queue_id), "accept", now)
    outbox_cols, outbox_exprs = _columns_sql(OutboxMessage, {
        "kind": "'email'", "idempotency_key": "key", "payload": "payload",
        "message_id": "'<' || gen_random_uuid() || '@bench.example>'", "status": "'pending'",
        "next_attempt_at": "%(now)s", "created_at": "%(now)s",
    })
    base = settings.PORTAL_BASE_URL.rstrip("/") + "/leads/"
    name = "COALESCE(NULLIF(TRIM({u}.first_name || ' ' || {u}.last_name), ''), {u}.email)"
    sql = f"""
WITH due AS (
    SELECT c.lead_id, CASE WHEN c.recall_at <= %(now)s THEN 3 WHEN c.due_at <= %(now)s THEN 2 ELSE 1 END AS target
    FROM leads_leadclock c JOIN leads_lead l ON l.id = c.lead_id
    WHERE c.next_at <= %(now)s AND l.status NOT IN %(closed)s
    FOR UPDATE OF c, l
), old AS (
    SELECT d.lead_id, d.target, c.kind, c."limit", c.queue_id, c.generation, c.due_at,
           d.target = 3 AND c.kind <> 'accept' AS recall, l.owner_id, l.partner_account_id, l.holds_claim,
           l.version, l.company, q.name AS queue_name, sl.cooldown_hours,
           COALESCE(pa.owner_id, sl.manager_id) AS escalate_to,
           {name.format(u="o")} AS owner_name, {name.format(u="m")} AS manager_name
    FROM due d JOIN leads_leadclock c ON c.lead_id = d.lead_id JOIN leads_lead l ON l.id = d.lead_id
    JOIN leads_queue q ON q.id = c.queue_id LEFT JOIN leads_queueservicelevel sl ON sl.queue_id = c.queue_id
    LEFT JOIN accounts_partneraccount pa ON pa.id = l.partner_account_id
    LEFT JOIN accounts_user o ON o.id = l.owner_id
    LEFT JOIN accounts_user m ON m.id = COALESCE(pa.owner_id, sl.manager_id)
), clocks AS (
    UPDATE leads_leadclock c SET
        step = CASE WHEN o.recall THEN 0 ELSE o.target END,
        kind = CASE WHEN o.recall THEN 'accept' ELSE c.kind END,
        "limit" = CASE WHEN o.recall THEN %(a_limit)s ELSE c."limit" END,
        started_at = CASE WHEN o.recall THEN %(now)s ELSE c.started_at END,
        remind_at = CASE WHEN o.recall THEN %(a_remind)s ELSE c.remind_at END,
        due_at = CASE WHEN o.recall THEN %(a_due)s ELSE c.due_at END,
        recall_at = CASE WHEN o.recall THEN %(a_recall)s ELSE c.recall_at END,
        next_at = CASE WHEN o.recall THEN %(a_remind)s WHEN o.target = 1 THEN c.due_at
                       WHEN o.target = 2 THEN c.recall_at END,
        generation = c.generation + CASE WHEN o.recall THEN 1 ELSE 0 END
    FROM old o WHERE c.lead_id = o.lead_id
), recalled AS (
    UPDATE leads_lead l SET owner_id = NULL, queue_id = o.queue_id, partner_account_id = NULL, holds_claim = false,
        claimed_at = NULL, updated_at = %(now)s, version = l.version + 1
    FROM old o WHERE l.id = o.lead_id AND o.recall
), user_quota AS (
    UPDATE leads_userclaimquota q SET open_count = GREATEST(q.open_count - r.n, 0)
    FROM (SELECT owner_id, count(*) AS n FROM old WHERE recall AND holds_claim GROUP BY owner_id) r
    WHERE q.user_id = r.owner_id
), partner_quota AS (
    UPDATE leads_partnerclaimquota q SET open_count = GREATEST(q.open_count - r.n, 0)
    FROM (SELECT partner_account_id, count(*) AS n FROM old WHERE recall AND holds_claim
          GROUP BY partner_account_id) r
    WHERE q.partner_account_id = r.partner_account_id
), blocks AS (
    INSERT INTO leads_leadclaimblock (lead_id, user_id, until)
    SELECT lead_id, owner_id, %(now)s + make_interval(hours => cooldown_hours) FROM old WHERE recall
    ON CONFLICT (lead_id, user_id) DO UPDATE SET until = EXCLUDED.until
), events AS (
    INSERT INTO core_activityevent (content_type_id, object_id, verb, actor_id, partner_account_id, data, created_at)
    SELECT %(ct)s, lead_id, CASE target WHEN 1 THEN %(reminded)s WHEN 2 THEN %(escalated)s ELSE %(recalled)s END,
           NULL, partner_account_id,
           jsonb_build_object('sla', kind, 'limit', "limit", 'queue', queue_name,
                              'version', version + CASE WHEN recall THEN 1 ELSE 0 END)
           || CASE target WHEN 1 THEN jsonb_build_object('due', to_jsonb(due_at))
                          WHEN 2 THEN jsonb_build_object('manager', COALESCE(manager_name, ''))
                          ELSE jsonb_build_object('changes', jsonb_build_object(
                              'owner', jsonb_build_array(COALESCE(owner_name, ''), queue_name))) END,
           %(now)s
    FROM old
), letters AS (
    SELECT x.*, row_number() OVER (PARTITION BY template, recipient ORDER BY lead_id) AS rn,
           count(*) OVER (PARTITION BY template, recipient) AS n
    FROM (SELECT 'lead_sla_reminder' AS template, owner_id AS recipient, o.* FROM old o WHERE target = 1
          UNION ALL SELECT 'lead_sla_escalation', escalate_to, o.* FROM old o WHERE target = 2
                    AND escalate_to IS NOT NULL
          UNION ALL SELECT 'lead_recalled', owner_id, o.* FROM old o WHERE recall) x
), emails AS (
    SELECT template || ':' || recipient || ':'
           || left(md5(string_agg(lead_id || ':' || generation, ',' ORDER BY lead_id)), 20) AS key,
           jsonb_build_object(
               'template_key', template, 'to', u.email, 'language', u.language, 'kind', template, 'user', recipient,
               'context', jsonb_build_object(
                   'name', {name.format(u="u")}, 'count', max(n), 'more', GREATEST(max(n) - 20, 0),
                   'leads', jsonb_agg(jsonb_build_object('company', company, 'url', %(base)s || lead_id || '/',
                                                         'sla', kind, 'limit', "limit", 'queue', queue_name,
                                                         'due', due_at) ORDER BY lead_id) FILTER (WHERE rn <= 20))
           ) AS payload
    FROM letters JOIN accounts_user u ON u.id = recipient
    GROUP BY template, recipient, u.email, u.language, u.first_name, u.last_name
)
INSERT INTO core_outboxmessage ({outbox_cols}) SELECT {outbox_exprs} FROM emails
ON CONFLICT (idempotency_key) DO NOTHING
"""
    params = {
        "now": now, "closed": CLOSED, "ct": ContentType.objects.get_for_model(Lead).pk,
        "reminded": LeadEvent.SLA_REMINDED.value, "escalated": LeadEvent.SLA_ESCALATED.value,
        "recalled": LeadEvent.SLA_RECALLED.value, "base": base, "a_limit": accept["limit"],
        "a_remind": accept["remind_at"], "a_due": accept["due_at"], "a_recall": accept["recall_at"],
    }
    return sql, params


def _settle_and_warm():
    from django.db import connection
    from django.urls import reverse

    reverse("leads:list")  # the URLconf loaded, as in a worker that has run a task before
    with connection.cursor() as cur:
        cur.execute("CHECKPOINT")
        cur.execute("SELECT count(*), sum(length(company)) FROM leads_lead")
        cur.execute("SELECT count(*), max(next_at) FROM leads_leadclock")
        cur.execute("SELECT count(*) FROM leads_leadclock WHERE next_at <= now()")
        cur.execute("SELECT count(*) FROM core_activityevent")


def _figures():
    """What a run changed, to compare the two copies."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT verb, count(*) FROM core_activityevent GROUP BY verb")
        events = dict(cur.fetchall())
        cur.execute("SELECT count(*) FROM leads_lead WHERE owner_id IS NULL")
        recalled = cur.fetchone()[0]
        cur.execute("SELECT sum(open_count) FROM leads_userclaimquota")
        held = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM leads_leadclaimblock")
        blocks = cur.fetchone()[0]
        cur.execute("SELECT count(*), count(DISTINCT idempotency_key) FROM core_outboxmessage")
        emails, distinct = cur.fetchone()
        cur.execute("SELECT payload->>'template_key', (item->>'url') FROM core_outboxmessage, "
                    "jsonb_array_elements(payload->'context'->'leads') AS item")
        listed = Counter(cur.fetchall())
    doubles = sum(n - 1 for n in listed.values() if n > 1)
    return {"events": events, "recalled": recalled, "held": held, "blocks": blocks, "emails": emails,
            "duplicates": emails - distinct + doubles}


def _switch_database(url):
    import environ
    from django.conf import settings
    from django.db import connections

    connections.close_all()
    settings.DATABASES["default"].update(environ.Env.db_url_config(url))
    connections["default"].settings_dict.update(environ.Env.db_url_config(url))


def main():
    base_url, url_a, name_a = database_url("sla")
    url_b = urlunsplit(urlsplit(url_a)._replace(path=f"/{name_a}_copy"))
    name_b = f"{name_a}_copy"
    _admin(base_url, f'DROP DATABASE IF EXISTS "{name_b}"')
    recreate_database(base_url, name_a)
    os.environ["DATABASE_URL"] = url_a
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections, transaction
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    now = timezone.now().replace(microsecond=0)
    t0 = time.perf_counter()
    queue = _load(now)
    with connection.cursor() as cur:
        for table in ("leads_lead", "leads_leadclock", "leads_userclaimquota", "accounts_user", "core_activityevent",
                      "core_outboxmessage"):
            cur.execute(f"VACUUM ANALYZE {table}")
    print(f"loaded {LEADS} claimed leads with clocks in {time.perf_counter() - t0:.1f}s", flush=True)
    connections.close_all()
    _admin(base_url, f'CREATE DATABASE "{name_b}" TEMPLATE "{name_a}"')

    # Copy A: the floor, one statement.
    sql, params = _floor_sql(now, queue.pk)
    _settle_and_warm()
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:  # timed to its commit, as the task is
        cur.execute(sql, params)
    floor_s = time.perf_counter() - t0
    floor = _figures()
    print(f"floor: one statement in {floor_s:.2f}s: {floor}", flush=True)

    # Copy B: the beat task as deployed.
    _switch_database(url_b)
    from leads.tasks import sla_ladder_run_task
    from prm_portal.core.tasks import outbox_relay_task

    _settle_and_warm()
    doorbells = Counter()

    def count_delay(*args, **kwargs):
        doorbells["rung"] += 1

    real_delay = outbox_relay_task.delay
    outbox_relay_task.delay = count_delay  # a plain function: a Mock's bookkeeping would cost more than the work
    try:
        t0 = time.perf_counter()
        summary = sla_ladder_run_task()
        task_s = time.perf_counter() - t0
    finally:
        outbox_relay_task.delay = real_delay
    task = _figures()
    again = sla_ladder_run_task()  # a second run (or a second worker after the first) finds nothing to do
    print(f"task: {summary} in {task_s:.2f}s, doorbell rung {doorbells['rung']} times: {task}", flush=True)
    print(f"task again: {again}", flush=True)
    connections.close_all()
    _admin(base_url, f'DROP DATABASE IF EXISTS "{name_b}"')

    steps = summary["reminded"] + summary["escalated"] + summary["recalled"] + summary["rerouted"]
    same = all(task[k] == floor[k] for k in ("events", "recalled", "held", "blocks", "emails"))
    duplicates = task["duplicates"]
    ok = same and duplicates == 0 and steps == LEADS // 10 and not any(again.values())
    print(f"sla: leads={LEADS} steps={steps} task_s={task_s:.2f} floor_s={floor_s:.2f} ratio={task_s / floor_s:.2f} "
          f"emails={task['emails']} duplicates={duplicates}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
