"""Webhook emails: an endpoint that kept failing was disabled (to its owner)."""

from django.conf import settings
from django.urls import reverse

from prm_portal.core.emails import email_enqueue


def email_endpoint_disabled(endpoint):
    owner = endpoint.created_by
    if owner is None or not owner.is_active:
        return
    email_enqueue(
        template_key="webhook_endpoint_disabled", to=owner.email, language=owner.language,
        context={"endpoint_url": endpoint.url, "hours": settings.WEBHOOK_DISABLE_AFTER_HOURS,
                 "url": settings.PORTAL_BASE_URL.rstrip("/") + reverse("webhooks:detail", args=[endpoint.pk])},
        idempotency_key=f"webhook-endpoint-disabled-{endpoint.pk}-{endpoint.disabled_at.isoformat()}",
    )
