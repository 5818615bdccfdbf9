"""What happens to leads (SPEC C3-C12), as event types for the timeline (core.events)."""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from prm_portal.core.events import EMPTY, INTERNAL, EventType, register, viewer_knows

CHANNELS = {
    "portal": _("in the portal"),
    "csv": _("CSV import"),
    "api": _("API"),
    "admin": _("admin site"),
    "web form": _("web form"),
    "demo": _("demo data"),
}


@register
class LeadEvent(EventType):
    CREATED = "lead.created", _("%(actor)s created the lead (%(channel)s)")
    ROUTED = "lead.routed", _("Routing rule %(rule)s gave the lead to %(new_assigned_to)s")
    ROUTED_TO_DEFAULT_QUEUE = "lead.routed_default", _(
        "No routing rule matched: the lead went to the default queue %(new_assigned_to)s")
    UNROUTED = "lead.unrouted", _(
        "No routing rule matched and there is no default queue: the lead waits for a channel manager")
    ASSIGNED_TO_USER = "lead.assigned_user", _("The lead was given to %(owner)s of %(partner)s")
    ASSIGNED_TO_PARTNER = "lead.assigned_partner", _("The lead was given to %(partner)s")
    CLAIMED = "lead.claimed", _("%(actor)s accepted the lead from %(queue)s")
    CLAIMED_DIRECT = "lead.claimed_direct", _("%(actor)s accepted the lead")
    UPDATED = "lead.updated", _("%(actor)s edited the lead")
    STATUS_CHANGED = "lead.status_changed", _("%(actor)s changed the status from %(old_status)s to %(new_status)s")
    REASSIGNED = "lead.reassigned", _("%(actor)s reassigned the lead from %(old_owner)s to %(new_owner)s")
    NOTIFIED = "lead.notified", INTERNAL, _("%(actor)s emailed %(recipients)s about the new assignment")
    CONVERTED = "lead.converted", _("%(actor)s converted the lead into an opportunity")
    CLAIM_LIMITS_CHANGED = "lead.claim_limits_changed", INTERNAL, _("%(actor)s changed the claim limits")
    SLA_REMINDED = "lead.sla_reminded", _("Service level %(service_level)s: reminder sent, the time runs out %(due)s")
    SLA_ESCALATED = "lead.sla_escalated", _("Service level %(service_level)s missed: escalated to %(manager)s")
    SLA_RECALLED = "lead.sla_recalled", _("Recalled to %(queue)s: %(reason)s")
    SLA_REROUTED = "lead.sla_rerouted", _(
        "Re-routed from %(queue)s to %(new_assigned_to)s: %(reason)s")

    def extra_fields(self):
        return {"assigned to": (_("assigned to"), None)}

    def shows_changes(self):
        return self in (LeadEvent.UPDATED, LeadEvent.STATUS_CHANGED, LeadEvent.CLAIM_LIMITS_CHANGED)

    def prepare(self, params, *, event, viewer):
        data = event.data or {}
        if "sla" in data:  # the service level and the breach in the viewer's language, from codes and numbers
            from .sla_text import sla_due_text, sla_reason_text, sla_rule_text

            params["service_level"] = sla_rule_text(data["sla"], data.get("limit"))
            params["reason"] = sla_reason_text(data["sla"], data.get("limit"))
            if "due" in data:
                params["due"] = sla_due_text(data["due"])
        if self is LeadEvent.CREATED:
            params["channel"] = str(CHANNELS.get(data.get("channel"), _("other source")))
        elif self is LeadEvent.REASSIGNED and viewer is not None and not viewer.is_vendor_staff:
            # The previous owner may be another partner's rep: a partner learns only that it was another partner.
            if "previous_partner" not in data:
                params["old_owner"] = EMPTY
            elif data["previous_partner"] is not None and not viewer_knows(
                    viewer, partner_account_id=data["previous_partner"]):
                params["old_owner"] = gettext("another partner")


# The events that put a lead in someone's hands (or a queue's), not the owner's first reaction to it: a status change
# recorded by one of these does not stop the dashboards' response time.
CLAIM_EVENTS = (
    LeadEvent.CLAIMED, LeadEvent.CLAIMED_DIRECT, LeadEvent.ASSIGNED_TO_USER, LeadEvent.ASSIGNED_TO_PARTNER,
    LeadEvent.CREATED, LeadEvent.ROUTED, LeadEvent.ROUTED_TO_DEFAULT_QUEUE, LeadEvent.UNROUTED,
)
