"""Writes of the public partner finder: a customer's inquiry becomes a customer-inquiry referral (E1, E13, seed 003)
for the partner they chose or the best match; when a partner declines or lets it expire, the next best match is
offered it; when none is left, the customer is told to choose another partner.

The referral work is the referral services' (referral_offer, referral_offer_next with the system path); this
module adds the customer's side: the abuse limits, the confirmation and the "choose another partner" emails.
"""

import hashlib
import hmac
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from prm_portal.core.errors import InvalidTransition
from prm_portal.core.services import activity_record
from referrals.models import Referral
from referrals.selectors import partner_match_for_inquiry
from referrals.services import SOURCE_FINDER, referral_offer, referral_offer_next

from . import emails
from .events import FinderEvent
from .models import FinderInquiry, FinderSubmission
from .selectors import finder_partner_list

# A form token is valid this long (forms.InquiryForm); its hash is kept as long, then pruned.
FINDER_TOKEN_MAX_AGE = 24 * 3600
PLACED_STATUSES = (Referral.Status.ACCEPTED, Referral.Status.WON, Referral.Status.LOST)


class FinderRateLimited(InvalidTransition):
    def __init__(self):
        super().__init__(_("We have received many requests from you in the last hour. Please try again later."),
                         code="rate_limited")


class FinderAlreadySent(InvalidTransition):
    def __init__(self):
        super().__init__(_("This form has already been sent."), code="already_sent")


class FinderNoMatch(InvalidTransition):
    def __init__(self):
        super().__init__(_("No partner matches your request yet. Describe your need in other words, or choose a "
                           "partner from the list."), code="validation")


def _digest(kind, value):
    key = f"{settings.SECRET_KEY}:finder.{kind}".encode()
    return hmac.new(key, str(value).encode(), hashlib.sha256).hexdigest()


def _rate_limit_check(*, address_key, email_key):
    """Refuse when the address or the email sent their limit within the window. One address's and one email's
    submissions are counted one at a time (advisory locks, taken in a fixed order)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for key in sorted((f"finder:a:{address_key}", f"finder:e:{email_key}")):
                cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [key])
    since = timezone.now() - timedelta(seconds=settings.FINDER_RATE_WINDOW_SECONDS)
    recent = FinderSubmission.objects.filter(created_at__gte=since)
    if recent.filter(address_key=address_key).count() >= settings.FINDER_RATE_LIMIT_PER_ADDRESS:
        raise FinderRateLimited
    if recent.filter(email_key=email_key).count() >= settings.FINDER_RATE_LIMIT_PER_EMAIL:
        raise FinderRateLimited


def _language(code):
    codes = {c for c, _name in settings.LANGUAGES}
    code = (code or "").split("-")[0].lower()
    return code if code in codes else settings.LANGUAGE_CODE


@transaction.atomic
def finder_inquiry_submit(*, actor=None, token, source_address, partner=None, language="en", need, company="",
                          contact_name, email, phone="", company_size="", industry="", city="", country="",
                          contact_requested=False, consent) -> FinderInquiry:
    """A customer's inquiry from the finder: a Received customer-inquiry referral for `partner` (a listed partner
    the customer chose; at its location nearest the customer) or, without one, for the best matching listed
    partner. The partner is notified (referral_send), the customer gets a confirmation in `language`.

    Raises FinderRateLimited (the address or the email sent too many lately), FinderAlreadySent (this form made an
    inquiry already), FinderNoMatch (no listed partner matches) or InvalidTransition; nothing is written then.
    `actor` is always None: the customer has no account.
    """
    if not consent:
        raise InvalidTransition(_("Agree to share your details with the partner to send the request."),
                                code="validation")
    email = email.strip()
    address_key, email_key = _digest("address", source_address), _digest("email", email.lower())
    _rate_limit_check(address_key=address_key, email_key=email_key)
    try:
        with transaction.atomic():
            FinderSubmission.objects.create(token_hash=_digest("token", token), address_key=address_key,
                                            email_key=email_key)
    except IntegrityError:
        raise FinderAlreadySent
    candidates = finder_partner_list()
    if partner is not None and not candidates.filter(pk=partner.pk).exists():
        raise InvalidTransition(_("This partner cannot receive requests at the moment."), code="validation")
    location = None
    if partner is None:
        matches = partner_match_for_inquiry(need=need, company_size=company_size, industry=industry, city=city,
                                            country=country, among=candidates, limit=1)
        if not matches:
            raise FinderNoMatch
        partner, location = matches[0]["partner"], matches[0]["location"]
        chosen = None
    else:
        chosen = partner
    finder_inquiry = FinderInquiry.objects.create(chosen_partner=chosen, contact_name=contact_name, email=email,
                                                  language=_language(language))
    referral_offer(
        actor=actor, partner_account=partner, location=location, among=candidates, source=SOURCE_FINDER,
        inquiry=finder_inquiry.inquiry, referral_type=Referral.Type.CUSTOMER_INQUIRY,
        customer_name=company.strip() or contact_name, need=need, customer_city=city, customer_country=country,
        customer_size=company_size, customer_industry=industry, contact_name=contact_name, contact_phone=phone,
        contact_email=email, contact_requested=contact_requested, contact_consent=True, sender_name=contact_name,
    )
    emails.email_finder_inquiry_received(finder_inquiry, need=need, partner_name=chosen.name if chosen else "",
                                         contact_requested=contact_requested)
    return finder_inquiry


def _advance(finder_inquiry, *, now=None):
    """Move an open inquiry on after its partner declined or let it expire: offer it to the next best listed match
    (referral_offer_next, system path) or, when none is left or FINDER_INQUIRY_MAX_OFFERS partners had it, tell
    the customer to choose another partner. Nothing happens while a partner still has it. Caller holds the lock
    on the inquiry's row, in its transaction. Returns what happened: "offered", "placed", "unanswered" or ""."""
    now = now or timezone.now()
    referrals = Referral.objects.filter(inquiry=finder_inquiry.inquiry)
    if referrals.filter(status=Referral.Status.RECEIVED).exists():
        return ""
    if referrals.filter(status__in=PLACED_STATUSES).exists():
        finder_inquiry.status, finder_inquiry.closed_at = FinderInquiry.Status.PLACED, now
        finder_inquiry.save(update_fields=["status", "closed_at"])
        return "placed"
    last = referrals.select_related("partner_account").order_by("-received_at", "-pk").first()
    if last is None:
        return ""
    if referrals.count() < settings.FINDER_INQUIRY_MAX_OFFERS:
        try:
            referral_offer_next(actor=None, referral=last, among=finder_partner_list(), source=SOURCE_FINDER)
            return "offered"
        except InvalidTransition:
            pass  # no other listed partner matches
    finder_inquiry.status, finder_inquiry.closed_at = FinderInquiry.Status.UNANSWERED, now
    finder_inquiry.save(update_fields=["status", "closed_at"])
    activity_record(target=last, event=FinderEvent.CUSTOMER_TOLD_TO_CHOOSE, actor=None,
                    partner_account=last.partner_account)
    emails.email_finder_inquiry_unanswered(finder_inquiry, need=last.need)
    return "unanswered"


