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


SLOT = 987654321987  # stands for a lead's id in a link reversed once per page


@register.simple_tag(takes_context=True)
def lead_rows(context):
    """The Leads tab's rows (`leads/_rows.html`, polled every few seconds by every member of a queue), written in
    Python: the words and links every row shares are translated, reversed and escaped once per page, not once per
    row, and each row is one f-string of escaped values (`make bench-inbox`). What each cell shows is what the
    template showed."""
    from html import escape

    from django.urls import reverse
    from django.utils import formats, timezone
    from django.utils.safestring import mark_safe
    from django.utils.translation import gettext

    from ..models import Lead

    page, claimable, clocks = context["page"], context.get("claimable") or set(), context.get("clocks") or {}
    can_manage = context.get("can_manage")
    rows = list(page)
    if not rows:
        return mark_safe(f'<tr><td colspan="{9 if can_manage else 8}" class="muted">'  # noqa: S308
                         f'{escape(gettext("No leads for you yet."))}</td></tr>')
    detail, preview, claim = (escape(reverse(name, args=[SLOT])).split(str(SLOT)) for name in (
        "leads:detail", "leads:preview", "leads:claim"))
    statuses = {value: escape(str(label)) for value, label in Lead.Status.choices}
    accept, view, select = escape(gettext("Accept")), escape(gettext("View")), gettext("Select %(c)s")
    csrf = escape(str(context.get("csrf_token") or ""))
    none = '<span class="muted">—</span>'
    date_format, dates = formats.get_format("SHORT_DATE_FORMAT"), {}
    zone = timezone.get_current_timezone()  # the reader's (localtime would look it up again for each row)
    out = []
    for lead in rows:
        pk = lead.pk
        company = escape(lead.company)
        cells = []
        if can_manage:
            cells.append(f'<td><input type="checkbox" name="lead" value="{pk}" form="reassign-form" '
                         f'aria-label="{escape(select % {"c": lead.company})}"></td>')
        if not can_manage and pk in claimable:
            cells.append(
                f'<td><form method="post" action="{claim[0]}{pk}{claim[1]}" class="inline">'
                f'<input type="hidden" name="csrfmiddlewaretoken" value="{csrf}"><button class="button small" '
                f'type="submit" id="accept-{pk}" aria-describedby="preview-{pk}">{accept}</button></form></td>'
                f'<td><a href="{preview[0]}{pk}{preview[1]}" id="preview-{pk}">{company}</a></td>')
        else:
            url = f"{detail[0]}{pk}{detail[1]}"
            cells.append(f'<td><a href="{url}" id="view-{pk}" aria-describedby="company-{pk}">{view}</a></td>'
                         f'<td><a href="{url}" id="company-{pk}">{company}</a></td>')
        clock = clocks.get(pk)
        if clock:
            clock = (f'<span class="sla-clock {escape(clock["css"])}" title="{escape(str(clock["rule"]))}" '
                     f'data-sla-clock>{escape(str(clock["text"]))}</span>')
        if lead.owner_id:
            holder = escape(str(lead.owner))
        elif lead.queue_id:
            holder = f'<span class="badge queue">{escape(str(lead.queue))}</span>'
        elif lead.partner_account_id:
            holder = escape(str(lead.partner_account))
        else:
            holder = "—"
        day = lead.created_at.astimezone(zone).date()
        created = dates.get(day)
        if created is None:  # a page's leads share few days: each is formatted once
            created = dates[day] = escape(formats.date_format(day, date_format))
        cells.append(
            f"<td>{escape(lead.contact_name)}</td><td>{escape(lead.country)}</td>"
            f'<td><span class="badge status-{escape(lead.status)}">{statuses.get(lead.status) or escape(lead.status)}'
            f"</span></td><td>{clock or none}</td><td>{holder}</td><td>{created}</td>")
        out.append(f'<tr id="lead-{pk}">{"".join(cells)}</tr>')
    return mark_safe("\n".join(out))  # noqa: S308  (every value above is escaped)
