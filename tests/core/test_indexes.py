"""The portal's tables carry no index that another index of the same table already covers.

Every INSERT, and every UPDATE that changes an indexed column, writes an entry in each index of the table: a claim
moves a lead's owner, queue and partner, expiry closes a million referrals (`make bench-claims`, `make
bench-expiry`). An index whose columns begin another index (same columns, same operator classes, neither partial
nor on expressions) serves no query the longer one does not, and is paid for on every write. Django makes one for
each foreign key unless told `db_index=False`; the migrations `*_foreign_keys_without_covered_indexes` dropped
those, and this test keeps new ones from creeping back.
"""

import pytest
from django.apps import apps
from django.db import connection

pytestmark = pytest.mark.django_db

OURS = {"core", "accounts", "leads", "opportunities", "referrals", "finder", "sharing", "registrations", "webhooks",
        "reports", "notifications"}

_COVERED = """
WITH idx AS (
    SELECT t.relname AS tbl, i.relname AS idx, x.indisunique AS uniq, x.indnatts > x.indnkeyatts AS includes,
           (x.indkey::int2[])[0:x.indnkeyatts - 1] AS keys, (x.indclass::oid[])[0:x.indnkeyatts - 1] AS classes,
           x.indpred IS NOT NULL OR x.indexprs IS NOT NULL AS special
    FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid
    WHERE t.relname = ANY(%s)
)
SELECT a.tbl, a.idx, b.idx FROM idx a JOIN idx b ON a.tbl = b.tbl AND a.idx <> b.idx
WHERE NOT a.uniq AND NOT a.includes AND NOT a.special AND NOT b.special
  AND b.keys[1:cardinality(a.keys)] = a.keys AND b.classes[1:cardinality(a.classes)] = a.classes
  AND (cardinality(b.keys) > cardinality(a.keys) OR b.uniq OR a.idx > b.idx)
ORDER BY 1, 2, 3
"""


def _our_tables():
    """Our models' tables (the sharing grants included: accounts.models.UserGrantBase and GroupGrantBase), not the
    tables Django makes by itself for a many-to-many field."""
    return [
        model._meta.db_table for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label in OURS and not model._meta.auto_created
    ]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="reads PostgreSQL's catalog")
def test_no_index_of_ours_is_covered_by_another_of_its_table():
    tables = _our_tables()
    assert {"leads_lead", "referrals_referral", "accounts_leadgroupobjectpermission"} <= set(tables)
    with connection.cursor() as cursor:
        cursor.execute(_COVERED, [tables])
        covered = cursor.fetchall()
    assert covered == [], "indexes another index of their table covers (table, index, covering index): " + repr(
        covered)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="reads PostgreSQL's catalog")
def test_the_check_finds_a_covered_index():
    """The query above is not vacuous: an index on a foreign key that a composite index starts with is found."""
    with connection.cursor() as cursor:
        cursor.execute('CREATE INDEX test_lead_owner_only ON leads_lead ("owner_id")')
        cursor.execute(_COVERED, [["leads_lead"]])
        covered = cursor.fetchall()
    assert ("leads_lead", "test_lead_owner_only", "lead_owner_inbox_idx") in covered
