"""The pipeline summary the Home dashboards read (opportunities.models.PipelineSummary), filled from the deals an
install already has, so its dashboards show the same numbers right after `migrate`; the conversions' own index."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def fill_summary(apps, schema_editor):
    from opportunities.services import pipeline_summary_rebuild

    pipeline_summary_rebuild(using=schema_editor.connection.alias)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0010_user_time_zone'),
        ('leads', '0006_lead_updated_index'),
        ('opportunities', '0006_default_stage_codes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='PipelineSummary',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('currency', models.CharField(max_length=3)),
                ('n', models.IntegerField(default=0)),
                ('amount', models.DecimalField(decimal_places=2, default=0, max_digits=18)),
            ],
        ),
        migrations.RemoveIndex(
            model_name='opportunity',
            name='opp_dashboard_idx',
        ),
        migrations.AddIndex(
            model_name='opportunity',
            index=models.Index(condition=models.Q(('source_lead__isnull', False)), fields=['created_at', 'partner_account', 'owner'], name='opp_converted_idx'),
        ),
        migrations.AddField(
            model_name='pipelinesummary',
            name='owner',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='pipelinesummary',
            name='partner_account',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.partneraccount'),
        ),
        migrations.AddField(
            model_name='pipelinesummary',
            name='stage',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='opportunities.stage'),
        ),
        migrations.AddConstraint(
            model_name='pipelinesummary',
            constraint=models.UniqueConstraint(fields=('partner_account', 'owner', 'stage', 'currency'), name='pipeline_summary_key'),
        ),
        migrations.RunPython(fill_summary, migrations.RunPython.noop),
    ]
