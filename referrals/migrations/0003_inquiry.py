"""Each referral gets its own inquiry id (E13): added nullable, filled one per row, then made required."""

import uuid

from django.db import migrations, models


def fill(apps, schema_editor):
    Referral = apps.get_model("referrals", "Referral")
    for pk in Referral.objects.filter(inquiry__isnull=True).values_list("pk", flat=True).iterator():
        Referral.objects.filter(pk=pk).update(inquiry=uuid.uuid4())


def sqlite_trigger_again(apps, schema_editor):
    """SQLite rebuilds the table to alter a column, which drops its triggers: put the location guard back."""
    if schema_editor.connection.vendor == "sqlite":
        from importlib import import_module

        guard = import_module("referrals.migrations.0002_location_immutable_trigger")
        schema_editor.execute(guard.SQLITE_DOWN)
        schema_editor.execute(guard.SQLITE_UP)


class Migration(migrations.Migration):
    dependencies = [("referrals", "0002_location_immutable_trigger")]

    operations = [
        migrations.AddField(
            model_name="referral", name="inquiry",
            field=models.UUIDField(editable=False, null=True, verbose_name="inquiry"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="referral", name="inquiry",
            field=models.UUIDField(db_index=True, default=uuid.uuid4, editable=False, verbose_name="inquiry"),
        ),
        migrations.RunPython(sqlite_trigger_again, migrations.RunPython.noop),
    ]
