"""What happens to opportunities (SPEC D1-D3), as event types for the timeline (core.events)."""

from django.utils.translation import gettext_lazy as _

from prm_portal.core.events import EventType, register


@register
class OpportunityEvent(EventType):
    CREATED = "opportunity.created", _("%(actor)s created the opportunity at stage %(stage)s")
    STAGE_CHANGED = "opportunity.stage_changed", _(
        "%(actor)s moved the opportunity from %(old_stage)s to %(new_stage)s")
    UPDATED = "opportunity.updated", _("%(actor)s edited the opportunity")

    def shows_changes(self):
        return self is OpportunityEvent.UPDATED
