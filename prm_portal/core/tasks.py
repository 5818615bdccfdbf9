"""Thin tasks: take plain arguments, call one function, retry only on transient errors."""

import smtplib

from celery import shared_task
from django.core import management
from django.db import OperationalError

from .emails import email_send


@shared_task(
    bind=True,
    autoretry_for=(smtplib.SMTPException, ConnectionError, TimeoutError, OperationalError),
    retry_backoff=True,
    max_retries=8,
)
def email_send_task(self, *, template_key, to, context, idempotency_key, language="en"):
    return email_send(
        template_key=template_key, to=to, context=context, idempotency_key=idempotency_key, language=language
    )


@shared_task
def sessions_clear_expired_task():
    management.call_command("clearsessions")
    return "expired sessions cleared"
