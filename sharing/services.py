"""Writes for sharing (A3): Done stores the rules; the grants are written as django-guardian direct foreign-key
object permissions, one per matching record and rule (each rule has its own auth group).

`sharing_grant_record` is registered with the access policy (SharingConfig.ready) and called by the services that
create leads, opportunities and referrals, in their transaction: the record apps never import sharing.
"""

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.events import AccountEvent
from accounts.models import PartnerAccount, PortalSettings
from prm_portal.core.errors import InvalidTransition
from prm_portal.core.services import activity_record

from .models import RecordType, SharingRule
from .selectors import GRANT_MODELS, RuleDraft, grantee_users, record_type_of, sharing_rule_records


def _validate(record_types, rules):
    valid_types = set(RecordType.values)
    if not set(record_types) <= valid_types:
        raise InvalidTransition(_("Unknown record type."))
    Queue = apps.get_model("leads", "Queue")
    for draft in rules:
        if draft.record_type not in valid_types:
            raise InvalidTransition(_("Unknown record type."))
        if bool(draft.partner_account) == bool(draft.queue):
            raise InvalidTransition(_("A rule shares with one partner account or one queue."))
        if draft.partner_account and not PartnerAccount.objects.filter(pk=draft.partner_account).exists():
            raise InvalidTransition(_("A rule names a partner account that no longer exists."))
        if draft.queue and not Queue.objects.filter(pk=draft.queue).exists():
            raise InvalidTransition(_("A rule names a queue that no longer exists."))
        if draft.access not in SharingRule.Access.values:
            raise InvalidTransition(_("Unknown access level."))


def _permissions(model, access):
    ct = ContentType.objects.get_for_model(model)
    codenames = [f"view_{model._meta.model_name}"]
    if access == SharingRule.Access.EDIT:
        codenames.append(f"change_{model._meta.model_name}")
    return list(Permission.objects.filter(content_type=ct, codename__in=codenames))


def _grant_set_based(grant_model, grantee_column, grantee_id, permission, rule, records):
    """One INSERT ... SELECT per grantee and permission: the matching records never travel through Python."""
    select_sql, select_params = records.order_by().values("pk").query.sql_with_params()
    table = connection.ops.quote_name(grant_model._meta.db_table)
    # Names come from model metadata and Django's own compiled subquery; every value is a parameter.
    # The subquery selects one column, the record's primary key; "WHERE true" is SQLite's upsert syntax.
    insert = f"INSERT INTO {table} ({grantee_column}, permission_id, sharing_rule_id, content_object_id) "
    sql = insert + f"SELECT %s, %s, %s, matched.* FROM ({select_sql}) matched WHERE true ON CONFLICT DO NOTHING"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [grantee_id, permission.pk, rule.pk, *select_params])
        return max(cursor.rowcount, 0)


@transaction.atomic
def sharing_apply(*, actor, record_types, rules):
    """A3 Done: store the shared record types and rules; the rules' grants are then rebuilt by Celery.

    Each rule gets its own auth group holding one view (and change, for edit access) grant per matching record,
    so a queue rule costs the same whatever the number of its members; `shared_pks_q` finds the rules that
    apply to a person (their partner account, their queues) at query time.
    """
    if not actor.is_vendor_admin:
        raise InvalidTransition(_("Only a vendor admin can change sharing."))
    settings_row = PortalSettings.objects.select_for_update().get_or_create(id=1)[0]
    if not settings_row.prm_enabled:
        raise InvalidTransition(_("Enable partner relationship management first."))
    _validate(record_types, rules)
    old = {"types": settings_row.shared_record_types(), "rules": SharingRule.objects.count()}
    old_groups = list(SharingRule.objects.exclude(group=None).values_list("group_id", flat=True))
    for user_model, group_model in GRANT_MODELS.values():
        user_model.objects.filter(sharing_rule__isnull=False).delete()
        group_model.objects.filter(sharing_rule__isnull=False).delete()
    SharingRule.objects.all().delete()
    Group.objects.filter(pk__in=old_groups).delete()

    settings_row.share_leads = RecordType.LEAD in record_types
    settings_row.share_opportunities = RecordType.OPPORTUNITY in record_types
    settings_row.share_referrals = RecordType.REFERRAL in record_types
    settings_row.sharing_applied_at = timezone.now()
    settings_row.sharing_applied_by = actor
    settings_row.save(update_fields=["share_leads", "share_opportunities", "share_referrals",
                                     "sharing_applied_at", "sharing_applied_by"])
    for position, draft in enumerate(rules):
        SharingRule.objects.create(
            record_type=draft.record_type, partner_account_id=draft.partner_account or None,
            queue_id=draft.queue or None, country=draft.country.upper(), industry=draft.industry,
            access=draft.access, position=position, created_by=actor,
        )
    activity_record(
        target=settings_row, event=AccountEvent.SHARING_APPLIED, actor=actor,
        changes={"shared_record_types": [old["types"], list(record_types)], "rules": [old["rules"], len(rules)]},
    )
    # The grants can be many (one per matching record and rule): Celery writes them after commit.
    from prm_portal.core.publish import task_publish_on_commit

    from .tasks import sharing_grants_rebuild_task

    task_publish_on_commit(sharing_grants_rebuild_task)  # a broker outage is logged, never an error page
    return settings_row


