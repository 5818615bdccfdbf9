from django.db import migrations

STAGES = [
    ("Prospecting", 10, "open"),
    ("Qualification", 20, "open"),
    ("Needs analysis", 40, "open"),
    ("Proposal", 60, "open"),
    ("Negotiation", 80, "open"),
    ("Closed won", 100, "won"),
    ("Closed lost", 0, "lost"),
]


def create_stages(apps, schema_editor):
    Stage = apps.get_model("opportunities", "Stage")
    for order, (name, probability, kind) in enumerate(STAGES, start=1):
        Stage.objects.get_or_create(name=name, defaults={"probability": probability, "kind": kind, "order": order})


class Migration(migrations.Migration):
    dependencies = [("opportunities", "0001_initial")]
    operations = [migrations.RunPython(create_stages, migrations.RunPython.noop)]
