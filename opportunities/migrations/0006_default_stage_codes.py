"""The default stages get their stable codes, so their names come translated (opportunities.models.DEFAULT_STAGE_NAMES)
whatever the language; a stage an admin renamed or added keeps no code and shows its own name (or its `names`)."""

from django.db import migrations

CODES = {
    "Prospecting": "prospecting",
    "Qualification": "qualification",
    "Needs analysis": "needs_analysis",
    "Proposal": "proposal",
    "Negotiation": "negotiation",
    "Closed won": "closed_won",
    "Closed lost": "closed_lost",
}


def set_codes(apps, schema_editor):
    Stage = apps.get_model("opportunities", "Stage")
    for name, code in CODES.items():
        Stage.objects.filter(name=name, code__isnull=True).update(code=code)


def clear_codes(apps, schema_editor):
    apps.get_model("opportunities", "Stage").objects.filter(code__in=CODES.values()).update(code=None)


class Migration(migrations.Migration):
    dependencies = [("opportunities", "0005_stage_code_and_names")]
    operations = [migrations.RunPython(set_codes, clear_codes)]
