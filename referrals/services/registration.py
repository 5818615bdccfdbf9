"""Deal registration after Won (E11)."""


from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from prm_portal.core.errors import InvalidTransition
from prm_portal.core.services import activity_record

from .. import emails
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
                             customer_po="") -> DealRegistration:
    referral = _lock(referral)
    _require_partner_member(actor, referral)
    if not referral_needs_registration(referral):
        raise InvalidTransition("Only a won, eligible deal can be registered.", code="state")
    details = _text(details, "Registration details")
    if contract_value in (None, ""):
        raise InvalidTransition("Contract value is required.", code="validation")
    try:
        contract_value = Decimal(str(contract_value))
    except ArithmeticError:
        raise InvalidTransition("Contract value must be a number.", code="validation")
    if not contract_value.is_finite() or contract_value <= 0 or contract_value >= Decimal("1e12"):
        raise InvalidTransition("Contract value must be a positive amount.", code="validation")
    if not contract_signed_on:
        raise InvalidTransition("The contract signing date is required.", code="validation")
    existing = DealRegistration.objects.select_for_update().filter(referral=referral).first()
    values = {"contract_value": contract_value.quantize(Decimal("0.01")), "contract_signed_on": contract_signed_on,
              "details": details, "customer_po": (customer_po or "").strip()[:100], "submitted_by": actor,
              "submitted_at": timezone.now(), "status": DealRegistration.Status.SUBMITTED}
    if existing is None:
        registration = DealRegistration.objects.create(referral=referral, **values)
        verb = "registration_submitted"
    elif existing.status == DealRegistration.Status.MORE_INFO:
        for k, v in values.items():
            setattr(existing, k, v)
        existing.save()
        registration, verb = existing, "registration_resubmitted"
    else:
        raise InvalidTransition(f"The registration is {existing.get_status_display().lower()}.", code="state")
    activity_record(target=referral, verb=verb, actor=actor, partner_account=referral.partner_account)
    return registration


@transaction.atomic
def deal_registration_review(*, actor, registration, decision, comment="") -> DealRegistration:
    """Vendor staff approve, reject or ask for more information (E11)."""
    from accounts.selectors import user_is_manager_of

    registration = DealRegistration.objects.select_for_update().select_related("referral").get(pk=registration.pk)
    if not (actor.is_vendor_staff and user_is_manager_of(
            user=actor, partner_account_id=registration.referral.partner_account_id)):
        raise InvalidTransition("Only the partner's channel manager or a vendor admin reviews registrations.",
                                code="forbidden")
    decisions = {
        "approve": DealRegistration.Status.APPROVED,
        "reject": DealRegistration.Status.REJECTED,
        "more_info": DealRegistration.Status.MORE_INFO,
    }
    if decision not in decisions:
        raise InvalidTransition("Choose approve, reject or ask for more information.", code="validation")
    if registration.status != DealRegistration.Status.SUBMITTED:
        raise InvalidTransition(f"The registration is {registration.get_status_display().lower()}, not waiting "
                                "for review.", code="state")
    comment = (comment or "").strip()
    if decision in ("reject", "more_info") and not comment:
        raise InvalidTransition("Tell the partner why in a comment.", code="validation")
    old = registration.status
    registration.status = decisions[decision]
    registration.review_comment = comment
    registration.reviewed_by = actor
    registration.reviewed_at = timezone.now()
    registration.save(update_fields=["status", "review_comment", "reviewed_by", "reviewed_at"])
    activity_record(target=registration.referral, verb=f"registration_{registration.status}", actor=actor,
                    partner_account=registration.referral.partner_account,
                    changes={"registration": [old, registration.status]}, comment=comment)
    emails.email_registration_reviewed(registration)
    return registration
