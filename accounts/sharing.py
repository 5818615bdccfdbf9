"""Sharing rules (A3, A4): which leads, opportunities and referrals partners see beyond their own.

A rule shares the records of one type that match its criteria (country, industry; blank means any)
with a partner account or with the members of a lead queue. `sharing_dry_run` counts what each rule
would expose from the real data; `sharing_apply` replaces the rules and writes the grants as
django-guardian direct foreign-key object permissions (one row per record and grantee).
Other apps' selectors OR `shared_pks_q(user=..., model=...)` into their visibility filter.
"""

from dataclasses import asdict, dataclass

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from prm_portal.core.errors import InvalidTransition
from prm_portal.core.services import activity_record

from .models import (
    LeadGroupObjectPermission,
    LeadUserObjectPermission,
    OpportunityGroupObjectPermission,
    OpportunityUserObjectPermission,
    PartnerAccount,
    PortalSettings,
    RecordType,
    SharingRule,
    User,
)

MODELS = {
    RecordType.LEAD: ("leads", "Lead"),
    RecordType.OPPORTUNITY: ("opportunities", "Opportunity"),
    RecordType.REFERRAL: ("referrals", "Referral"),
}
# Record types whose grants are written as direct foreign-key object permissions.
GRANT_MODELS = {
    RecordType.LEAD: (LeadUserObjectPermission, LeadGroupObjectPermission),
    RecordType.OPPORTUNITY: (OpportunityUserObjectPermission, OpportunityGroupObjectPermission),
}
# Where a record's country and industry live, per record type (first path that exists wins).
CRITERIA_PATHS = {
    "country": ["country", "customer_account__country", "customer_country", "location__country"],
    "industry": ["industry", "customer_account__industry", "customer_industry"],
}


@dataclass
class RuleDraft:
    """A sharing rule as the wizard holds it (JSON-serialisable for the session) before Done applies it."""

    record_type: str
    partner_account: int | None = None
    queue: int | None = None
    country: str = ""
    industry: str = ""
    access: str = SharingRule.Access.READ

    @classmethod
    def from_rule(cls, rule):
        return cls(rule.record_type, rule.partner_account_id, rule.queue_id, rule.country, rule.industry, rule.access)

    def to_dict(self):
        return asdict(self)


def record_model(record_type):
    app_label, name = MODELS[RecordType(record_type)]
    try:
        return apps.get_model(app_label, name)
    except LookupError:
        return None


def _path_exists(model, path):
    current = model
    for part in path.split("__"):
        try:
            field = current._meta.get_field(part)
        except Exception:  # noqa: BLE001 - FieldDoesNotExist and friends
            return False
        if field.is_relation:
            current = field.related_model
        elif part != path.split("__")[-1]:
            return False
    return True


def _criteria_q(model, draft) -> Q:
    q = Q()
    for criterion in ("country", "industry"):
        value = getattr(draft, criterion).strip()
        if not value:
            continue
        path = next((p for p in CRITERIA_PATHS[criterion] if _path_exists(model, p)), None)
        if path is None:
            return Q(pk__in=[])  # the record type has no such field: the rule matches nothing
        q &= Q(**{f"{path}__iexact": value})
    return q


def sharing_rule_records(draft):
    """The records a rule would share (a queryset on the real data), or None when the type does not exist yet."""
    model = record_model(draft.record_type)
    if model is None:
        return None
    return model._default_manager.filter(_criteria_q(model, draft))


def _grantee_users(draft):
    if draft.partner_account:
        return User.objects.filter(partner_account_id=draft.partner_account, is_active=True)
    if draft.queue:
        queue = apps.get_model("leads", "Queue").objects.filter(pk=draft.queue).first()
        if queue is None:
            return User.objects.none()
        return User.objects.filter(
            Q(partner_account__in=queue.member_accounts.all()) | Q(pk__in=queue.member_users.all()),
            is_active=True,
            role__in=User.PARTNER_ROLES,
        ).distinct()
    return User.objects.none()


