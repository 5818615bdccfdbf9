"""Reads of the notifications app."""

from prm_portal.core.notify import notification_kinds

from .kinds import DIGEST
from .models import Delivery, NotificationPreference, NotificationSettings


def notification_kinds_for(*, user) -> list:
    """The kinds a person may choose a delivery for: those of their audience, not mandatory, not the digest."""
    from .routing import mandatory_kinds

    audience = "staff" if user.is_vendor_staff else "partner"
    mandatory = mandatory_kinds()
    return [kind for kind in notification_kinds()
            if kind.code != DIGEST and kind.code not in mandatory and kind.audience in ("all", audience)]


def notification_preferences_for(*, user) -> dict:
    """{kind code: delivery} for every kind the person may choose (immediately where they chose nothing)."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "delivery"))
    return {kind.code: chosen.get(kind.code, Delivery.IMMEDIATE) for kind in notification_kinds_for(user=user)}


def notification_settings_for(*, user) -> NotificationSettings:
    return NotificationSettings.objects.filter(user=user).first() or NotificationSettings(user=user)
