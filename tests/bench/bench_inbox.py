"""Benchmark: the Leads tab (a partner's inbox) over 200,000 leads, 500 partner accounts and 2,000 users.

Run by `make bench-inbox`. Uses its own database, named after DATABASE_URL's with an `_inbox` suffix, dropped and
rebuilt on each run. 80,000 leads wait in 20 queues (each partner account is a member of one), 120,000 are owned
by the 2,000 partner people (60 each), over a year of creation dates. 50 of them (40 reps, 10 partner admins)
open the Leads tab through the Django test client (server side: middleware, selector, template); one warm-up
request each, then two timed ones. The last line is:
inbox: leads=200000 p50_ms=… p95_ms=… queries=…
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
QUEUE_LEADS = 80_000
PARTNERS = 500
USERS = 2_000
QUEUES = 20
SAMPLED = 50
ROUNDS = 2


LEAD_INSERT = """
INSERT INTO leads_lead (company, first_name, last_name, email, phone, country, industry, company_size, source,
                        status, description, owner_id, queue_id, partner_account_id, source_queue_id, claimed_at,
                        holds_claim, created_at, updated_at)
"""


def _populate():
    from django.contrib.auth.hashers import make_password
    from django.db import connection
    from django.utils import timezone

    from accounts.models import PartnerAccount, PortalSettings, User
    from leads.models import Queue

    now = timezone.now()
    PortalSettings.objects.update_or_create(id=1, defaults={"prm_enabled": True, "prm_enabled_at": now})
    managers = User.objects.bulk_create([
        User(email=f"cm{i}@bench.example", role=User.Role.CHANNEL_MANAGER, is_staff=True) for i in range(25)
    ])
    partners = PartnerAccount.objects.bulk_create([
        PartnerAccount(name=f"Inbox Partner {i:03d}", owner=managers[i % len(managers)], is_partner=True,
                       partner_enabled_at=now, country="CZ")
        for i in range(PARTNERS)
    ])
    hashed = make_password("bench-Password-2026")
    per_partner = USERS // PARTNERS
    User.objects.bulk_create([
        User(email=f"u{i:04d}@inbox.example", first_name="Rep", last_name=f"{i:04d}", password=hashed,
             role=User.Role.PARTNER_ADMIN if i % per_partner == 0 else User.Role.PARTNER_USER,
             partner_account=partners[i // per_partner], last_login=now)
        for i in range(USERS)
    ])
    queues = Queue.objects.bulk_create([Queue(name=f"Inbox queue {i:02d}") for i in range(QUEUES)])
    Through = Queue.member_accounts.through
    Through.objects.bulk_create([
        Through(queue_id=queues[i % QUEUES].pk, partneraccount_id=p.pk) for i, p in enumerate(partners)
    ])
    statuses = "ARRAY['new','working','qualified','unqualified','converted']"
    with connection.cursor() as cur:
        cur.execute(
            LEAD_INSERT + f"""
            SELECT 'Inbox Customer ' || g, 'Jan', 'Buyer', 'lead' || g || '@customer.example', '', 'CZ',
                   'Manufacturing', '', 'Web form', 'new', '', NULL, q.ids[1 + g %% {QUEUES}], NULL, NULL, NULL,
                   false, now() - (g %% 365) * interval '1 day' - (g %% 997) * interval '1 minute', now()
            FROM generate_series(1, %s) g, (SELECT array_agg(id ORDER BY id) AS ids FROM leads_queue) q
            """,
            [QUEUE_LEADS],
        )
        cur.execute(
            LEAD_INSERT + f"""
            SELECT 'Inbox Customer ' || ({QUEUE_LEADS} + g), 'Anna', 'Owner', '', '', 'CZ', 'Retail', '',
                   'Trade show', ({statuses})[1 + g %% 5], '', u.id, NULL, u.partner_account_id, NULL, NULL, false,
                   now() - (g %% 365) * interval '1 day' - (g %% 991) * interval '1 minute', now()
            FROM generate_series(1, %s) g
            JOIN (SELECT id, partner_account_id, row_number() OVER (ORDER BY id) - 1 AS rn FROM accounts_user
                  WHERE role IN ('partner_user', 'partner_admin')) u ON u.rn = g %% {USERS}
            """,
            [LEADS - QUEUE_LEADS],
        )
        cur.execute("VACUUM ANALYZE")


def _sample_users():
    from accounts.models import User

    people = User.objects.filter(email__endswith="@inbox.example").order_by("id")
    reps = list(people.filter(role=User.Role.PARTNER_USER)[: 40 * 37 : 37])
    admins = list(people.filter(role=User.Role.PARTNER_ADMIN)[: 10 * 41 : 41])
    return reps + admins


def main():
    base_url, db_url, name = database_url("inbox")
    recreate_database(base_url, name)
    os.environ["DATABASE_URL"] = db_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm_portal.settings.test")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from leads.models import Lead

    call_command("migrate", verbosity=0)
    started = time.monotonic()
    _populate()
    total = Lead.objects.count()
    loaded = time.monotonic() - started
    users = _sample_users()
    assert len(users) == SAMPLED, len(users)

    timings, queries, rows = [], 0, []
    for user in users:
        client = Client()
        client.force_login(user)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/leads/")  # warm-up, and the query count
        assert response.status_code == 200
        queries = max(queries, len(ctx.captured_queries))
        rows.append(response.content.count(b'<tr id="lead-'))
        for _ in range(ROUNDS):
            t0 = time.perf_counter()
            response = client.get("/leads/")
            timings.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200
    timings.sort()
    p50 = statistics.median(timings)
    p95 = timings[int(len(timings) * 0.95) - 1]
    print(f"loaded {total} leads in {loaded:.1f}s; {len(users)} users, {len(timings)} timed requests, "
          f"{min(rows)}-{max(rows)} rows per page")
    print(f"inbox: leads={total} p50_ms={p50:.1f} p95_ms={p95:.1f} queries={queries}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
