"""Shared guards and helpers of the referral services."""

from decimal import Decimal

from django.utils.translation import gettext as _

from accounts import access
from prm_portal.core.errors import InvalidTransition, NotPermitted

from ..models import (
    Referral,
    StageMark,
    TeamMember,
)
from ..selectors import partner_user_by_email

EDITABLE_FIELDS = ("name", "estimated_close_date", "estimated_value", "notes", "crm_id", "campaign_id")
# Deals that ask for registration after Won (E11).
REGISTRATION_DEAL_TYPES = (Referral.DealType.SOLUTION_ASSESSMENT, Referral.DealType.CO_SELL)
# `source` of a customer's own inquiry from the public partner finder (the finder app).
SOURCE_FINDER = "finder"


# --- customer inquiries an app above this one takes charge of ------------------------------------------------------
# The public partner finder (finder app) registers itself here in its AppConfig.ready: referrals never import it.
_inquiry_handlers = []


def register_inquiry_handler(*, on_declined, after_expiry):
    """`on_declined(referral)` runs in the transaction of every referral_decline; `after_expiry(now=...)` after
    every run of referral_expire_overdue, once its batches are committed. Both must be idempotent."""
    if (on_declined, after_expiry) not in _inquiry_handlers:
        _inquiry_handlers.append((on_declined, after_expiry))


def inquiry_declined(referral):
    for on_declined, _after_expiry in _inquiry_handlers:
        on_declined(referral)


def inquiries_expired(*, now):
    for _on_declined, after_expiry in _inquiry_handlers:
        after_expiry(now=now)




# --- helpers ----------------------------------------------------------------------------------------------------

def _lock(referral) -> Referral:
    return Referral.objects.select_for_update(of=("self",)).select_related("partner_account", "sender").get(
        pk=referral.pk)


def _require_partner_member(actor, referral):
    if not access.referral_can_change(actor, referral):
        raise NotPermitted(_("Only the partner's own people can work on this referral."), code="forbidden")


def _require_status(referral, *statuses, action):
    if referral.status not in statuses:
        raise InvalidTransition(
            _("This referral is %(status)s: it cannot be %(action)s.")
            % {"status": str(referral.get_status_display()).lower(), "action": action},
            code="state"
        )


def _text(value, field, *, required=True, max_length=None):
    value = (value or "").strip() if isinstance(value, str) or value is None else value
    if required and not value:
        raise InvalidTransition(_("%(field)s is required.") % {"field": field},
                                code="validation")
    if max_length and isinstance(value, str) and len(value) > max_length:
        raise InvalidTransition(_("%(field)s is too long (at most %(max)s characters).")
                                % {"field": field, "max": max_length},
                                code="validation")
    return value


def _deal_fields(*, name, estimated_value, estimated_close_date, notes):
    name = _text(name, _("Deal name"), max_length=200)
    notes = _text(notes, _("Notes"))
    if estimated_value in (None, ""):
        raise InvalidTransition(_("Estimated value is required."), code="validation")
    try:
        estimated_value = Decimal(str(estimated_value))
    except ArithmeticError:
        raise InvalidTransition(_("Estimated value must be a number."), code="validation")
    if not estimated_value.is_finite() or estimated_value < 0 or estimated_value >= Decimal("1e12"):
        raise InvalidTransition(_("Estimated value must be a positive amount."), code="validation")
    if not estimated_close_date:
        raise InvalidTransition(_("Estimated close date is required."), code="validation")
    return name, estimated_value.quantize(Decimal("0.01")), estimated_close_date, notes


def _team_member_add(referral, *, name, phone="", email="", require_all=False):
    name = _text(name, _("Team member name"), max_length=200)
    phone = (phone or "").strip()
    email = (email or "").strip()
    if require_all and not (phone and email):
        raise InvalidTransition(_("A team member needs a name, a phone number and an email."), code="validation")
    user = partner_user_by_email(partner_account_id=referral.partner_account_id, email=email)
    if user is not None and referral.team_members.filter(user=user).exists():
        return None
    return TeamMember.objects.create(referral=referral, name=name, phone=phone[:40], email=email, user=user)


def _stage_mark(referral, stage, actor, now):
    StageMark.objects.get_or_create(referral=referral, stage=stage, defaults={"marked_by": actor, "marked_at": now})


def _user_as_member(referral, user):
    if user is not None and user.is_partner and user.partner_account_id == referral.partner_account_id:
        if not referral.team_members.filter(user=user).exists():
            TeamMember.objects.create(referral=referral, name=str(user), phone=user.phone, email=user.email,
                                      user=user)
