"""Writes for accounts: every state change is one function here, with its activity event."""

from django.db import transaction
from django.utils import timezone

from prm_portal.core.errors import InvalidTransition
from prm_portal.core.services import activity_record

from .models import PortalSettings


@transaction.atomic
def prm_enable(*, actor) -> PortalSettings:
    """Switch partner relationship management on, for good (A2)."""
    if not actor.is_vendor_admin:
        raise InvalidTransition("Only a vendor admin can enable partner relationship management.")
    settings_row, _created = PortalSettings.objects.select_for_update().get_or_create(id=1)
    if settings_row.prm_enabled:
        raise InvalidTransition("Partner relationship management is already enabled.")
    settings_row.prm_enabled = True
    settings_row.prm_enabled_at = timezone.now()
    settings_row.prm_enabled_by = actor
    settings_row.save()
    activity_record(target=settings_row, verb="prm_enabled", actor=actor)
    return settings_row
