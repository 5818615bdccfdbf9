"""Thin tasks: take plain arguments, call one function, retry only on transient errors."""

from celery import shared_task
from django.conf import settings
from django.core import management

from .emails import email_enqueue_from_legacy_task
from .outbox import outbox_relay

# The relay stops claiming after OUTBOX_RELAY_MAX_SECONDS; the soft limit interrupts a delivery that runs past it
# (the row is recorded as a failed attempt, the rest given back), the hard limit ends the process (leases expire).
RELAY_SOFT_TIME_LIMIT = settings.OUTBOX_RELAY_MAX_SECONDS + 60
RELAY_TIME_LIMIT = RELAY_SOFT_TIME_LIMIT + 30


@shared_task(soft_time_limit=RELAY_SOFT_TIME_LIMIT, time_limit=RELAY_TIME_LIMIT, ignore_result=True)
def outbox_relay_task():
    """The outbox's doorbell (on commit) and its sweep (beat, every minute): deliver what is due. Safe to run
    twice or on many workers at once; a failure is recorded on the row, so nothing is retried here."""
    counts = outbox_relay()
    return "outbox: " + ", ".join(f"{count} {outcome}" for outcome, count in counts.items())


@shared_task(ignore_result=True)
def email_send_task(*, template_key, to, context, idempotency_key, language="en"):
    """Only for messages published before the outbox existed and still waiting in a broker: writes the email to
    the outbox (once per key), whose relay sends it."""
    email_enqueue_from_legacy_task(
        template_key=template_key, to=to, context=context, idempotency_key=idempotency_key, language=language
    )
    return f"email {idempotency_key} moved to the outbox"


@shared_task
def sessions_clear_expired_task():
    management.call_command("clearsessions")
    return "expired sessions cleared"
