"""The partner finder's emails to customers (F1): queued through email_enqueue in the caller's transaction, in the
language the customer used the finder in. Customers are no portal users: no preferences apply."""

from django.conf import settings
from django.urls import reverse

from prm_portal.core.emails import email_enqueue


def finder_url() -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + reverse("finder:search")


def email_finder_inquiry_received(finder_inquiry, *, need, partner_name="", contact_requested=False):
    """The confirmation: the request arrived and went to the partner they chose (named) or the best match."""
    email_enqueue(
        template_key="finder_inquiry_received", to=finder_inquiry.email, language=finder_inquiry.language,
        context={"contact_name": finder_inquiry.contact_name, "partner_name": partner_name, "need": need,
                 "contact_requested": contact_requested, "finder_url": finder_url()},
        idempotency_key=f"finder-inquiry-received-{finder_inquiry.inquiry}",
    )


def email_finder_inquiry_unanswered(finder_inquiry, *, need):
    """Every partner offered the request declined it or let it expire: choose another partner (seed 003)."""
    email_enqueue(
        template_key="finder_inquiry_unanswered", to=finder_inquiry.email, language=finder_inquiry.language,
        context={"contact_name": finder_inquiry.contact_name, "need": need, "finder_url": finder_url()},
        idempotency_key=f"finder-inquiry-unanswered-{finder_inquiry.inquiry}",
    )
