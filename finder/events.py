"""What the partner finder adds to a referral's timeline (core.events)."""

from django.utils.translation import gettext_lazy as _

from prm_portal.core.events import INTERNAL, EventType, register


@register
class FinderEvent(EventType):
    CUSTOMER_TOLD_TO_CHOOSE = "finder.customer_told_to_choose", INTERNAL, _(
        "No other matching partner was left: the customer was told to choose another partner")
