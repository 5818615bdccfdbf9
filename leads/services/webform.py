"""The public web-to-lead form (C12): one lead per form token, a rate limit per source address.

Both rules live in the database (WebFormSubmission), not in the cache: they hold while Redis is down.
"""

import hashlib
import hmac
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from prm_portal.core.errors import InvalidTransition

from .routing import lead_create

# A form token is valid this long (forms.WebToLeadForm); its hash is kept as long, then pruned.
WEB_FORM_TOKEN_MAX_AGE = 24 * 3600


class WebFormRateLimited(InvalidTransition):
    def __init__(self):
        super().__init__(_("We have received many requests from your network in the last few minutes. Please try "
                           "again a little later."), code="rate_limited")


class WebFormAlreadySent(InvalidTransition):
    def __init__(self):
        super().__init__(_("This form has already been sent."), code="already_sent")


def _digest(kind, value):
    key = f"{settings.SECRET_KEY}:leads.web_form.{kind}".encode()
    return hmac.new(key, str(value).encode(), hashlib.sha256).hexdigest()


@transaction.atomic
def lead_web_form_submit(*, actor=None, token, source_address, fields):
    """Create the lead a web-form visitor sent. Raises WebFormRateLimited when the address sent
    LEADS_WEB_FORM_RATE_LIMIT forms within LEADS_WEB_FORM_RATE_WINDOW_SECONDS, and WebFormAlreadySent when this
    form (its token) already made a lead; nothing is written then."""
    from ..models import WebFormSubmission

    source_key = _digest("address", source_address)
    if connection.vendor == "postgresql":  # one address's submissions are counted one at a time
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"webform:{source_key}"])
    since = timezone.now() - timedelta(seconds=settings.LEADS_WEB_FORM_RATE_WINDOW_SECONDS)
    recent = WebFormSubmission.objects.filter(source_key=source_key, created_at__gte=since).count()
    if recent >= settings.LEADS_WEB_FORM_RATE_LIMIT:
        raise WebFormRateLimited
    try:
        with transaction.atomic():
            WebFormSubmission.objects.create(token_hash=_digest("token", token), source_key=source_key)
    except IntegrityError:
        raise WebFormAlreadySent
    return lead_create(actor=actor, channel="web form", source="Web form", **fields)


def web_form_submission_prune():
    """Forget the submissions older than a form token's lifetime; returns a summary."""
    from ..models import WebFormSubmission

    keep_after = timezone.now() - timedelta(seconds=WEB_FORM_TOKEN_MAX_AGE + 3600)
    deleted, _detail = WebFormSubmission.objects.filter(created_at__lt=keep_after).delete()
    return f"web form: {deleted} old submissions forgotten"
