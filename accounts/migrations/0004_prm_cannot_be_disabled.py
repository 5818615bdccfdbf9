"""A2: once partner relationship management is enabled, the database refuses to turn it off.

A trigger on PostgreSQL and on SQLite (both run the portal) rejects any UPDATE that clears
`prm_enabled` or rewrites when it was enabled, and any DELETE of the enabled row, whatever
the caller: a form, the admin, the API, `save()`, `QuerySet.update()` or raw SQL.
"""

from django.db import migrations

MESSAGE = "Partner relationship management cannot be disabled once enabled."

PG_FORWARD = [
    f"""
    CREATE OR REPLACE FUNCTION accounts_prm_stays_enabled() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            IF OLD.prm_enabled THEN
                RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'check_violation';
            END IF;
            RETURN OLD;
        END IF;
        IF OLD.prm_enabled AND (NOT NEW.prm_enabled OR NEW.prm_enabled_at IS DISTINCT FROM OLD.prm_enabled_at) THEN
            RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER accounts_prm_stays_enabled
    BEFORE UPDATE OR DELETE ON accounts_portalsettings
    FOR EACH ROW EXECUTE FUNCTION accounts_prm_stays_enabled();
    """,
]
PG_REVERSE = [
    "DROP TRIGGER IF EXISTS accounts_prm_stays_enabled ON accounts_portalsettings;",
    "DROP FUNCTION IF EXISTS accounts_prm_stays_enabled();",
]

SQLITE_FORWARD = [
    f"""
    CREATE TRIGGER accounts_prm_stays_enabled_update
    BEFORE UPDATE ON accounts_portalsettings
    FOR EACH ROW WHEN OLD.prm_enabled AND (NOT NEW.prm_enabled OR NEW.prm_enabled_at IS NOT OLD.prm_enabled_at)
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;
    """,
    f"""
    CREATE TRIGGER accounts_prm_stays_enabled_delete
    BEFORE DELETE ON accounts_portalsettings
    FOR EACH ROW WHEN OLD.prm_enabled
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;
    """,
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS accounts_prm_stays_enabled_update;",
    "DROP TRIGGER IF EXISTS accounts_prm_stays_enabled_delete;",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor, [])
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_sharing_and_partner_status")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": PG_REVERSE, "sqlite": SQLITE_REVERSE}),
        ),
    ]
