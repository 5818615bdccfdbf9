"""Deal registration before the deal (H3): submit, answer a request for more, review, extend, ask for renewal."""

from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import access
from prm_portal.core.errors import InvalidTransition, NotPermitted
from prm_portal.core.services import activity_record
from prm_portal.core.versioning import version_bump, version_check

from .. import emails
from ..events import RegistrationEvent
from ..keys import normalise_domain, normalise_duns
from ..models import CURRENCIES, Registration
from .conflicts import conflict_detect_record, conflict_detection_linked_to, conflicts_open_for

# What the partner fills in (and may change when asked for more information).
FIELDS = ("customer_name", "customer_country", "customer_duns", "customer_domain", "contact_name", "contact_email",
          "contact_phone", "products", "estimated_value", "currency", "estimated_close_date", "justification")
MAX_PROTECTION_DAYS = 365


def protection_days_default() -> int:
    return getattr(settings, "REGISTRATION_PROTECTION_DAYS", 90)


def _required(value, label, max_length=None):
    value = (value or "").strip() if isinstance(value, str) or value is None else value
    if not value:
        raise InvalidTransition(_("%(field)s is required.") % {"field": label}, code="validation")
    if max_length and len(value) > max_length:
        raise InvalidTransition(_("%(field)s is too long (at most %(max)s characters).")
                                % {"field": label, "max": max_length}, code="validation")
    return value


def _clean(values) -> dict:
    """The partner's fields, checked and normalised; a clear message for the first problem."""
    cleaned = {
        "customer_name": _required(values.get("customer_name"), _("Customer"), 200),
        "contact_name": _required(values.get("contact_name"), _("Contact name"), 200),
        "products": _required(values.get("products"), _("Products or solutions")),
        "justification": _required(values.get("justification"), _("Justification")),
        "contact_email": (values.get("contact_email") or "").strip()[:254],
        "contact_phone": (values.get("contact_phone") or "").strip()[:40],
    }
    country = (values.get("customer_country") or "").strip().upper()
    if len(country) != 2 or not country.isalpha():
        raise InvalidTransition(_("Give the customer's country as a two-letter code, e.g. CZ."), code="validation")
    cleaned["customer_country"] = country
    duns = (values.get("customer_duns") or "").strip()
    if duns and not normalise_duns(duns):
        raise InvalidTransition(_("A DUNS number has nine digits."), code="validation")
    cleaned["customer_duns"] = normalise_duns(duns)
    domain = (values.get("customer_domain") or "").strip()
    if domain and not normalise_domain(domain):
        raise InvalidTransition(_("Give the web domain as e.g. contoso.com."), code="validation")
    cleaned["customer_domain"] = normalise_domain(domain)
    value = values.get("estimated_value")
    try:
        value = Decimal(str(value)) if value not in (None, "") else None
    except (ArithmeticError, InvalidOperation):
        value = Decimal("NaN")
    if value is None:
        raise InvalidTransition(_("Estimated value is required."), code="validation")
    if not value.is_finite() or value <= 0 or value >= Decimal("1e12"):
        raise InvalidTransition(_("Estimated value must be a positive amount."), code="validation")
    cleaned["estimated_value"] = value.quantize(Decimal("0.01"))
    currency = values.get("currency") or "EUR"
    if currency not in dict(CURRENCIES):
        raise InvalidTransition(_("Choose a currency."), code="validation")
    cleaned["currency"] = currency
    close_date = values.get("estimated_close_date")
    if not close_date:
        raise InvalidTransition(_("Estimated close date is required."), code="validation")
    if close_date < timezone.localdate():
        raise InvalidTransition(_("The estimated close date cannot be in the past."), code="validation")
    cleaned["estimated_close_date"] = close_date
    return cleaned


