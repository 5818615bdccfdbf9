"""Protection lapses and the reminder before it (H3): batched, idempotent, safe on two workers at once."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from prm_portal.core.services import activity_record
from prm_portal.core.versioning import version_bump

from .. import emails
from ..events import RegistrationEvent
from ..models import Registration


def registration_lapse_overdue(*, today=None, batch_size=500) -> int:
    """Every approved registration whose protection ended before `today` lapses, once: rows are taken under a
    lock another worker skips, and only while still approved (running twice lapses and emails each once).
    Returns how many this call lapsed."""
    today = today or timezone.localdate()
    total = 0
    while True:
        with transaction.atomic():
            due = list(
                Registration.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(status=Registration.Status.APPROVED, protected_until__lt=today)
                .select_related("partner_account", "submitted_by").order_by("protected_until", "id")[:batch_size]
            )
            for registration in due:
                registration.status = Registration.Status.LAPSED
                version_bump(registration)
                registration.save(update_fields=["status", "version", "updated_at"])
                activity_record(target=registration, event=RegistrationEvent.LAPSED,
                                partner_account=registration.partner_account,
                                protected_until=registration.protected_until.isoformat(),
                                changes={"status": [Registration.Status.APPROVED, Registration.Status.LAPSED]})
                emails.email_registration_protection(registration, kind="lapsed")
            total += len(due)
        if len(due) < batch_size:
            return total


def registration_remind_lapsing(*, today=None, batch_size=500) -> int:
    """Email the partner REGISTRATION_REMINDER_DAYS_BEFORE days before its protection ends, once per end date
    (an extension moves the end: a new reminder is due then). Returns how many were reminded."""
    today = today or timezone.localdate()
    horizon = today + timedelta(days=getattr(settings, "REGISTRATION_REMINDER_DAYS_BEFORE", 7))
    total = 0
    while True:
        with transaction.atomic():
            due = list(
                Registration.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(status=Registration.Status.APPROVED, protected_until__gte=today,
                        protected_until__lte=horizon)
                .exclude(reminded_for=F("protected_until"))
                .select_related("partner_account", "submitted_by").order_by("protected_until", "id")[:batch_size]
            )
            for registration in due:
                Registration.objects.filter(pk=registration.pk).update(reminded_for=registration.protected_until)
                emails.email_registration_protection(registration, kind="reminder")
            total += len(due)
        if len(due) < batch_size:
            return total
