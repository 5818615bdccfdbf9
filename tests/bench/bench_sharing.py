"""Benchmark: the external user access wizard's dry run and Done over 200,000 leads, and the shared-lead lookup.

Run: `DATABASE_URL=postgres://postgres@127.0.0.1:5432/prm_bench .venv/bin/python tests/bench/bench_sharing.py`
Uses its own database, named after DATABASE_URL's with a `_sharing` suffix, dropped and rebuilt on each run.
200 partner accounts (4 people each), 20 queues of 10 accounts, 200,000 leads over 5 countries and 5 industries.
20 rules: 10 share one country's leads with one partner account, 10 share one industry's leads with a queue's
members (edit access). Timed: the step-3 dry run, Done (sharing_apply: the request's part), the grants rebuild
Celery runs after commit (set-based INSERT ... SELECT, eager here), then 50 partner people's first page and count of
"my leads OR shared with me" (the Q other selectors OR in), twice each. The last line is:
sharing: leads=200000 grants=… dry_run_ms=… done_ms=… grants_ms=… list_p50_ms=… list_p95_ms=…
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

    t0 = time.perf_counter()
    with transaction.atomic():  # Done's own work (the request); the grants are written by Celery on commit
        sharing_apply(actor=admin, record_types=["lead"], rules=rules)
        done_ms = (time.perf_counter() - t0) * 1000
    grants_ms = (time.perf_counter() - t0) * 1000 - done_ms
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
    timings.sort()
    p50 = statistics.median(timings)
    p95 = timings[int(len(timings) * 0.95) - 1]
    print(f"loaded {Lead.objects.count()} leads in {loaded:.1f}s; {len(rules)} rules exposing {exposed} records; "
          f"{len(sampled)} people, {len(timings)} timed page+count lookups, {min(sizes)}-{max(sizes)} rows per page")
    print(f"sharing: leads={LEADS} grants={grants} dry_run_ms={dry_run_ms:.0f} done_ms={done_ms:.0f} "
          f"grants_ms={grants_ms:.0f} list_p50_ms={p50:.1f} list_p95_ms={p95:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