@transaction.atomic
def registration_submit(*, actor, **values) -> Registration:
    """A partner registers an opportunity it found (H3). The customer is checked against every other party's open
    records in the same transaction: a collision opens a conflict (the partner reads "under review"), another
    partner's protected registration refuses it with the same words."""
    if not (actor.is_authenticated and actor.is_active and actor.is_partner):
        raise NotPermitted(_("Deal registrations are submitted by partner users."), code="forbidden")
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise TypeError(f"Unknown registration fields: {sorted(unknown)}")
    registration = Registration.objects.create(partner_account_id=actor.partner_account_id, submitted_by=actor,
                                               **_clean(values))
    activity_record(target=registration, event=RegistrationEvent.SUBMITTED, actor=actor,
                    partner_account=registration.partner_account, customer=registration.customer_name)
    conflict_detect_record(record=registration)
    emails.email_registration_submitted(registration)
    return registration


def _lock(registration) -> Registration:
    return Registration.objects.select_for_update(of=("self",)).select_related("partner_account", "submitted_by").get(
        pk=registration.pk)


def _display(value):
    return value.isoformat() if hasattr(value, "isoformat") else ("" if value is None else str(value))


@transaction.atomic
def registration_resubmit(*, actor, registration, expected_version=None, **values) -> Registration:
    """Answer the channel manager's request for more information: the registration is waiting for review again,
    its customer checked again."""
    registration = _lock(registration)
    if not access.registration_can_change(actor, registration):
        raise NotPermitted(_("Only who registered the deal, or their partner's admin, can change it."),
                           code="forbidden")
    version_check(registration, expected_version)
    if registration.status != Registration.Status.MORE_INFO:
        raise InvalidTransition(_("The registration is %(status)s: there is nothing to answer.")
                                % {"status": str(registration.get_status_display()).lower()}, code="state")
    cleaned = _clean({**{f: getattr(registration, f) for f in FIELDS}, **values})
    changes = {"status": [registration.status, Registration.Status.SUBMITTED]}
    for field, value in cleaned.items():
        if getattr(registration, field) != value:
            changes[field] = [_display(getattr(registration, field)), _display(value)]
            setattr(registration, field, value)
    registration.status = Registration.Status.SUBMITTED
    version_bump(registration)
    registration.save()
    activity_record(target=registration, event=RegistrationEvent.RESUBMITTED, actor=actor,
                    partner_account=registration.partner_account, changes=changes)
    conflict_detect_record(record=registration)
    emails.email_registration_submitted(registration, again=True)
    return registration


def _opportunity_owner(registration):
    from accounts.models import User

    if registration.submitted_by is not None and registration.submitted_by.is_active:
        return registration.submitted_by
    owner = User.objects.filter(partner_account_id=registration.partner_account_id, role=User.Role.PARTNER_ADMIN,
                                is_active=True).order_by("id").first()
    if owner is None:
        raise InvalidTransition(_("The partner has no active user to own the opportunity."), code="state")
    return owner


def _opportunity_for(*, actor, registration):
    """The opportunity an approved registration becomes, owned by the partner (its submitter)."""
    from opportunities.services import opportunity_create

    first, _sep, last = registration.contact_name.strip().rpartition(" ")
    with conflict_detection_linked_to(registration):
        return opportunity_create(
            actor=actor, partner_account=registration.partner_account, owner=_opportunity_owner(registration),
            name=f"{registration.customer_name}: {registration.products.strip().splitlines()[0]}"[:200],
            customer_name=registration.customer_name, country=registration.customer_country,
            contact_first_name=first, contact_last_name=last or first, contact_email=registration.contact_email,
            contact_phone=registration.contact_phone, amount=registration.estimated_value,
            currency=registration.currency, close_date=registration.estimated_close_date,
            description=registration.justification,
        )


