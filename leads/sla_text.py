"""The words of service levels, in the active language: events, emails and the Leads tab's clock share them."""

import datetime

from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext, ngettext


def sla_rule_text(kind, limit) -> str:
    n = int(limit or 0)
    if kind == "accept":
        return ngettext("accept within %(n)s business hour", "accept within %(n)s business hours", n) % {"n": n}
    if kind == "first_touch":
        return ngettext("first touch within %(n)s business hour", "first touch within %(n)s business hours",
                        n) % {"n": n}
    return ngettext("progress within %(n)s business day", "progress within %(n)s business days", n) % {"n": n}


def sla_reason_text(kind, limit) -> str:
    n = int(limit or 0)
    if kind == "accept":
        return ngettext("not accepted within %(n)s business hour", "not accepted within %(n)s business hours",
                        n) % {"n": n}
    if kind == "first_touch":
        return ngettext("not worked on within %(n)s business hour of being accepted",
                        "not worked on within %(n)s business hours of being accepted", n) % {"n": n}
    return ngettext("no activity for %(n)s business day", "no activity for %(n)s business days", n) % {"n": n}


def sla_due_text(value) -> str:
    when = parse_datetime(value) if isinstance(value, str) else value
    if when is None:
        return "—"
    return formats.date_format(timezone.localtime(when), "SHORT_DATETIME_FORMAT")


def sla_time_left_text(left: datetime.timedelta) -> str:
    """Business time left, e.g. "3 h 20 min left"; past the deadline, "overdue"."""
    if left <= datetime.timedelta():
        return gettext("overdue")
    minutes = int(left.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return gettext("%(h)s h %(m)s min left") % {"h": hours, "m": minutes}
    return gettext("%(m)s min left") % {"m": minutes}
