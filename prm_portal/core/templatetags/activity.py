"""Timeline filters: an event as the viewer reads it (core.events), never its code.

    {% load activity %}
    {{ event|event_sentence:request.user }}
    {% for change in event|event_changes:request.user %}
        {{ change.field }}: {{ change.old }} → {{ change.new }}
    {% endfor %}
"""

from django import template

from prm_portal.core import events

register = template.Library()


@register.filter
def event_sentence(event, viewer):
    return events.event_sentence(event, viewer=viewer)


@register.filter
def event_changes(event, viewer):
    return events.event_changes(event, viewer=viewer)
