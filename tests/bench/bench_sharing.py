"""Benchmark: the external user access wizard's dry run and Done over 200,000 leads, and the shared-lead lookup.

Run: `DATABASE_URL=postgres://postgres@127.0.0.1:5432/prm_bench .venv/bin/python tests/bench/bench_sharing.py`
Uses its own database, named after DATABASE_URL's with a `_sharing` suffix, dropped and rebuilt on each run.
200 partner accounts (4 people each), 20 queues of 10 accounts, 200,000 leads over 5 countries and 5 industries.
20 rules: 10 share one country's leads with one partner account, 10 share one industry's leads with a queue's
members (edit access). Timed: the step-3 dry run, Done (sharing_apply: the request's part), the grants rebuild
Celery runs after commit (set-based INSERT ... SELECT, eager here), then 50 partner people's first page and count of
"my leads OR shared with me" (the Q other selectors OR in), twice each.

visible_ms: from the start of Done until a person of a shared-with partner sees a shared lead (Done's request, its
commit, the grants rebuild Celery runs on commit: eager here, so without a broker's or worker's delay).
floor_ratio: grants_ms against one hand-written INSERT ... SELECT writing the same grant rows (rules x permissions x
matching leads, in one statement, into the emptied grant table, its commit included), timed in the same run; the
two row sets are checked equal. The last line is:
sharing: leads=200000 grants=… dry_run_ms=… done_ms=… grants_ms=… list_p50_ms=… list_p95_ms=… visible_ms=…
         floor_ms=… floor_ratio=…
"""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.benchdb import database_url, recreate_database  # noqa: E402

LEADS = 200_000
PARTNERS = 200
PEOPLE_PER_PARTNER = 4
QUEUES = 20
COUNTRIES = ["CZ", "PL", "DE", "ES", "SK"]
INDUSTRIES = ["Manufacturing", "Retail", "Finance", "Health", "Energy"]
SAMPLED = 50
ROUNDS = 2


