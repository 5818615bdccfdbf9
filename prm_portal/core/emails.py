"""Email: render an admin-edited or file template in the recipient's language, delivered through the outbox.

Services call `email_enqueue(...)` / `email_enqueue_many(...)` inside their transaction: that writes the email's
outbox row (one per idempotency key) with the change, and rings the relay on commit; a rolled-back change leaves
nothing. The relay renders and sends it later with `email_deliver`, outside any transaction, with the row's
Message-ID on every attempt (F1-F3, prm_portal.core.outbox).
"""

import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template import Context, Template, TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import EmailTemplate, OutboxMessage
from .outbox import PermanentDeliveryError, outbox_deliverer, outbox_enqueue_many

logger = logging.getLogger(__name__)


def email_enqueue(*, template_key, to, context, idempotency_key, language="en"):
    """Write one email to the outbox in the caller's transaction; it is sent after commit, once per key."""
    email_enqueue_many(
        [
            {
                "template_key": template_key,
                "to": to,
                "context": context,
                "idempotency_key": idempotency_key,
                "language": language,
            }
        ]
    )


def email_enqueue_many(messages):
    """Write many emails (dicts of email_enqueue's arguments) to the outbox in one statement per thousand, with one
    doorbell on commit: a set-based service that closes thousands of records in one transaction queues their
    emails without one statement or one hook each."""
    outbox_enqueue_many(
        kind=OutboxMessage.Kind.EMAIL,
        messages=[(message["idempotency_key"], _payload(**message)) for message in messages],
    )


def _payload(*, template_key, to, context, idempotency_key, language="en"):
    return {"template_key": template_key, "to": to, "context": context, "language": language}


@transaction.atomic
def email_enqueue_from_legacy_task(*, template_key, to, context, idempotency_key, language="en"):
    """An email_send_task published before the outbox existed: write its email to the outbox. A ledger row of the
    old kind for the same key that was never sent (migrated as Failed, without content) gets its content back and
    is queued again; a sent one stays sent."""
    email_enqueue(template_key=template_key, to=to, context=context, idempotency_key=idempotency_key,
                  language=language)
    OutboxMessage.objects.filter(idempotency_key=idempotency_key, status=OutboxMessage.Status.FAILED).exclude(
        payload__has_key="context"
    ).update(
        payload=_payload(template_key=template_key, to=to, context=context, idempotency_key=idempotency_key,
                         language=language),
        status=OutboxMessage.Status.PENDING, attempts=0, next_attempt_at=timezone.now(), last_error="",
    )


def _portal_context(context):
    brand = settings.PORTAL_BRAND
    return {"brand": brand, "portal_url": settings.PORTAL_BASE_URL, **context}


def email_render(*, template_key, context, language="en"):
    """Return (subject, text, html) for an email, preferring the admin-edited template."""
    ctx = _portal_context(context)
    with translation.override(language):
        custom = (
            EmailTemplate.objects.filter(key=template_key, language=language).first()
            or EmailTemplate.objects.filter(key=template_key, language="en").first()
        )
        if custom is not None:
            c = Context(ctx, autoescape=False)
            subject = Template(custom.subject).render(c)
            text = Template(custom.body_text).render(c)
            html = Template(custom.body_html).render(Context(ctx)) if custom.body_html else ""
        else:
            subject = render_to_string(f"emails/{template_key}_subject.txt", ctx)
            text = render_to_string(f"emails/{template_key}_body.txt", ctx)
            try:
                html = render_to_string(f"emails/{template_key}_body.html", ctx)
            except TemplateDoesNotExist:
                html = ""
    return " ".join(subject.split()), text, html


@outbox_deliverer(OutboxMessage.Kind.EMAIL)
def email_deliver(message):
    """Render and send one outbox email; returns its subject. Raises on failure (the relay retries it), or
    PermanentDeliveryError when trying again cannot help. The connection's timeout is settings.EMAIL_TIMEOUT."""
    payload = message.payload
    if "context" not in payload:
        raise PermanentDeliveryError("This email was queued before the outbox existed and its content was not kept.")
    try:
        subject, text, html = email_render(
            template_key=payload["template_key"], context=payload["context"], language=payload.get("language", "en")
        )
    except TemplateDoesNotExist as exc:
        raise PermanentDeliveryError(f"No email template {exc}.")
    email = EmailMultiAlternatives(subject=subject, body=text, to=[payload["to"]],
                                   headers={"Message-ID": message.message_id})
    if html:
        email.attach_alternative(html, "text/html")
    try:
        email.send()
    except smtplib.SMTPRecipientsRefused as exc:
        if all(code >= 500 for code, _reply in exc.recipients.values()):
            raise PermanentDeliveryError(f"The mail server refused the recipient: {exc.recipients}")
        raise
    return subject