@transaction.atomic
def registration_review(*, actor, registration, decision, comment="", protection_days=None,
                        expected_version=None) -> Registration:
    """The owning channel manager (or one granted the partner, or a vendor admin) approves with a protection
    period, rejects with a reason, or asks for more information. Approval waits for any open conflict about the
    registration to be decided, and turns the registration into an opportunity owned by the partner."""
    registration = _lock(registration)
    if not access.registration_can_review(actor, registration):
        raise NotPermitted(_("Only the partner's channel manager or a vendor admin reviews registrations."),
                           code="forbidden")
    version_check(registration, expected_version)
    decisions = {"approve": Registration.Status.APPROVED, "reject": Registration.Status.REJECTED,
                 "more_info": Registration.Status.MORE_INFO}
    if decision not in decisions:
        raise InvalidTransition(_("Choose approve, reject or ask for more information."), code="validation")
    if registration.status != Registration.Status.SUBMITTED:
        raise InvalidTransition(_("The registration is %(status)s, not waiting for review.")
                                % {"status": str(registration.get_status_display()).lower()}, code="state")
    comment = (comment or "").strip()
    if decision in ("reject", "more_info") and not comment:
        raise InvalidTransition(_("Tell the partner why in a comment."), code="validation")
    old = registration.status
    data = {"comment": comment}
    if decision == "approve":
        if conflicts_open_for(registration).exists():
            raise InvalidTransition(_("Decide the open channel conflict about this customer first."),
                                    code="conflict")
        days = protection_days_default() if protection_days in (None, "") else int(protection_days)
        if not 1 <= days <= MAX_PROTECTION_DAYS:
            raise InvalidTransition(_("The protection period is between 1 and %(max)s days.")
                                    % {"max": MAX_PROTECTION_DAYS}, code="validation")
        registration.protected_until = timezone.localdate() + timedelta(days=days)
        data["protected_until"] = registration.protected_until.isoformat()
        if registration.opportunity_id is None:
            registration.opportunity = _opportunity_for(actor=actor, registration=registration)
    registration.status = decisions[decision]
    registration.review_comment = comment
    registration.reviewed_by = actor
    registration.reviewed_at = timezone.now()
    version_bump(registration)
    registration.save()
    activity_record(target=registration, event=RegistrationEvent.decided(registration.status), actor=actor,
                    partner_account=registration.partner_account, changes={"status": [old, registration.status]},
                    **data)
    emails.email_registration_decided(registration)
    return registration


@transaction.atomic
def registration_request_renewal(*, actor, registration) -> Registration:
    """The partner asks its channel manager to extend a protection before it lapses."""
    registration = _lock(registration)
    if not access.registration_can_change(actor, registration):
        raise NotPermitted(_("Only who registered the deal, or their partner's admin, can change it."),
                           code="forbidden")
    if not registration.is_protected():
        raise InvalidTransition(_("Only a protected registration can be extended."), code="state")
    if registration.renewal_requested_at is not None:
        raise InvalidTransition(_("The extension was already requested."), code="state")
    registration.renewal_requested_at = timezone.now()
    version_bump(registration)
    registration.save(update_fields=["renewal_requested_at", "version", "updated_at"])
    activity_record(target=registration, event=RegistrationEvent.RENEWAL_REQUESTED, actor=actor,
                    partner_account=registration.partner_account)
    emails.email_registration_renewal_requested(registration)
    return registration


@transaction.atomic
def registration_extend(*, actor, registration, days=None, expected_version=None) -> Registration:
    """Renew a protection before it lapses: `days` more from its current end."""
    registration = _lock(registration)
    if not access.registration_can_review(actor, registration):
        raise NotPermitted(_("Only the partner's channel manager or a vendor admin reviews registrations."),
                           code="forbidden")
    version_check(registration, expected_version)
    if not registration.is_protected():
        raise InvalidTransition(_("Only a protected registration can be extended."), code="state")
    days = protection_days_default() if days in (None, "") else int(days)
    if not 1 <= days <= MAX_PROTECTION_DAYS:
        raise InvalidTransition(_("The protection period is between 1 and %(max)s days.")
                                % {"max": MAX_PROTECTION_DAYS}, code="validation")
    old = registration.protected_until
    registration.protected_until = old + timedelta(days=days)
    registration.renewal_requested_at = None
    version_bump(registration)
    registration.save(update_fields=["protected_until", "renewal_requested_at", "version", "updated_at"])
    activity_record(target=registration, event=RegistrationEvent.EXTENDED, actor=actor,
                    partner_account=registration.partner_account,
                    protected_until=registration.protected_until.isoformat(),
                    changes={"protected_until": [old.isoformat(), registration.protected_until.isoformat()]})
    emails.email_registration_protection(registration, kind="extended")
    return registration
