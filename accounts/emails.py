"""Emails about accounts. Each is queued inside the caller's transaction and sent by Celery after commit."""

import uuid

from django.conf import settings
from django.urls import reverse

from prm_portal.core.emails import email_enqueue

from .tokens import welcome_path


def partner_welcome_enqueue(*, user):
    """B3: welcome a new partner user with a one-time link to set their password, and the login address."""
    path = welcome_path(user)
    email_enqueue(
        template_key="partner_welcome",
        to=user.email,
        context={
            "name": user.get_full_name() or user.email,
            "email": user.email,
            "partner_name": user.partner_account.name if user.partner_account_id else "",
            "set_password_url": f"{settings.PORTAL_BASE_URL}{path}",
            "login_url": f"{settings.PORTAL_BASE_URL}{reverse('account_login')}",
        },
        # One key per welcome event (a resend is a new event); a retried task reuses it and sends nothing twice.
        idempotency_key=f"partner_welcome:{user.pk}:{uuid.uuid4().hex}",
        language=user.language,
    )
