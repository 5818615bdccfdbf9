"""Timeline filters: an event as the viewer reads it (core.events), never its code.

    {% load activity %}
    {{ event|event_sentence:request.user }}
    {% for change in event|event_changes:request.user %}
        {{ change.field }}: {{ change.old }} → {{ change.new }}
    {% endfor %}
"""

from django import template
from django.contrib.contenttypes.models import ContentType
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext

from prm_portal.core import events

register = template.Library()


@register.filter
def event_sentence(event, viewer):
    return events.event_sentence(event, viewer=viewer)


@register.filter
def event_changes(event, viewer):
    return events.event_changes(event, viewer=viewer)


@register.filter
def record_type(event):
    """The kind of record an event is about ("Lead", "Opportunity"…), in the active language, never the model's
    code name. A model whose verbose name is Django's own (not marked for translation) is looked up in the
    catalogs by its capitalised name, which the pages translate anyway (e.g. the "Lead" heading)."""
    model = ContentType.objects.get_for_id(event.content_type_id).model_class()
    if model is None:
        return ""
    name = model._meta.verbose_name
    if isinstance(name, Promise):
        return capfirst(str(name))
    return gettext(capfirst(str(name)))
