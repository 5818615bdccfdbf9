"""Sending email: render an admin-edited or file template in the recipient's language, once per key.

Services call `email_enqueue(...)` inside their transaction; the Celery task is queued on commit,
so a rolled-back change sends nothing. The task records each key in OutboundEmail so a retry of
the same event never sends twice (F1-F3).
"""

import functools
import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template import Context, Template, TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import EmailTemplate, OutboundEmail

logger = logging.getLogger(__name__)


@functools.cache
def _send_task():
    """The email task itself, resolved once (the shared_task proxy costs a lookup on every use)."""
    from .tasks import email_send_task

    return email_send_task._get_current_object()


def email_enqueue(*, template_key, to, context, idempotency_key, language="en"):
    """Queue one email to be sent by Celery after the current transaction commits."""
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
    """Queue many emails (dicts of email_enqueue's arguments) with one on-commit hook: a set-based service
    that closes thousands of records in one transaction queues their emails without one hook each."""
    messages = list(messages)
    if not messages:
        return

    def _publish():
        task = _send_task()
        for message in messages:
            try:
                task.delay(**message)
            except Exception:  # one unreachable publish must not drop the rest of the batch
                logger.exception("Could not queue email %s", message["idempotency_key"])

    transaction.on_commit(_publish)


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


def email_send(*, template_key, to, context, idempotency_key, language="en"):
    """Send once per idempotency key. Returns True when this call sent it."""
    try:
        with transaction.atomic():
            record, _created = OutboundEmail.objects.get_or_create(
                idempotency_key=idempotency_key, defaults={"template_key": template_key, "to": to}
            )
    except IntegrityError:
        record = OutboundEmail.objects.get(idempotency_key=idempotency_key)
    with transaction.atomic():
        record = OutboundEmail.objects.select_for_update().get(pk=record.pk)
        if record.status == OutboundEmail.Status.SENT:
            return False
        subject, text, html = email_render(template_key=template_key, context=context, language=language)
        message = EmailMultiAlternatives(subject=subject, body=text, to=[to])
        if html:
            message.attach_alternative(html, "text/html")
        record.attempts += 1
        record.subject = subject[:250]
        message.send()
        record.status = OutboundEmail.Status.SENT
        record.sent_at = timezone.now()
        record.save(update_fields=["attempts", "subject", "status", "sent_at"])
    return True
