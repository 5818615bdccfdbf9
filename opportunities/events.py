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

    def prepare(self, params, *, event, viewer):
        """The events keep the stage's name as it was; the reader sees it in their language (Stage.label)."""
        keys = [k for k in ("stage", "old_stage", "new_stage") if k in params]
        if not keys:
            return
        from .models import Stage

        stages = {s.name: s for s in Stage.objects.filter(name__in=[params[k] for k in keys])}
        for key in keys:
            stage = stages.get(params[key])
            if stage is not None:
                params[key] = stage.label
