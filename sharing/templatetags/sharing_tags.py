"""The sharing rules in force, for pages of lower apps (the Partner settings page) that may not import sharing."""

from django import template

from ..selectors import sharing_rules_in_force

register = template.Library()


@register.inclusion_tag("sharing/_rules_table.html")
def sharing_rules_table(settings_row):
    """The rules as they stand and what each exposes now."""
    return {"rows": sharing_rules_in_force(settings_row=settings_row)}
