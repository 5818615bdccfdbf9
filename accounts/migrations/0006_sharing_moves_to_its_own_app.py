"""The sharing rules and their grant tables move to the sharing app (state only).

No table changes: the sharing app's models keep the `accounts_*` tables (Meta.db_table), and its 0001 migration
takes them over in the migration state. Grants first, then the rule they point to.
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_sharing_rule_group'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='LeadUserObjectPermission'),
                migrations.DeleteModel(name='LeadGroupObjectPermission'),
                migrations.DeleteModel(name='OpportunityUserObjectPermission'),
                migrations.DeleteModel(name='OpportunityGroupObjectPermission'),
                migrations.DeleteModel(name='SharingRule'),
            ],
            database_operations=[],
        ),
    ]
