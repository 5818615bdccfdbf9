"""Email: render an admin-edited or file template in the recipient's language, delivered through the outbox.

Services call `email_enqueue(...)` / `email_enqueue_many(...)` inside their transaction: that writes the email's
outbox row (one per idempotency key) with the change, and rings the relay on commit; a rolled-back change leaves
nothing. The relay renders and sends it later with `email_deliver`, outside any transaction, with the row's
Message-ID on every attempt (F1-F3, prm_portal.core.outbox).
"""

import json
import logging
import smtplib
from collections.abc import Sequence

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.template import Context, Template, TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import EmailTemplate, OutboxMessage
from .notify import notification_route, notification_unsubscribe_url
from .outbox import (
    PermanentDeliveryError,
    outbox_deliverer,
    outbox_enqueue_many,
    outbox_insert_sql,
    outbox_ring_doorbell,
)

logger = logging.getLogger(__name__)


def email_enqueue(*, template_key, to, context, idempotency_key, language="en", kind=None, user=None):
    """Write one email to the outbox in the caller's transaction; it is sent after commit, once per key.

    `kind` (a kind registered in core.notify; default: the one registered for the template) and `user` (the
    recipient, when they have an account; default: the account with the `to` address) let the recipient's
    preference decide: at once, as an item of their daily digest, or not at all. Mandatory kinds always go."""
    email_enqueue_many(
        [
            {
                "template_key": template_key,
                "to": to,
                "context": context,
                "idempotency_key": idempotency_key,
                "language": language,
                "kind": kind,
                "user": user,
            }
        ]
    )


def email_enqueue_many(messages):
    """Write many emails (dicts of email_enqueue's arguments) to the outbox in one statement per thousand, with one
    doorbell on commit: a set-based service that closes thousands of records in one transaction queues their
    emails without one statement or one hook each. Each recipient's notification preference is applied first
    (core.notify's router: digest items and turned-off kinds leave the list; one query when nobody chose either)."""
    outbox_enqueue_many(
        kind=OutboxMessage.Kind.EMAIL,
        messages=[(message["idempotency_key"], _payload(**message)) for message in notification_route(messages)],
    )


def email_enqueue_sql(*, rows_sql):
    """PostgreSQL, for a set-based service that closes thousands of records in one statement: the SQL (and its
    named parameters, to merge with the caller's) of an INSERT that writes an email to the outbox for each row of
    `rows_sql`, a SELECT of `idempotency_key`, `template_key`, `to`, `language` and `context` (jsonb), RETURNING
    the id of each row written; the caller makes it one data-modifying CTE of its own statement (the change, its
    events and its emails in one round trip, no row through Python). The payload is the one email_enqueue writes.

    Then, in the same transaction, the caller passes the ids it returned to `email_enqueued(ids)`, which applies
    the recipients' preferences and rings the doorbell once on commit."""
    payload = ("jsonb_build_object('template_key', e.template_key, 'to', e.\"to\", 'context', e.context, "
               "'language', e.language)")
    rows = f"SELECT e.idempotency_key, {payload} AS payload FROM ({rows_sql}) AS e"  # noqa: S608
    return outbox_insert_sql(kind=OutboxMessage.Kind.EMAIL, rows_sql=rows)


class _WrittenEmails(Sequence):
    """The emails a statement wrote to the outbox (their ids), as the list of messages email_enqueue_many routes;
    read from the outbox only when the router looks at them, which it does only when someone chose a digest or
    nothing for some kind."""

    def __init__(self, ids):
        self.ids = list(ids)
        self.rows = None  # [(pk, message)], once read

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, index):
        return self.read()[index][1]

    def __iter__(self):
        return (message for _pk, message in self.read())

    def read(self):
        if self.rows is None:
            table = connection.ops.quote_name(OutboxMessage._meta.db_table)
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT id, idempotency_key, payload::text FROM {table} "  # noqa: S608
                               "WHERE id = ANY(%s) ORDER BY id", [self.ids])
                self.rows = [(pk, _message(key, json.loads(payload))) for pk, key, payload in cursor.fetchall()]
        return self.rows


def _message(idempotency_key, payload):
    """An outbox email's payload as the message (email_enqueue's arguments) it was written from."""
    return {"idempotency_key": idempotency_key, "template_key": payload["template_key"], "to": payload["to"],
            "context": payload["context"], "language": payload.get("language", "en"), "kind": payload.get("kind"),
            "user": payload.get("user")}


