"""New leads and their routing (C8, C9, C12): assignment rules, round-robin, the default queue.

Fair routing (issue 13): a rule, a round-robin group or the nearest matching partner gives a lead only to someone
who can work it: active, of an enabled partner, signed in once, not away that day, and below their claim limits
(`eligible_user_ids`, one query). When nobody the rule names can take the lead it goes to the rule's fallback
queue (or the next rule). The round-robin cursor is read and moved under the group's row lock, so concurrent
arrivals take strict turns among the eligible members.
"""

from django.db import transaction
from django.db.models import Count, F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts import access
from prm_portal.core.services import activity_record

from .. import geo
from ..events import LeadEvent
from ..models import (
    AssignmentRule,
    ClaimLimitSettings,
    Lead,
    Queue,
    RoundRobinGroup,
)

EDITABLE_FIELDS = (
    "company", "first_name", "last_name", "email", "phone", "country", "industry", "company_size", "source",
    "description", "status",
)


# --- Create and route (C8, C9, C12) -------------------------------------------------------------------------------


def _csv(value):
    return [v.strip().lower() for v in (value or "").split(",") if v.strip()]


def rule_matches(rule: AssignmentRule, lead: Lead) -> bool:
    checks = (
        (rule.countries, lead.country),
        (rule.industries, lead.industry),
        (rule.company_sizes, lead.company_size),
        (rule.sources, lead.source),
    )
    for wanted, value in checks:
        if _csv(wanted) and (value or "").strip().lower() not in _csv(wanted):
            return False
    keywords = _csv(rule.keywords)
    if keywords:
        text = " ".join([lead.company, lead.industry, lead.description]).lower()
        if not any(word in text for word in keywords):
            return False
    regions = _csv(rule.regions)
    if regions and not (geo.regions_of(lead.country) & set(regions)):
        return False
    return True


def _away_q(day) -> Q:
    """People away on `day`: within the dates they set (an open end reaches as far as it goes)."""
    set_ = Q(away_from__isnull=False) | Q(away_until__isnull=False)
    started = Q(away_from__isnull=True) | Q(away_from__lte=day)
    not_back = Q(away_until__isnull=True) | Q(away_until__gte=day)
    return set_ & started & not_back


def eligible_user_ids(user_ids, *, today=None) -> set[int]:
    """Of `user_ids`, the partner people who can take a new lead now: active, signed in once, of an enabled
    partner, not away today, and below their own and their company's claim limits. One query."""
    from accounts.models import User

    if not user_ids:
        return set()
    today = today or timezone.localdate()
    defaults = ClaimLimitSettings.objects.filter(id=1).values_list("max_open_per_user", "max_open_per_partner").first()
    if defaults is None:
        fresh = ClaimLimitSettings()
        defaults = (fresh.max_open_per_user, fresh.max_open_per_partner)
    return set(
        User.objects.filter(pk__in=user_ids, is_active=True, last_login__isnull=False, role__in=User.PARTNER_ROLES,
                            partner_account__is_partner=True)
        .exclude(_away_q(today))
        .annotate(
            user_limit=Coalesce(F("partner_account__claim_limit__max_open_per_user"), Value(defaults[0])),
            partner_limit=Coalesce(F("partner_account__claim_limit__max_open_per_partner"), Value(defaults[1])),
            user_held=Coalesce(F("claim_quota__open_count"), Value(0)),
            partner_held=Coalesce(F("partner_account__claim_quota__open_count"), Value(0)),
        )
        .filter(user_held__lt=F("user_limit"), partner_held__lt=F("partner_limit"))
        .values_list("pk", flat=True)
    )


def round_robin_next(*, group_id, exclude_queue_ids=()):
    """The next member of a round-robin group who can take a lead (a queue not left out, a person
    `eligible_user_ids` lets through), or None when nobody can. The group row is locked until the caller
    commits, so concurrent arrivals take strict turns; the cursor (in the database, so the rotation survives
    restarts) moves past the chosen member, and members skipped this time come first next time they can."""
    group = RoundRobinGroup.objects.select_for_update().get(pk=group_id)
    members = list(group.members.select_related("queue", "user", "user__partner_account").order_by("position", "id"))
    if not members:
        return None
    eligible = eligible_user_ids([m.user_id for m in members if m.user_id])
    start = group.cursor % len(members)
    for offset in range(len(members)):
        member = members[(start + offset) % len(members)]
        usable = (member.queue_id not in exclude_queue_ids) if member.queue_id else member.user_id in eligible
        if usable:
            RoundRobinGroup.objects.filter(pk=group.pk).update(cursor=F("cursor") + offset + 1)
            return member
    return None


