"""Outbound co-sell deals created by a partner (E9)."""



from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import access
from prm_portal.core.errors import InvalidTransition
from prm_portal.core.services import activity_record

from ..events import ReferralEvent
from ..models import (
    Referral,
    SalesStage,
    Solution,
)
from ._common import _deal_fields, _stage_mark, _team_member_add, _text, _user_as_member

# --- outbound deals (E9) -----------------------------------------------------------------------------------------

@transaction.atomic
def referral_create_outbound(*, actor, location, customer_name, name, estimated_value, estimated_close_date, notes,
                             team_members, solutions, consent, customer_duns="", customer_city="",
                             customer_country="", contact_name="", contact_phone="", contact_email="",
                             contact_notes="", contact_consent=False, crm_id="", campaign_id="") -> Referral:
    """Create an outbound co-sell deal: it starts in Accepted (E9).

    `solutions`: a list of {"kind", "name", "assessment_type"}; a solution assessment is the deal's only
    solution and has exactly one assessment type. `team_members`: at least one with name, phone and email.
    """
    if not actor.is_partner:
        raise InvalidTransition(_("Only partner users create outbound deals."), code="forbidden")
    if not consent:
        raise InvalidTransition(_("Confirm the consent to create the deal."), code="validation")
    if location is None or location.partner_account_id != actor.partner_account_id:
        raise InvalidTransition(_("Choose one of your partner's locations."), code="validation")
    if actor.location_id and not actor.is_partner_admin and location.pk != actor.location_id:
        raise InvalidTransition(_("You can create deals for your own location only."), code="validation")
    customer_name = _text(customer_name, _("Customer"), max_length=200)
    # The customer's main contact for the deal is mandatory (seed 004: name, phone number and email), in the form and
    # the API alike.
    contact_name = _text(contact_name, _("Contact name"), max_length=200)
    contact_phone = _text(contact_phone, _("Contact phone"), max_length=40)
    contact_email = _text(contact_email, _("Contact email"), max_length=254)
    try:
        validate_email(contact_email)
    except ValidationError:
        raise InvalidTransition(_("Enter a valid email address for the customer contact."), code="validation")
    name, estimated_value, estimated_close_date, notes = _deal_fields(
        name=name, estimated_value=estimated_value, estimated_close_date=estimated_close_date, notes=notes
    )
    solutions = [s for s in solutions if s.get("kind")]
    if not solutions:
        raise InvalidTransition(_("Add a solution."), code="validation")
    assessments = [s for s in solutions if s["kind"] == Solution.Kind.SOLUTION_ASSESSMENT]
    if assessments:
        if len(solutions) != 1:
            raise InvalidTransition(_("A solution assessment deal takes exactly one assessment and no other solution."),
                                    code="validation")
        if assessments[0].get("assessment_type") not in Solution.AssessmentType.values:
            raise InvalidTransition(_("Choose the assessment type."), code="validation")
    for s in solutions:
        if s["kind"] not in Solution.Kind.values:
            raise InvalidTransition(_("Unknown solution type."), code="validation")
        if s["kind"] == Solution.Kind.PRODUCT and not (s.get("name") or "").strip():
            raise InvalidTransition(_("Name the solution."), code="validation")
    complete = [m for m in team_members if all((m.get(k) or "").strip() for k in ("name", "phone", "email"))]
    if not complete:
        raise InvalidTransition(_("Add at least one team member with a name, a phone number and an email."),
                                code="validation")
    now = timezone.now()
    referral = Referral.objects.create(
        referral_type=Referral.Type.CO_SELL,
        direction=Referral.Direction.OUTBOUND,
        deal_type=(Referral.DealType.SOLUTION_ASSESSMENT if assessments else Referral.DealType.CO_SELL),
        status=Referral.Status.ACCEPTED,
        partner_account_id=actor.partner_account_id,
        location=location,
        created_by=actor,
        customer_name=customer_name,
        customer_duns=(customer_duns or "").strip()[:13],
        customer_city=(customer_city or "").strip()[:120],
        customer_country=(customer_country or "").strip().upper()[:2],
        contact_name=(contact_name or "").strip()[:200],
        contact_phone=(contact_phone or "").strip()[:40],
        contact_email=(contact_email or "").strip(),
        contact_notes=contact_notes or "",
        contact_consent=bool(contact_consent),
        name=name,
        estimated_value=estimated_value,
        estimated_close_date=estimated_close_date,
        notes=notes,
        crm_id=_text(crm_id, _("CRM ID"), required=False, max_length=100),
        campaign_id=_text(campaign_id, _("Campaign ID"), required=False, max_length=100),
        received_at=now,
        accepted_at=now,
        sales_stage=SalesStage.ACCEPTED,
    )
    for s in solutions:
        Solution.objects.create(referral=referral, kind=s["kind"], name=(s.get("name") or "").strip()[:200],
                                assessment_type=s.get("assessment_type") or "")
    for m in team_members:
        if (m.get("name") or "").strip():
            _team_member_add(referral, name=m["name"], phone=m.get("phone", ""), email=m.get("email", ""))
    _user_as_member(referral, actor)
    _stage_mark(referral, SalesStage.CREATED, actor, now)
    _stage_mark(referral, SalesStage.ACCEPTED, actor, now)
    access.record_created(record=referral)  # the sharing rules in force cover it too (A3)
    activity_record(target=referral, event=ReferralEvent.CREATED, actor=actor, partner_account=referral.partner_account,
                    deal_type=referral.deal_type, location=str(location))
    return referral