def email_enqueued(ids):
    """After a statement built with email_enqueue_sql wrote emails to the outbox (`ids`, in this transaction):
    each recipient's notification preference applies as in email_enqueue_many (digest items and turned-off kinds
    leave the outbox: their rows, written by this transaction and seen by no one yet, are deleted), and the
    doorbell rings once on commit. One query when nobody chose anything but "immediately"."""
    if not ids:
        return
    written = _WrittenEmails(ids)
    kept = notification_route(written)
    if kept is not written:  # the router kept some (a digest item was made of the others, or nothing)
        kept_keys = {message["idempotency_key"] for message in kept}
        dropped = [pk for pk, message in written.read() if message["idempotency_key"] not in kept_keys]
        if dropped:
            OutboxMessage.objects.filter(pk__in=dropped).delete()
    outbox_ring_doorbell()


def _payload(*, template_key, to, context, idempotency_key, language="en", kind=None, user=None):
    if not isinstance(to, str):  # one recipient per email: its time zone, preference and unsubscribe link are theirs
        raise TypeError(f"An email goes to one address (a str), not {type(to).__name__}: {to!r}")
    payload = {"template_key": template_key, "to": to, "context": context, "language": language}
    if kind:
        payload["kind"] = kind
    if user is not None:
        payload["user"] = getattr(user, "pk", user)
    return payload


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


def email_render(*, template_key, context, language="en", time_zone=None):
    """Return (subject, text, html) for an email, preferring the admin-edited template, in the recipient's language
    and time zone (a tzinfo; None: the active one)."""
    ctx = _portal_context(context)
    with translation.override(language), timezone.override(time_zone or timezone.get_current_timezone()):
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


def _with_unsubscribe_footer(text, html, *, url, language):
    """Every email a person may turn off says how, in its own language, whatever template (or admin edit) made it."""
    with translation.override(language):
        context = _portal_context({"unsubscribe_url": url})
        text = f"{text.rstrip()}\n\n{render_to_string('emails/_unsubscribe_footer.txt', context).strip()}\n"
        if html:
            footer = render_to_string("emails/_unsubscribe_footer.html", context)
            html = html.replace("</body>", f"{footer}</body>", 1) if "</body>" in html else html + footer
    return text, html


def _recipient_time_zone(payload):
    """The zone the recipient reads times in: the payload's `time_zone`, else their account's, else the portal's."""
    from types import SimpleNamespace

    from django.contrib.auth import get_user_model

    from .middleware import time_zone_for

    if payload.get("time_zone"):
        return time_zone_for(SimpleNamespace(time_zone=payload["time_zone"]))
    users = get_user_model().objects.only("time_zone")
    user = (users.filter(pk=payload["user"]).first() if isinstance(payload.get("user"), int)
            else users.filter(email__iexact=payload.get("to", "")).first())
    return time_zone_for(user)


@outbox_deliverer(OutboxMessage.Kind.EMAIL)
def email_deliver(message):
    """Render and send one outbox email; returns its subject. Raises on failure (the relay retries it), or
    PermanentDeliveryError when trying again cannot help. The connection's timeout is settings.EMAIL_TIMEOUT."""
    payload = message.payload
    if "context" not in payload:
        raise PermanentDeliveryError("This email was queued before the outbox existed and its content was not kept.")
    try:
        subject, text, html = email_render(
            template_key=payload["template_key"], context=payload["context"], language=payload.get("language", "en"),
            time_zone=_recipient_time_zone(payload),
        )
    except TemplateDoesNotExist as exc:
        raise PermanentDeliveryError(f"No email template {exc}.")
    headers = {"Message-ID": message.message_id}
    unsubscribe_url = notification_unsubscribe_url(payload)
    if unsubscribe_url:  # RFC 2369 / RFC 8058: the mail program's own one-click button, and the link in the text
        headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        text, html = _with_unsubscribe_footer(text, html, url=unsubscribe_url, language=payload.get("language", "en"))
    email = EmailMultiAlternatives(subject=subject, body=text, to=[payload["to"]], headers=headers)
    if html:
        email.attach_alternative(html, "text/html")
    try:
        email.send()
    except smtplib.SMTPRecipientsRefused as exc:
        if all(code >= 500 for code, _reply in exc.recipients.values()):
            raise PermanentDeliveryError(f"The mail server refused the recipient: {exc.recipients}")
        raise
    return subject
