"""Form helpers for templates: whether a form has required fields (its page then explains the asterisk).

    {% load forms_extras %}{% if form|has_required %}{% include "partials/_required_legend.html" %}{% endif %}
"""

from django import template

register = template.Library()


@register.filter
def has_required(form) -> bool:
    return any(field.field.required for field in form.visible_fields()) if form is not None else False
