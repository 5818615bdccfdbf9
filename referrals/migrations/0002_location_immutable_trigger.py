"""A referral's partner and location are fixed at creation (E8): the database refuses an UPDATE that changes them."""

from django.db import migrations

PG_UP = """
CREATE OR REPLACE FUNCTION referrals_referral_location_fixed() RETURNS trigger AS $$
BEGIN
    IF NEW.location_id IS DISTINCT FROM OLD.location_id
       OR NEW.partner_account_id IS DISTINCT FROM OLD.partner_account_id THEN
        RAISE EXCEPTION 'A referral''s partner and location cannot be changed after creation.'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER referrals_referral_location_fixed
    BEFORE UPDATE OF location_id, partner_account_id ON referrals_referral
    FOR EACH ROW EXECUTE FUNCTION referrals_referral_location_fixed();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS referrals_referral_location_fixed ON referrals_referral;
DROP FUNCTION IF EXISTS referrals_referral_location_fixed();
"""
SQLITE_UP = """
CREATE TRIGGER referrals_referral_location_fixed
BEFORE UPDATE OF location_id, partner_account_id ON referrals_referral
WHEN NEW.location_id IS NOT OLD.location_id OR NEW.partner_account_id IS NOT OLD.partner_account_id
BEGIN
    SELECT RAISE(ABORT, 'A referral''s partner and location cannot be changed after creation.');
END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS referrals_referral_location_fixed;"


def up(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_UP)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_UP)


def down(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_DOWN)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_DOWN)


class Migration(migrations.Migration):
    dependencies = [("referrals", "0001_initial")]
    operations = [migrations.RunPython(up, down)]