@transaction.atomic
def sharing_grants_rebuild():
    """Write the grants of every current rule, replacing what the rules granted before. Safe to run twice."""
    settings_row = PortalSettings.objects.select_for_update().filter(id=1).first()  # one rebuild at a time
    if settings_row is None:
        return {}
    shared = settings_row.shared_record_types()
    grants = {}
    for rule in SharingRule.objects.filter(record_type__in=list(GRANT_MODELS)):
        user_model, group_model = GRANT_MODELS[rule.record_type]
        group_model.objects.filter(sharing_rule=rule).delete()
        user_model.objects.filter(sharing_rule=rule).delete()
        if rule.record_type in shared:
            made = _grant_rule(rule, RuleDraft.from_rule(rule))
            grants[rule.record_type] = grants.get(rule.record_type, 0) + made
    return grants


def _grant_rule(rule, draft, only_pk=None):
    records = sharing_rule_records(draft)
    if records is None:
        return 0
    if only_pk is not None:
        records = records.filter(pk=only_pk)
    if rule.group_id is None:
        rule.group = Group.objects.create(name=f"sharing-rule-{rule.pk}")
        rule.save(update_fields=["group"])
        # Membership only serves django-guardian's own has_perm(); shared_pks_q resolves grantees at query time.
        rule.group.user_set.add(*grantee_users(draft))
    _user_model, group_model = GRANT_MODELS[draft.record_type]
    return sum(
        _grant_set_based(group_model, "group_id", rule.group_id, perm, rule, records)
        for perm in _permissions(records.model, draft.access)
    )


def sharing_grant_record(*, record):
    """Apply the current rules to one new record: the access policy's record-created hook, which the services
    creating leads, opportunities and referrals call in their transaction (`access.record_created`).

    Done grants what exists at that moment; a record created later is shared through this.
    """
    record_type = record_type_of(type(record))
    settings_row = PortalSettings.objects.filter(id=1).first()
    if record_type not in GRANT_MODELS or settings_row is None or record_type not in settings_row.shared_record_types():
        return 0
    made = 0
    for rule in SharingRule.objects.filter(record_type=record_type):
        made += _grant_rule(rule, RuleDraft.from_rule(rule), only_pk=record.pk)
    return made


def sharing_regrant_record(*, record):
    """Apply the current rules to one record again: the access policy's record-changed hook, which the lead and
    opportunity services call in their transaction when the record's country or industry changes
    (`access.record_changed`). The grants the rules made for it go, and the rules it matches now grant it again:
    partners stop seeing a record that no longer matches their rule, and see one that now does."""
    record_type = record_type_of(type(record))
    if record_type not in GRANT_MODELS:
        return 0
    for grant_model in GRANT_MODELS[record_type]:
        grant_model.objects.filter(content_object=record, sharing_rule__isnull=False).delete()
    return sharing_grant_record(record=record)
