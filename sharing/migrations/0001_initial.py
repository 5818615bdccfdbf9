"""The sharing app takes over the rules and the lead and opportunity grant tables from accounts (state only: the
tables keep their `accounts_*` names and their rows), and adds the referral grant tables."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MOVED_MODELS = [
    'sharingrule', 'leaduserobjectpermission', 'leadgroupobjectpermission', 'opportunityuserobjectpermission',
    'opportunitygroupobjectpermission',
]


def content_types_follow(apps, schema_editor):
    """The moved models' content types (and so their permissions and admin history) follow them, on a database
    that had them; a new database gets the sharing ones after migrating."""
    ContentType = apps.get_model('contenttypes', 'ContentType')
    db = schema_editor.connection.alias
    for model in MOVED_MODELS:
        if not ContentType.objects.using(db).filter(app_label='sharing', model=model).exists():
            ContentType.objects.using(db).filter(app_label='accounts', model=model).update(app_label='sharing')


def content_types_go_back(apps, schema_editor):
    ContentType = apps.get_model('contenttypes', 'ContentType')
    db = schema_editor.connection.alias
    for model in MOVED_MODELS:
        if not ContentType.objects.using(db).filter(app_label='accounts', model=model).exists():
            ContentType.objects.using(db).filter(app_label='sharing', model=model).update(app_label='accounts')


def _grant_fields(grantee, record):
    grantee_field = (
        models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to=settings.AUTH_USER_MODEL)
        if grantee == 'user'
        else models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='auth.group')
    )
    return [
        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
        ('content_object', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to=record)),
        ('permission', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='auth.permission')),
        (grantee, grantee_field),
        ('sharing_rule', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE,
                                           related_name='+', to='sharing.sharingrule')),
    ]


def _grant_options(grantee, db_table=None):
    options = {'abstract': False, 'unique_together': {(grantee, 'permission', 'content_object')}}
    if db_table:
        options['db_table'] = db_table
    return options


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('accounts', '0006_sharing_moves_to_its_own_app'),
        ('auth', '0012_alter_user_first_name_max_length'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('leads', '0003_record_version'),
        ('opportunities', '0004_record_version'),
        ('referrals', '0004_record_version'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='SharingRule',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                                   verbose_name='ID')),
                        ('record_type', models.CharField(choices=[('lead', 'Leads'), ('opportunity', 'Opportunities'),
                                                                  ('referral', 'Referrals')],
                                                         max_length=12, verbose_name='record type')),
                        ('country', models.CharField(blank=True, help_text='Blank: any country.', max_length=2,
                                                     verbose_name='country')),
                        ('industry', models.CharField(blank=True, help_text='Blank: any industry.', max_length=80,
                                                      verbose_name='industry')),
                        ('access', models.CharField(choices=[('read', 'Read only'), ('edit', 'Read and edit')],
                                                    default='read', max_length=4, verbose_name='access')),
                        ('position', models.PositiveSmallIntegerField(default=0)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('created_by', models.ForeignKey(blank=True, null=True,
                                                         on_delete=django.db.models.deletion.SET_NULL,
                                                         related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('group', models.OneToOneField(
                            blank=True, editable=False,
                            help_text="Holds this rule's object permissions: one grant per record, whatever the "
                                      "number of grantees.",
                            null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='sharing_rule',
                            to='auth.group')),
                        ('partner_account', models.ForeignKey(blank=True, null=True,
                                                              on_delete=django.db.models.deletion.CASCADE,
                                                              related_name='sharing_rules',
                                                              to='accounts.partneraccount',
                                                              verbose_name='partner account')),
                        ('queue', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE,
                                                    related_name='sharing_rules', to='leads.queue',
                                                    verbose_name='queue')),
                    ],
                    options={
                        'verbose_name': 'sharing rule',
                        'verbose_name_plural': 'sharing rules',
                        'db_table': 'accounts_sharingrule',
                        'ordering': ['position', 'id'],
                        'constraints': [
                            models.CheckConstraint(
                                condition=models.Q(models.Q(('partner_account__isnull', False), ('queue__isnull', True)),
                                                   models.Q(('partner_account__isnull', True), ('queue__isnull', False)),
                                                   _connector='OR'),
                                name='sharing_rule_one_grantee'),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name='LeadUserObjectPermission',
                    fields=_grant_fields('user', 'leads.lead'),
                    options=_grant_options('user', 'accounts_leaduserobjectpermission'),
                ),
                migrations.CreateModel(
                    name='LeadGroupObjectPermission',
                    fields=_grant_fields('group', 'leads.lead'),
                    options=_grant_options('group', 'accounts_leadgroupobjectpermission'),
                ),
                migrations.CreateModel(
                    name='OpportunityUserObjectPermission',
                    fields=_grant_fields('user', 'opportunities.opportunity'),
                    options=_grant_options('user', 'accounts_opportunityuserobjectpermission'),
                ),
                migrations.CreateModel(
                    name='OpportunityGroupObjectPermission',
                    fields=_grant_fields('group', 'opportunities.opportunity'),
                    options=_grant_options('group', 'accounts_opportunitygroupobjectpermission'),
                ),
            ],
            database_operations=[],
        ),
        # Referrals are really shared now (finding 7): their grant tables are new.
        migrations.CreateModel(
            name='ReferralUserObjectPermission',
            fields=_grant_fields('user', 'referrals.referral'),
            options=_grant_options('user'),
        ),
        migrations.CreateModel(
            name='ReferralGroupObjectPermission',
            fields=_grant_fields('group', 'referrals.referral'),
            options=_grant_options('group'),
        ),
        migrations.RunPython(content_types_follow, content_types_go_back, elidable=True),
    ]