def nearest_partner(rule: AssignmentRule, lead: Lead):
    """The enabled partner nearest to the lead (its locations' and its own country) whose business profile
    matches as the rule asks (industry, company size) and who has someone able to take a lead; among equals the
    one holding the fewest open leads. None when no partner qualifies."""
    from accounts.models import PartnerAccount, User

    partners = list(
        PartnerAccount.objects.filter(is_partner=True).select_related("profile").prefetch_related("locations")
        .annotate(open_leads=Count("leads", filter=~Q(leads__status__in=Lead.CLOSED_STATUSES)))
    )
    industry, size = (lead.industry or "").strip().lower(), (lead.company_size or "").strip().lower()
    ranked = []
    for partner in partners:
        profile = getattr(partner, "profile", None)
        industries = {str(i).strip().lower() for i in (profile.industries if profile else [])}
        sizes = {str(s).strip().lower() for s in (profile.company_sizes if profile else [])}
        if rule.partner_match_industry and (not industry or industry not in industries):
            continue
        if rule.partner_match_company_size and (not size or size not in sizes):
            continue
        countries = {partner.country} | {location.country for location in partner.locations.all()}
        near = min((geo.distance(lead.country, country) for country in countries if country), default=3)
        if rule.partner_reach == AssignmentRule.PartnerReach.COUNTRY and near > 0:
            continue
        if rule.partner_reach == AssignmentRule.PartnerReach.REGION and near > 1:
            continue
        ranked.append((near, partner.open_leads, partner.pk, partner))
    if not ranked:
        return None
    people = User.objects.filter(partner_account_id__in=[p[2] for p in ranked]).values_list("pk", "partner_account_id")
    able = eligible_user_ids([pk for pk, _partner in people])
    staffed = {partner_id for pk, partner_id in people if pk in able}
    ranked = sorted(r for r in ranked if r[2] in staffed) if staffed else []
    return ranked[0][3] if ranked else None


def routing_rules():
    """The active rules in order and the default queue: read once per lead, or once per CSV import."""
    rules = list(AssignmentRule.objects.filter(is_active=True).select_related(
        "target_queue", "target_partner_account", "target_user", "target_user__partner_account", "fallback_queue"
    ))
    return rules, Queue.objects.filter(is_default=True).first()


def _apply_rule(rule, lead, exclude_queue_ids) -> bool:
    """Give the lead to the rule's target if the target can take it; False when it cannot."""
    if rule.target == AssignmentRule.Target.QUEUE:
        if rule.target_queue_id in exclude_queue_ids:
            return False
        lead.queue = rule.target_queue
    elif rule.target == AssignmentRule.Target.PARTNER_ACCOUNT:
        if not rule.target_partner_account.is_partner:
            return False
        lead.partner_account = rule.target_partner_account
    elif rule.target == AssignmentRule.Target.PARTNER_USER:
        if rule.target_user_id not in eligible_user_ids([rule.target_user_id]):
            return False
        lead.owner, lead.partner_account = rule.target_user, rule.target_user.partner_account
    elif rule.target == AssignmentRule.Target.NEAREST_PARTNER:
        partner = nearest_partner(rule, lead)
        if partner is None:
            return False
        lead.partner_account = partner
    else:
        member = round_robin_next(group_id=rule.target_group_id, exclude_queue_ids=exclude_queue_ids)
        if member is None:
            return False
        if member.queue_id:
            lead.queue = member.queue
        else:
            lead.owner, lead.partner_account = member.user, member.user.partner_account
    return True


def _route(lead: Lead, routing=None, exclude_queue_ids=()):
    """Apply the first matching rule whose target (or fallback queue) can take the lead, else the default queue,
    to an unsaved lead; returns the rule or None. Queues in `exclude_queue_ids` are never chosen (a lead nobody
    accepted in time is re-routed away from its queue)."""
    rules, default = routing or routing_rules()
    for rule in rules:
        if not rule_matches(rule, lead):
            continue
        if _apply_rule(rule, lead, exclude_queue_ids):
            return rule
        if rule.fallback_queue_id and rule.fallback_queue_id not in exclude_queue_ids:
            lead.queue = rule.fallback_queue
            return rule
    if default is not None and default.pk not in exclude_queue_ids:
        lead.queue = default
    return None


def _assignee_label(lead):
    if lead.owner_id:
        return str(lead.owner)
    if lead.queue_id:
        return str(lead.queue)
    if lead.partner_account_id:
        return str(lead.partner_account)
    return ""


@transaction.atomic
def lead_create(*, actor=None, channel="portal", routing=None, **fields) -> Lead:
    """Create a lead and route it at once (C9, C12), whatever the path: web form, CSV import, API, admin.
    `routing` (from routing_rules()) lets a batch read the rules once."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown lead fields: {sorted(unknown)}")
    fields.pop("status", None)
    lead = Lead(**fields)
    lead.country = (lead.country or "").upper()
    rule = _route(lead, routing)
    lead.save()
    activity_record(target=lead, event=LeadEvent.CREATED, actor=actor, partner_account=lead.partner_account,
                    channel=channel)
    if rule is not None:
        routed, how = LeadEvent.ROUTED, {"rule": rule.name}
    else:
        routed, how = (LeadEvent.ROUTED_TO_DEFAULT_QUEUE if lead.queue_id else LeadEvent.UNROUTED), {}
    activity_record(
        target=lead, event=routed, actor=None, partner_account=lead.partner_account,
        changes={"assigned to": ["", _assignee_label(lead)]}, **how,
    )
    if lead.owner_id or lead.partner_account_id:
        assigned = LeadEvent.ASSIGNED_TO_USER if lead.owner_id else LeadEvent.ASSIGNED_TO_PARTNER
        activity_record(target=lead, event=assigned, actor=None, partner_account=lead.partner_account,
                        owner=str(lead.owner or ""), partner=str(lead.partner_account or ""))
    if lead.queue_id is not None:
        from .sla import sla_clock_start

        sla_clock_start(lead=lead, kind="accept")  # the queue's accept-within clock (issue 13)
    access.record_created(record=lead)  # the wizard's sharing rules cover leads that arrive later too (A3)
    return lead
