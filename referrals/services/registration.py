"""Deal registration after Won (E11)."""


from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import access
from prm_portal.core.errors import InvalidTransition, NotPermitted
from prm_portal.core.services import activity_record
from prm_portal.core.versioning import version_bump, version_check

from .. import emails
from ..events import ReferralEvent
from ..models import (
    DealRegistration,
    Referral,
)
from ._common import REGISTRATION_DEAL_TYPES, _lock, _require_partner_member, _text

# --- deal registration (E11) -------------------------------------------------------------------------------------

def referral_needs_registration(referral) -> bool:
    return referral.status == Referral.Status.WON and referral.deal_type in REGISTRATION_DEAL_TYPES


@transaction.atomic
def deal_registration_submit(*, actor, referral, contract_value, contract_signed_on, details,
                             customer_po="", expected_version=None) -> DealRegistration:
    """Register a won deal, or send it again after the vendor asked for more information. With
    `expected_version` (the form's, of the registration it showed), a registration changed since is refused."""
    referral = _lock(referral)
    _require_partner_member(actor, referral)
    if not referral_needs_registration(referral):
        raise InvalidTransition(_("Only a won, eligible deal can be registered."), code="state")
    details = _text(details, _("Registration details"))
    if contract_value in (None, ""):
        raise InvalidTransition(_("Contract value is required."), code="validation")
    try:
        contract_value = Decimal(str(contract_value))
    except ArithmeticError:
        raise InvalidTransition(_("Contract value must be a number."), code="validation")
    if not contract_value.is_finite() or contract_value <= 0 or contract_value >= Decimal("1e12"):
        raise InvalidTransition(_("Contract value must be a positive amount."), code="validation")
    if not contract_signed_on:
        raise InvalidTransition(_("The contract signing date is required."), code="validation")
    existing = DealRegistration.objects.select_for_update().filter(referral=referral).first()
    if existing is not None:
        _registration_version_check(existing, referral, expected_version)
    values = {"contract_value": contract_value.quantize(Decimal("0.01")), "contract_signed_on": contract_signed_on,
              "details": details, "customer_po": (customer_po or "").strip()[:100], "submitted_by": actor,
              "submitted_at": timezone.now(), "status": DealRegistration.Status.SUBMITTED}
    if existing is None:
        registration = DealRegistration.objects.create(referral=referral, **values)
        event = ReferralEvent.REGISTRATION_SUBMITTED
    elif existing.status == DealRegistration.Status.MORE_INFO:
        changes = {"registration": [existing.status, DealRegistration.Status.SUBMITTED]}
        for k in ("contract_value", "contract_signed_on", "customer_po", "details"):
            if getattr(existing, k) != values[k]:
                changes[k] = [str(getattr(existing, k)), str(values[k])]
        for k, v in values.items():
            setattr(existing, k, v)
        version_bump(existing)
        existing.save()
        registration, event = existing, ReferralEvent.REGISTRATION_RESUBMITTED
    else:
        raise InvalidTransition(_("The registration is %(status)s.")
                                % {"status": str(existing.get_status_display()).lower()}, code="state")
    activity_record(target=referral, event=event, actor=actor, partner_account=referral.partner_account,
                    registration_version=registration.version, **({"changes": changes} if existing else {}))
    return registration


def _registration_version_check(registration, referral, expected_version):
    """The registration's own version; what changed is read from its events on the referral's timeline."""
    version_check(registration, expected_version, history=referral, key="registration_version",
                  fields={"registration": _("Registration")},
                  choices={"registration": DealRegistration.Status.choices})


@transaction.atomic
def deal_registration_review(*, actor, registration, decision, comment="", expected_version=None) -> DealRegistration:
    """Vendor staff approve, reject or ask for more information (E11). With `expected_version` (the review
    form's), a registration changed since it was read (sent again, reviewed by someone else) is refused."""
    registration = DealRegistration.objects.select_for_update().select_related("referral").get(pk=registration.pk)
    if not access.referral_can_review(actor, registration.referral):
        raise NotPermitted(_("Only the partner's channel manager or a vendor admin reviews registrations."),
                           code="forbidden")
    _registration_version_check(registration, registration.referral, expected_version)
    decisions = {
        "approve": DealRegistration.Status.APPROVED,
        "reject": DealRegistration.Status.REJECTED,
        "more_info": DealRegistration.Status.MORE_INFO,
    }
    if decision not in decisions:
        raise InvalidTransition(_("Choose approve, reject or ask for more information."), code="validation")
    if registration.status != DealRegistration.Status.SUBMITTED:
        raise InvalidTransition(_("The registration is %(status)s, not waiting for review.")
                                % {"status": str(registration.get_status_display()).lower()}, code="state")
    comment = (comment or "").strip()
    if decision in ("reject", "more_info") and not comment:
        raise InvalidTransition(_("Tell the partner why in a comment."), code="validation")
    old = registration.status
    registration.status = decisions[decision]
    registration.review_comment = comment
    registration.reviewed_by = actor
    registration.reviewed_at = timezone.now()
    version_bump(registration)
    registration.save(update_fields=["status", "review_comment", "reviewed_by", "reviewed_at", "version"])
    activity_record(target=registration.referral, event=ReferralEvent.registration_reviewed(registration.status),
                    actor=actor,
                    partner_account=registration.referral.partner_account,
                    changes={"registration": [old, registration.status]}, comment=comment,
                    registration_version=registration.version)
    emails.email_registration_reviewed(registration)
    return registration