def _populate():
    from django.db import connection
    from django.utils import timezone

    from accounts.models import PartnerAccount, PortalSettings, User
    from leads.models import Lead, Queue

    now = timezone.now()
    PortalSettings.objects.update_or_create(id=1, defaults={"prm_enabled": True, "prm_enabled_at": now})
    admin = User.objects.create_superuser("admin@bench.example", "bench-Password-2026")
    managers = User.objects.bulk_create([
        User(email=f"cm{i}@bench.example", role=User.Role.CHANNEL_MANAGER, is_staff=True) for i in range(20)
    ])
    partners = PartnerAccount.objects.bulk_create([
        PartnerAccount(name=f"Sharing Partner {i:03d}", owner=managers[i % len(managers)], is_partner=True,
                       partner_enabled_at=now, country=COUNTRIES[i % len(COUNTRIES)])
        for i in range(PARTNERS)
    ])
    people = User.objects.bulk_create([
        User(email=f"p{i:04d}@sharing.example", role=User.Role.PARTNER_USER, last_login=now,
             partner_account=partners[i // PEOPLE_PER_PARTNER])
        for i in range(PARTNERS * PEOPLE_PER_PARTNER)
    ])
    queues = Queue.objects.bulk_create([Queue(name=f"Sharing queue {i:02d}") for i in range(QUEUES)])
    Through = Queue.member_accounts.through
    Through.objects.bulk_create([
        Through(queue_id=queues[i % QUEUES].pk, partneraccount_id=p.pk) for i, p in enumerate(partners)
    ])
    batch = []
    for i in range(LEADS):
        owner = people[i % len(people)] if i % 4 == 0 else None  # a quarter owned, the rest unassigned
        batch.append(Lead(company=f"Customer {i}", last_name="Buyer", country=COUNTRIES[i % 5],
                          industry=INDUSTRIES[(i // 5) % 5], owner=owner,
                          partner_account_id=owner.partner_account_id if owner else None))
        if len(batch) == 5000:
            Lead.objects.bulk_create(batch)
            batch = []
    Lead.objects.bulk_create(batch)
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    return admin, partners, queues, people


def main():
    base_url, db_url, name = database_url("sharing")
    recreate_database(base_url, name)
    os.environ["DATABASE_URL"] = db_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm_portal.settings.test")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.db.models import Q

    from leads.models import Lead
    from sharing.models import LeadGroupObjectPermission, LeadUserObjectPermission
    from sharing.selectors import RuleDraft, shared_pks_q, sharing_dry_run
    from sharing.services import sharing_apply

    call_command("migrate", verbosity=0)
    started = time.monotonic()
    admin, partners, queues, people = _populate()
    loaded = time.monotonic() - started

    rules = [RuleDraft("lead", partner_account=partners[i * 7].pk, country=COUNTRIES[i % 5]) for i in range(10)]
    rules += [RuleDraft("lead", queue=queues[i].pk, industry=INDUSTRIES[i % 5], access="edit") for i in range(10)]

    t0 = time.perf_counter()
    rows = sharing_dry_run(record_types=["lead"], rules=rules)
    dry_run_ms = (time.perf_counter() - t0) * 1000
    exposed = sum(r["records"] for r in rows)

    watcher = next(p for p in people if p.partner_account_id == partners[0].pk)  # rule 0 shares CZ leads with them
    watched = Lead.objects.filter(shared_pks_q(user=watcher, model=Lead))
    assert not watched.exists()
    t0 = time.perf_counter()
    with transaction.atomic():  # Done's own work (the request); the grants are written by Celery on commit
        sharing_apply(actor=admin, record_types=["lead"], rules=rules)
        done_ms = (time.perf_counter() - t0) * 1000
    grants_ms = (time.perf_counter() - t0) * 1000 - done_ms
    while not Lead.objects.filter(shared_pks_q(user=watcher, model=Lead)).exists():
        time.sleep(0.001)
    visible_ms = (time.perf_counter() - t0) * 1000
    grants = LeadGroupObjectPermission.objects.count() + LeadUserObjectPermission.objects.count()
    with connection.cursor() as cur:
        cur.execute("ANALYZE")

    sampled = people[:: len(people) // SAMPLED][:SAMPLED]
    timings, sizes = [], []
    for person in sampled:
        visible = Lead.objects.filter(Q(owner=person) | shared_pks_q(user=person, model=Lead))
        sizes.append(len(list(visible.order_by("-created_at", "-id")[:50])))  # warm-up
        for _ in range(ROUNDS):
            t0 = time.perf_counter()
            page = list(visible.order_by("-created_at", "-id").values_list("pk", "company")[:50])
            visible.count()
            timings.append((time.perf_counter() - t0) * 1000)
            assert len(page) == sizes[-1]
    floor_ms, same = _floor(LeadGroupObjectPermission)
    timings.sort()
    p50 = statistics.median(timings)
    p95 = timings[int(len(timings) * 0.95) - 1]
    print(f"loaded {Lead.objects.count()} leads in {loaded:.1f}s; {len(rules)} rules exposing {exposed} records; "
          f"{len(sampled)} people, {len(timings)} timed page+count lookups, {min(sizes)}-{max(sizes)} rows per page")
    print(f"floor: {'the same' if same else 'DIFFERENT'} {grants} grant rows in one INSERT ... SELECT, "
          f"{floor_ms:.0f} ms")
    print(f"sharing: leads={LEADS} grants={grants} dry_run_ms={dry_run_ms:.0f} done_ms={done_ms:.0f} "
          f"grants_ms={grants_ms:.0f} list_p50_ms={p50:.1f} list_p95_ms={p95:.1f} visible_ms={visible_ms:.0f} "
          f"floor_ms={floor_ms:.0f} floor_ratio={grants_ms / floor_ms:.2f}")
    return 0 if same else 1


# Every lead rule's grants as the rebuild writes them (a view grant per matching lead, and a change grant for edit
# access), in one statement. Matching is the rule's criteria as the wizard reads them (case-insensitive).
FLOOR_SQL = """
INSERT INTO {table} (group_id, permission_id, sharing_rule_id, content_object_id)
SELECT r.group_id, p.id, r.id, l.id
FROM {rules} r
JOIN auth_permission p ON p.content_type_id = %(ct)s
     AND (p.codename = 'view_lead' OR (r.access = 'edit' AND p.codename = 'change_lead'))
JOIN leads_lead l ON (r.country = '' OR upper(l.country) = upper(r.country))
                 AND (r.industry = '' OR upper(l.industry) = upper(r.industry))
WHERE r.record_type = 'lead' AND r.group_id IS NOT NULL
"""
GRANT_COLUMNS = "group_id, permission_id, sharing_rule_id, content_object_id"


def _floor(grant_model):
    """The rebuild's rows written again by one hand-written statement into the emptied table (same indexes and
    constraints), commit included; returns (ms, whether the rows are the same set)."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction

    from leads.models import Lead
    from sharing.models import SharingRule

    table = grant_model._meta.db_table
    with connection.cursor() as cur:
        cur.execute(f"CREATE TEMP TABLE rebuilt AS SELECT {GRANT_COLUMNS} FROM {table}")  # noqa: S608
        cur.execute(f"TRUNCATE {table}")
        cur.execute("CHECKPOINT")
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(FLOOR_SQL.format(table=table, rules=SharingRule._meta.db_table),
                    {"ct": ContentType.objects.get_for_model(Lead).pk})
    floor_ms = (time.perf_counter() - t0) * 1000
    with connection.cursor() as cur:
        cur.execute(f"SELECT (SELECT count(*) FROM (SELECT {GRANT_COLUMNS} FROM rebuilt EXCEPT "  # noqa: S608
                    f"SELECT {GRANT_COLUMNS} FROM {table}) a), (SELECT count(*) FROM (SELECT {GRANT_COLUMNS} FROM "
                    f"{table} EXCEPT SELECT {GRANT_COLUMNS} FROM rebuilt) b), (SELECT count(*) FROM {table}), "
                    f"(SELECT count(*) FROM rebuilt)")
        missing, extra, written, rebuilt = cur.fetchone()
    return floor_ms, missing == extra == 0 and written == rebuilt


if __name__ == "__main__":
    sys.exit(main())