def finder_inquiry_declined(referral):
    """referral_decline's hook, in its transaction: a finder inquiry goes on to the next best match at once."""
    if referral.referral_type != Referral.Type.CUSTOMER_INQUIRY:
        return
    finder_inquiry = FinderInquiry.objects.select_for_update().filter(
        inquiry=referral.inquiry, status=FinderInquiry.Status.OPEN).first()
    if finder_inquiry is not None:
        _advance(finder_inquiry)


def finder_inquiry_reoffer_expired(*, now=None, batch_size=500) -> int:
    """After each expiry run (referral_expire_overdue's hook): every open finder inquiry no partner holds any more
    (its last referral expired) goes on to the next best match, each in its own transaction. Idempotent: an
    inquiry is moved on under its row's lock, only while no partner has it; running twice, or on two workers at
    once, offers it once. Inquiries a partner accepted are closed as placed. Returns how many it offered on or
    closed as unanswered."""
    now = now or timezone.now()
    open_inquiries = FinderInquiry.objects.filter(status=FinderInquiry.Status.OPEN)
    open_inquiries.filter(
        Exists(Referral.objects.filter(inquiry=OuterRef("inquiry"), status__in=PLACED_STATUSES))
    ).update(status=FinderInquiry.Status.PLACED, closed_at=now)
    due = list(
        open_inquiries.exclude(
            Exists(Referral.objects.filter(inquiry=OuterRef("inquiry"), status=Referral.Status.RECEIVED))
        ).values_list("pk", flat=True)[:batch_size]
    )
    moved = 0
    for pk in due:
        with transaction.atomic():
            finder_inquiry = FinderInquiry.objects.select_for_update(skip_locked=True).filter(
                pk=pk, status=FinderInquiry.Status.OPEN).first()
            if finder_inquiry is not None and _advance(finder_inquiry, now=now) in ("offered", "unanswered"):
                moved += 1
    return moved


def finder_submission_prune():
    """Forget the submissions older than both the rate window and a form token's lifetime; returns a summary."""
    keep_seconds = max(FINDER_TOKEN_MAX_AGE, settings.FINDER_RATE_WINDOW_SECONDS) + 3600
    deleted, _detail = FinderSubmission.objects.filter(
        created_at__lt=timezone.now() - timedelta(seconds=keep_seconds)).delete()
    return f"partner finder: {deleted} old submissions forgotten"
