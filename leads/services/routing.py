"""New leads and their routing (C8, C9, C12): assignment rules, round-robin, the default queue."""

from django.db import transaction
from django.db.models import F

from accounts import access
from prm_portal.core.services import activity_record

from ..events import LeadEvent
from ..models import (
    AssignmentRule,
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
    return True


def round_robin_next(*, group_id):
    """The next member of a round-robin group. The group row is locked until the caller commits, so
    concurrent arrivals take turns; the cursor is in the database, so the rotation survives restarts."""
    group = RoundRobinGroup.objects.select_for_update().get(pk=group_id)
    members = list(group.members.select_related("queue", "user", "user__partner_account").order_by("position", "id"))
    if not members:
        return None
    member = members[group.cursor % len(members)]
    RoundRobinGroup.objects.filter(pk=group.pk).update(cursor=F("cursor") + 1)
    return member


def routing_rules():
    """The active rules in order and the default queue: read once per lead, or once per CSV import."""
    rules = list(AssignmentRule.objects.filter(is_active=True).select_related(
        "target_queue", "target_partner_account", "target_user", "target_user__partner_account"
    ))
    return rules, Queue.objects.filter(is_default=True).first()


def _route(lead: Lead, routing=None):
    """Apply the first matching rule (or the default queue) to an unsaved lead; returns the rule or None."""
    rules, default = routing or routing_rules()
    for rule in rules:
        if not rule_matches(rule, lead):
            continue
        if rule.target == AssignmentRule.Target.QUEUE:
            lead.queue = rule.target_queue
        elif rule.target == AssignmentRule.Target.PARTNER_ACCOUNT:
            lead.partner_account = rule.target_partner_account
        elif rule.target == AssignmentRule.Target.PARTNER_USER:
            lead.owner, lead.partner_account = rule.target_user, rule.target_user.partner_account
        else:
            member = round_robin_next(group_id=rule.target_group_id)
            if member is None:
                continue
            if member.queue_id:
                lead.queue = member.queue
            else:
                lead.owner, lead.partner_account = member.user, member.user.partner_account
        return rule
    if default is not None:
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
    access.record_created(record=lead)  # the wizard's sharing rules cover leads that arrive later too (A3)
    return lead
