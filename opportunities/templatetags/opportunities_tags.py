from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

VERBS = {
    "created": _("created"),
    "updated": _("updated"),
    "stage_changed": _("moved the stage"),
    "resource_added": _("added"),
    "claimed": _("claimed the lead"),
    "accepted": _("accepted the lead"),
    "assigned": _("assigned"),
    "reassigned": _("reassigned"),
    "routed": _("routed"),
    "status_changed": _("changed the status"),
    "converted": _("converted the lead"),
    "notified": _("sent a notification"),
}


@register.filter
def verb_label(verb):
    """A timeline verb in words; unknown verbs read as themselves."""
    return VERBS.get(verb, str(verb).replace("_", " "))