def grantee_label(draft):
    if draft.partner_account:
        account = PartnerAccount.objects.filter(pk=draft.partner_account).first()
        return str(account) if account else _("(deleted account)")
    queue = apps.get_model("leads", "Queue").objects.filter(pk=draft.queue).first()
    return _("Queue %(name)s") % {"name": queue} if queue else _("(deleted queue)")


def sharing_dry_run(*, record_types, rules):
    """A4: what each rule would expose, counted from the real data. Nothing is written."""
    rows = []
    for draft in rules:
        records = sharing_rule_records(draft)
        shared = draft.record_type in record_types
        rows.append({
            "rule": draft,
            "record_type_label": RecordType(draft.record_type).label,
            "grantee": grantee_label(draft),
            "shared": shared,
            "available": records is not None,
            "records": records.count() if (records is not None and shared) else 0,
            "users": _grantee_users(draft).count(),
        })
    return rows


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
        target=settings_row, verb="sharing_applied", actor=actor,
        changes={"shared_record_types": [old["types"], list(record_types)], "rules": [old["rules"], len(rules)]},
    )
    # The grants can be many (one per matching record and rule): Celery writes them after commit.
    from .tasks import sharing_grants_rebuild_task

    sharing_grants_rebuild_task.delay_on_commit()
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
        rule.group.user_set.add(*_grantee_users(draft))
    _user_model, group_model = GRANT_MODELS[draft.record_type]
    return sum(
        _grant_set_based(group_model, "group_id", rule.group_id, perm, rule, records)
        for perm in _permissions(records.model, draft.access)
    )


def sharing_grant_record(*, record):
    """Apply the current rules to one new record (call it from the service that creates the record).

    Done grants what exists at that moment; a lead or opportunity created later is shared by its creating
    service calling this in the same transaction.
    """
    record_type = _record_type_of(type(record))
    settings_row = PortalSettings.objects.filter(id=1).first()
    if record_type not in GRANT_MODELS or settings_row is None or record_type not in settings_row.shared_record_types():
        return 0
    made = 0
    for rule in SharingRule.objects.filter(record_type=record_type):
        made += _grant_rule(rule, RuleDraft.from_rule(rule), only_pk=record.pk)
    return made


def _record_type_of(model):
    return next((rt for rt, (app, name) in MODELS.items()
                 if app == model._meta.app_label and name == model.__name__), None)


def shared_pks_q(*, user, model, action="view") -> Q:
    """A Q on `model` matching the records the sharing rules share with `user` (matches nothing otherwise).

    Other apps OR it into their selectors: `Lead.objects.filter(own_q | shared_pks_q(user=user, model=Lead))`.
    A rule applies to a partner person when it names their partner account, or a queue that has their account
    or them as a member (resolved now, so later queue members and new users are covered). `action` is "view"
    or "change" (rules with edit access grant both). Direct per-user grants of the same models count too.
    """
    nothing = Q(pk__in=[])
    if not getattr(user, "is_authenticated", False) or not user.is_partner or not user.is_active:
        return nothing
    record_type = _record_type_of(model)
    if record_type not in GRANT_MODELS:
        return nothing
    user_model, group_model = GRANT_MODELS[record_type]
    permission_id = _permission_id(model, action)
    if permission_id is None:
        return nothing
    # The rule groups and the permission are read first (two small queries) so the record query can use the
    # grant table's (group, permission, record) index instead of scanning it.
    Queue = apps.get_model("leads", "Queue")
    queues = Queue.objects.filter(Q(member_accounts=user.partner_account_id) | Q(member_users=user)).values("pk")
    rule_groups = list(SharingRule.objects.filter(
        Q(partner_account_id=user.partner_account_id) | Q(queue__in=queues),
        record_type=record_type, group__isnull=False,
    ).values_list("group_id", flat=True))
    q = Q(pk__in=user_model.objects.filter(user=user, permission_id=permission_id).values("content_object_id"))
    if rule_groups:
        via_rules = group_model.objects.filter(group_id__in=rule_groups, permission_id=permission_id)
        q |= Q(pk__in=via_rules.values("content_object_id"))
    return q


def _permission_id(model, action):
    return Permission.objects.filter(
        content_type=ContentType.objects.get_for_model(model), codename=f"{action}_{model._meta.model_name}"
    ).values_list("pk", flat=True).first()
