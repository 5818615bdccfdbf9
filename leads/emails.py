"""The leads' emails (F1–F3): each is queued inside the caller's transaction and sent by Celery after commit,
once per idempotency key. Templates: templates/emails/lead_assigned_* and lead_digest_* (admin-editable)."""

from django.conf import settings
from django.urls import reverse

from prm_portal.core.emails import email_enqueue


def lead_email_item(lead) -> dict:
    return {
        "company": lead.company,
        "contact": lead.contact_name,
        "status": str(lead.get_status_display()),
        "url": settings.PORTAL_BASE_URL.rstrip("/") + reverse("leads:detail", args=[lead.pk]),
    }


def lead_assignment_email(*, recipient, leads, batch, queue=None):
    """One email to one recipient about all of their newly assigned leads: `lead_assigned` for a single lead,
    the `lead_digest` listing for several. The key is the batch and the recipient, so a retry sends it once."""
    items = [lead_email_item(lead) for lead in leads]
    email_enqueue(
        template_key="lead_assigned" if len(items) == 1 else "lead_digest",
        to=recipient.email,
        context={"name": recipient.get_full_name() or recipient.email, "leads": items, "count": len(items),
                 "lead": items[0], "queue": str(queue) if queue else ""},
        idempotency_key=f"lead_reassign:{batch}:{recipient.pk}",
        language=recipient.language,
    )
