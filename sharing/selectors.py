"""Reads for sharing: the rules, what each would expose (the wizard's dry run), and what is shared with whom.

`shared_pks_q` is the provider the access policy asks (registered in SharingConfig.ready): the record apps never
import this module, they OR `accounts.access.shared_q(...)` into their visibility filters.
"""

from dataclasses import asdict, dataclass

from django.apps import apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.signals import post_migrate
from django.utils.translation import gettext as _

from accounts import access as access_policy
from accounts.models import PartnerAccount, User
from prm_portal.core.sql import AmongSubquery

from .models import (
    LeadGroupObjectPermission,
    LeadUserObjectPermission,
    OpportunityGroupObjectPermission,
    OpportunityUserObjectPermission,
    RecordType,
    ReferralGroupObjectPermission,
    ReferralUserObjectPermission,
    SharingRule,
)

MODELS = {
    RecordType.LEAD: ("leads", "Lead"),
    RecordType.OPPORTUNITY: ("opportunities", "Opportunity"),
    RecordType.REFERRAL: ("referrals", "Referral"),
}
# Every shareable record type has its direct foreign-key object permission tables (user grants, rule grants).
GRANT_MODELS = {
    RecordType.LEAD: (LeadUserObjectPermission, LeadGroupObjectPermission),
    RecordType.OPPORTUNITY: (OpportunityUserObjectPermission, OpportunityGroupObjectPermission),
    RecordType.REFERRAL: (ReferralUserObjectPermission, ReferralGroupObjectPermission),
}
# Where a record's country and industry live, per record type (first path that exists wins).
CRITERIA_PATHS = {
    "country": ["country", "customer_account__country", "customer_country", "location__country"],
    "industry": ["industry", "customer_account__industry", "customer_industry"],
}
NOTHING = Q(pk__in=[])


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


def sharing_rule_list() -> QuerySet[SharingRule]:
    return SharingRule.objects.select_related("partner_account", "queue")


def record_model(record_type):
    app_label, name = MODELS[RecordType(record_type)]
    try:
        return apps.get_model(app_label, name)
    except LookupError:
        return None


def record_type_of(model):
    """The record type of a model (RecordType), or None for a model sharing does not know."""
    return next((rt for rt, (app, name) in MODELS.items()
                 if app == model._meta.app_label and name == model.__name__), None)


def _path_exists(model, path):
    current = model
    parts = path.split("__")
    for position, part in enumerate(parts):
        try:
            field = current._meta.get_field(part)
        except FieldDoesNotExist:
            return False
        if field.is_relation:
            current = field.related_model
        elif position != len(parts) - 1:
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
            return NOTHING  # the record type has no such field: the rule matches nothing
        q &= Q(**{f"{path}__iexact": value})
    return q


def sharing_rule_records(draft):
    """The records a rule would share (a queryset on the real data), or None when the type does not exist yet."""
    model = record_model(draft.record_type)
    if model is None:
        return None
    return model._default_manager.filter(_criteria_q(model, draft))


def grantee_users(draft) -> QuerySet[User]:
    """The partner people a rule shares with, as of now."""
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
            "users": grantee_users(draft).count(),
        })
    return rows


def sharing_rules_in_force(*, settings_row):
    """The rules as they stand, with what each exposes now (the Partner settings page shows them)."""
    return sharing_dry_run(
        record_types=settings_row.shared_record_types(),
        rules=[RuleDraft.from_rule(r) for r in sharing_rule_list()],
    )


_permission_ids: dict = {}


def permission_id(model, action):
    """The id of `action`'s permission on `model`, read once per process (like ContentType's own cache, forgotten
    when migrate or flush runs: the permission rows are made again then)."""
    key = (model._meta.label_lower, action)
    if key not in _permission_ids:
        found = Permission.objects.filter(
            content_type=ContentType.objects.get_for_model(model), codename=f"{action}_{model._meta.model_name}"
        ).values_list("pk", flat=True).first()
        if found is None:
            return None
        _permission_ids[key] = found
    return _permission_ids[key]


def _permission_ids_forget(**kwargs):
    _permission_ids.clear()


post_migrate.connect(_permission_ids_forget, dispatch_uid="sharing_permission_ids_forget")


def shared_pks_q(*, user, model, action="view") -> Q:
    """A Q on `model` matching the records the sharing rules share with `user` (matches nothing otherwise).

    The access policy ORs it into every visibility filter (`accounts.access.shared_q`). A rule applies to a partner
    person when it names their partner account, or a queue that has their account or them as a member (resolved
    now, so later queue members and new users are covered). `action` is "view" or "change" (rules with edit access
    grant both). Direct per-user grants of the same models count too.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_partner or not user.is_active:
        return NOTHING
    record_type = record_type_of(model)
    if record_type not in GRANT_MODELS:
        return NOTHING
    user_model, group_model = GRANT_MODELS[record_type]
    perm_id = permission_id(model, action)
    if perm_id is None:
        return NOTHING
    # One subquery the database computes once (an InitPlan) before it reads the records: the person's direct grants
    # and their rules' group grants, through the grant tables' (user|group, permission, record) indexes. Written by
    # hand: every list a partner person opens builds it, and the ORM took longer to build it than PostgreSQL to run
    # it (`make bench-inbox`). Table names come from the models; values travel as parameters.
    queues_sql, queues_params = access_policy.queue_ids_sql(user)
    # The rule groups as an array computed once on PostgreSQL (an index condition); a plain IN elsewhere (SQLite).
    among, closing = ("= ANY(ARRAY", ")") if connection.vendor == "postgresql" else ("IN ", "")
    sql = (
        f"SELECT content_object_id FROM {user_model._meta.db_table} WHERE user_id = %s AND permission_id = %s "  # noqa: S608
        f"UNION ALL SELECT content_object_id FROM {group_model._meta.db_table} "
        f"WHERE permission_id = %s AND group_id {among}("
        f"SELECT group_id FROM {SharingRule._meta.db_table} WHERE record_type = %s AND group_id IS NOT NULL "
        f"AND (partner_account_id = %s OR queue_id IN ({queues_sql}))){closing}"
    )
    params = (user.pk, perm_id, perm_id, record_type, user.partner_account_id, *queues_params)
    return Q(AmongSubquery("pk", RawSQL(sql, params)))  # noqa: S611
