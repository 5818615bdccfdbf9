from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """`mapping|get_item:key`: a dict's value for a key from the loop (the Leads tab's clocks)."""
    return (mapping or {}).get(key)


@register.filter
def sla_rule(item):
    """An email's lead item ({"sla", "limit"}) as its service level, in the email's language."""
    from ..sla_text import sla_rule_text

    return sla_rule_text(item.get("sla"), item.get("limit"))


@register.filter
def sla_reason(item):
    from ..sla_text import sla_reason_text

    return sla_reason_text(item.get("sla"), item.get("limit"))


@register.filter
def sla_due(value):
    from ..sla_text import sla_due_text

    return sla_due_text(value)
