"""Conflict detection is index-backed (H4): at 1,000,000 customer records the lookup a new record makes is an
index-only scan of customer_key_lookup_idx and answers within a few milliseconds.

The million rows are made in the test with one INSERT ... SELECT generate_series (about 10-20 s on a laptop,
rolled back with the test); it runs in `make test`. The xdist group keeps it on one worker."""

import statistics
import time

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from registrations.models import CustomerKey, Registration
from registrations.services.conflicts import customer_key_matches

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group(name="million_customer_keys")]

RECORDS = 1_000_000


def _fill(content_type_id, partner_id):
    """One customer record per number, each with one key: a name, a DUNS number or a domain in turn."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {CustomerKey._meta.db_table} (key, content_type_id, object_id, partner_account_id,
                created_at)
            SELECT CASE g %% 3 WHEN 0 THEN 'name:customer' || g || '|CZ' WHEN 1 THEN 'duns:' || lpad(g::text, 9, '0')
                   ELSE 'domain:customer' || g || '.example' END, %s, g, %s, now()
            FROM generate_series(1, %s) AS g""",  # noqa: S608
            [content_type_id, partner_id, RECORDS],
        )
        cursor.execute(f"ANALYZE {CustomerKey._meta.db_table}")


def test_the_lookup_uses_the_index_and_takes_a_few_milliseconds_at_a_million_records(cast):
    content_type_id = ContentType.objects.get_for_model(Registration).pk
    _fill(content_type_id, cast.partner_a.pk)
    assert CustomerKey.objects.count() == RECORDS
    keys = {"name:customer777777|CZ": "name", "duns:000123457": "duns", "domain:customer424244.example": "domain",
            "email:someone@customer424244.example": "email"}
    lookup = customer_key_matches(keys=keys, partner_account_id=cast.partner_b.pk)

    plan = lookup.explain()
    assert "customer_key_lookup_idx" in plan, plan
    assert "Seq Scan" not in plan, plan

    assert len(list(lookup)) == 3  # warm
    timings = []
    for _ in range(25):
        started = time.perf_counter()
        rows = list(customer_key_matches(keys=keys, partner_account_id=cast.partner_b.pk))
        timings.append((time.perf_counter() - started) * 1000)
    assert {row[2] for row in rows} == {777777, 123457, 424244}
    assert statistics.median(timings) < 5, timings
