"""Writes for referrals: one function per state change, each with its activity event (E3-E13).

Partner actions (accept, decline, edit, stages, won, lost, registration) are allowed to members of the referral's
partner; callers fetch the referral through `referral_get_for_user`, so location scope is already applied.
"""

import json
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import PartnerLocation, User
from prm_portal.core.errors import InvalidTransition
from prm_portal.core.models import ActivityEvent
from prm_portal.core.services import activity_record

from . import emails
from .models import (
    SALES_STAGE_PERCENT,
    WORK_STAGES,
    DealRegistration,
    Favorite,
    Referral,
    SalesStage,
    Solution,
    StageMark,
    TeamMember,
)
from .selectors import partner_match_for_inquiry, partner_user_by_email

EDITABLE_FIELDS = ("name", "estimated_close_date", "estimated_value", "notes", "crm_id", "campaign_id")
# Deals that ask for registration after Won (E11).
REGISTRATION_DEAL_TYPES = (Referral.DealType.SOLUTION_ASSESSMENT, Referral.DealType.CO_SELL)


# --- helpers ----------------------------------------------------------------------------------------------------

def _lock(referral) -> Referral:
    return Referral.objects.select_for_update(of=("self",)).select_related("partner_account", "sender").get(
        pk=referral.pk)


def _require_partner_member(actor, referral):
    if not (actor.is_partner and actor.partner_account_id == referral.partner_account_id):
        raise InvalidTransition("Only the partner's own people can work on this referral.", code="forbidden")


def _require_status(referral, *statuses, action):
    if referral.status not in statuses:
        raise InvalidTransition(
            f"This referral is {referral.get_status_display().lower()}: it cannot be {action}.", code="state"
        )


def _text(value, field, *, required=True, max_length=None):
    value = (value or "").strip() if isinstance(value, str) or value is None else value
    if required and not value:
        raise InvalidTransition(f"{field} is required.", code="validation")
    if max_length and isinstance(value, str) and len(value) > max_length:
        raise InvalidTransition(f"{field} is too long (at most {max_length} characters).", code="validation")
    return value


def _deal_fields(*, name, estimated_value, estimated_close_date, notes):
    name = _text(name, "Deal name", max_length=200)
    notes = _text(notes, "Notes")
    if estimated_value in (None, ""):
        raise InvalidTransition("Estimated value is required.", code="validation")
    try:
        estimated_value = Decimal(str(estimated_value))
    except ArithmeticError:
        raise InvalidTransition("Estimated value must be a number.", code="validation")
    if not estimated_value.is_finite() or estimated_value < 0 or estimated_value >= Decimal("1e12"):
        raise InvalidTransition("Estimated value must be a positive amount.", code="validation")
    if not estimated_close_date:
        raise InvalidTransition("Estimated close date is required.", code="validation")
    return name, estimated_value.quantize(Decimal("0.01")), estimated_close_date, notes


def _team_member_add(referral, *, name, phone="", email="", require_all=False):
    name = _text(name, "Team member name", max_length=200)
    phone = (phone or "").strip()
    email = (email or "").strip()
    if require_all and not (phone and email):
        raise InvalidTransition("A team member needs a name, a phone number and an email.", code="validation")
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


# --- inbound: sending, matching, offering (E1, E13) --------------------------------------------------------------

@transaction.atomic
def referral_send(*, actor, partner_account, location=None, referral_type, customer_name, deal_type="", need="",
                  keywords=(), customer_city="", customer_country="", customer_size="", customer_industry="",
                  customer_duns="", contact_name="", contact_phone="", contact_email="", contact_requested=False,
                  sender_name="", sender_email="", estimated_value=None, received_at=None, inquiry=None) -> Referral:
    """Send an inbound referral to a partner: it arrives in Received (E1, E3).

    Vendor staff send any type; a partner user may pass a referral to another partner (not to their own).
    For a customer inquiry the sender is the customer (`sender_name`/`sender_email`, defaulting to the contact).
    The location is fixed here for good (E8); the partner's users scoped to it join the team so they see it (B7).
    """
    if actor.is_partner:
        if actor.partner_account_id == partner_account.pk:
            raise InvalidTransition("A partner cannot send a referral to itself.", code="validation")
    elif not actor.is_vendor_staff:
        raise InvalidTransition("Only vendor staff or partners can send referrals.", code="forbidden")
    if not partner_account.is_partner:
        raise InvalidTransition(f"{partner_account} is not an enabled partner.", code="validation")
    if referral_type not in (Referral.Type.CUSTOMER_INQUIRY, Referral.Type.MARKETING_QUALIFIED,
                             Referral.Type.SALES_QUALIFIED):
        raise InvalidTransition("Choose a referral type.", code="validation")
    customer_name = _text(customer_name, "Customer", max_length=200)
    if location is None:
        location = _best_location(partner_account, city=customer_city, country=customer_country)
    elif location.partner_account_id != partner_account.pk:
        raise InvalidTransition("That location belongs to another partner.", code="validation")
    now = timezone.now()
    if referral_type == Referral.Type.CUSTOMER_INQUIRY:
        sender = None
        sender_name = sender_name or contact_name or customer_name
        sender_email = sender_email or contact_email
    else:
        sender = actor
        sender_name = sender_name or str(actor)
        sender_email = sender_email or actor.email
    referral = Referral.objects.create(
        referral_type=referral_type,
        direction=Referral.Direction.INBOUND,
        deal_type=deal_type or "",
        status=Referral.Status.RECEIVED,
        partner_account=partner_account,
        location=location,
        sender=sender,
        sender_name=sender_name[:200],
        sender_email=sender_email,
        created_by=actor,
        customer_name=customer_name,
        customer_duns=customer_duns,
        customer_city=customer_city,
        customer_country=(customer_country or "").upper()[:2],
        customer_size=customer_size,
        customer_industry=customer_industry,
        need=need,
        keywords=sorted({str(k).strip().lower() for k in keywords if str(k).strip()}),
        contact_name=contact_name,
        contact_phone=contact_phone,
        contact_email=contact_email,
        contact_requested_at=now if contact_requested else None,
        estimated_value=estimated_value,
        received_at=received_at or now,
        sales_stage=SalesStage.CREATED,
        **({"inquiry": inquiry} if inquiry else {}),
    )
    _stage_mark(referral, SalesStage.CREATED, actor, now)
    for user in User.objects.filter(location=location, partner_account=partner_account, is_active=True,
                                    role=User.Role.PARTNER_USER):
        _user_as_member(referral, user)
    activity_record(target=referral, verb="received", actor=actor, partner_account=partner_account,
                    type=referral_type, location=str(location))
    emails.email_referral_received(referral)
    return referral


def _best_location(partner_account, *, city="", country=""):
    locations = list(PartnerLocation.objects.filter(partner_account=partner_account))
    if not locations:
        raise InvalidTransition(f"{partner_account} has no location to receive referrals.", code="validation")
    for loc in locations:
        if city and loc.city.lower() == city.strip().lower():
            return loc
    for loc in locations:
        if country and loc.country.upper() == country.strip().upper():
            return loc
    return locations[0]


@transaction.atomic
def referral_offer(*, actor, partner_account=None, location=None, **inquiry) -> Referral:
    """Offer an inbound referral (E13): to the chosen partner, or else to the best-matching one.

    One partner at a time: a referral has one location and one 14-day clock, and a customer inquiry names one
    partner to its customer. If no partner matches, vendor staff must choose one.
    """
    if not actor.is_vendor_staff:
        raise InvalidTransition("Only vendor staff can offer referrals.", code="forbidden")
    if partner_account is None:
        matches = partner_match_for_inquiry(
            keywords=inquiry.get("keywords", ()), need=inquiry.get("need", ""),
            company_size=inquiry.get("customer_size", ""), industry=inquiry.get("customer_industry", ""),
            city=inquiry.get("customer_city", ""), country=inquiry.get("customer_country", ""), limit=1,
        )
        if not matches:
            raise InvalidTransition("No partner's business profile matches this inquiry: choose a partner.",
                                    code="validation")
        partner_account, location = matches[0]["partner"], matches[0]["location"]
    return referral_send(actor=actor, partner_account=partner_account, location=location, **inquiry)


@transaction.atomic
def referral_offer_next(*, actor, referral) -> Referral:
    """Offer a declined or expired inbound inquiry to the next best-matching partner not yet offered it (E13)."""
    from accounts.selectors import partner_account_list_visible_to, user_is_manager_of

    if not (actor.is_vendor_staff and user_is_manager_of(user=actor, partner_account_id=referral.partner_account_id)):
        raise InvalidTransition("Only the partner's channel manager or a vendor admin can offer it on.",
                                code="forbidden")
    referral = _lock(referral)
    if referral.direction != Referral.Direction.INBOUND or referral.status not in (
            Referral.Status.DECLINED, Referral.Status.EXPIRED):
        raise InvalidTransition("Only a declined or expired inbound referral can be offered to another partner.",
                                code="state")
    offered = set(Referral.objects.filter(inquiry=referral.inquiry).values_list("partner_account_id", flat=True))
    matches = partner_match_for_inquiry(
        keywords=referral.keywords, need=referral.need, company_size=referral.customer_size,
        industry=referral.customer_industry, city=referral.customer_city, country=referral.customer_country,
        limit=1, among=partner_account_list_visible_to(user=actor), exclude=offered,
    )
    if not matches:
        raise InvalidTransition("No other partner's business profile matches this inquiry.", code="state")
    new = referral_send(
        actor=actor, partner_account=matches[0]["partner"], location=matches[0]["location"],
        referral_type=referral.referral_type, customer_name=referral.customer_name, deal_type=referral.deal_type,
        need=referral.need, keywords=referral.keywords, customer_city=referral.customer_city,
        customer_country=referral.customer_country, customer_size=referral.customer_size,
        customer_industry=referral.customer_industry, customer_duns=referral.customer_duns,
        contact_name=referral.contact_name, contact_phone=referral.contact_phone,
        contact_email=referral.contact_email, contact_requested=bool(referral.contact_requested_at),
        sender_name=referral.sender_name, sender_email=referral.sender_email,
        estimated_value=referral.estimated_value, inquiry=referral.inquiry,
    )
    activity_record(target=referral, verb="offered_to_next", actor=actor, partner_account=referral.partner_account,
                    referral=new.pk)
    return new


# --- received: accept, decline (E3) ------------------------------------------------------------------------------

@transaction.atomic
def referral_accept(*, actor, referral, name, estimated_value, estimated_close_date, notes, crm_id="",
                    campaign_id="", team_members=()) -> Referral:
    referral = _lock(referral)
    _require_partner_member(actor, referral)
    _require_status(referral, Referral.Status.RECEIVED, action="accepted")
    name, estimated_value, estimated_close_date, notes = _deal_fields(
        name=name, estimated_value=estimated_value, estimated_close_date=estimated_close_date, notes=notes
    )
    now = timezone.now()
    referral.name = name
    referral.estimated_value = estimated_value
    referral.estimated_close_date = estimated_close_date
    referral.notes = notes
    referral.crm_id = _text(crm_id, "CRM ID", required=False, max_length=100)
    referral.campaign_id = _text(campaign_id, "Campaign ID", required=False, max_length=100)
    referral.status = Referral.Status.ACCEPTED
    referral.accepted_at = now
    referral.sales_stage = SalesStage.ACCEPTED
    referral.save(update_fields=[*EDITABLE_FIELDS, "status", "accepted_at", "sales_stage", "updated_at"])
    _stage_mark(referral, SalesStage.ACCEPTED, actor, now)
    _user_as_member(referral, actor)
    for member in team_members:
        if (member.get("name") or "").strip():
            _team_member_add(referral, **member)
    activity_record(target=referral, verb="accepted", actor=actor, partner_account=referral.partner_account,
                    changes={"status": ["received", "accepted"]})
    return referral


@transaction.atomic
def referral_decline(*, actor, referral, reason, notes="") -> Referral:
    referral = _lock(referral)
    _require_partner_member(actor, referral)
    _require_status(referral, Referral.Status.RECEIVED, action="declined")
    if reason not in Referral.DeclineReason.values:
        raise InvalidTransition("Choose a reason for declining.", code="validation")
    referral.status = Referral.Status.DECLINED
    referral.decline_reason = reason
    referral.close_notes = (notes or "").strip()
    referral.closed_at = timezone.now()
    referral.save(update_fields=["status", "decline_reason", "close_notes", "closed_at", "updated_at"])
    activity_record(target=referral, verb="declined", actor=actor, partner_account=referral.partner_account,
                    reason=reason, changes={"status": ["received", "declined"]})
    emails.email_referral_declined(referral)
    return referral


# --- accepted: edit, team, stages, won, lost (E6, E10) -----------------------------------------------------------

@transaction.atomic
def referral_update(*, actor, referral, **fields) -> Referral:
    """Edit the deal of an accepted referral. Location, type and solutions never change."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidTransition(f"These fields cannot be edited: {', '.join(sorted(unknown))}.", code="validation")
    referral = _lock(referral)
    _require_partner_member(actor, referral)
    _require_status(referral, Referral.Status.ACCEPTED, action="edited")
    merged = {f: fields.get(f, getattr(referral, f)) for f in EDITABLE_FIELDS}
    name, value, close_date, notes = _deal_fields(
        name=merged["name"], estimated_value=merged["estimated_value"],
        estimated_close_date=merged["estimated_close_date"], notes=merged["notes"],
    )
    new = {"name": name, "estimated_value": value, "estimated_close_date": close_date, "notes": notes,
           "crm_id": _text(merged["crm_id"], "CRM ID", required=False, max_length=100),
           "campaign_id": _text(merged["campaign_id"], "Campaign ID", required=False, max_length=100)}
    changes = {}
    for field, value in new.items():
        old = getattr(referral, field)
        if old != value:
            changes[field] = [str(old) if old is not None else None, str(value) if value is not None else None]
            setattr(referral, field, value)
    if changes:
        referral.save(update_fields=[*changes, "updated_at"])
        activity_record(target=referral, verb="edited", actor=actor, partner_account=referral.partner_account,
                        changes=changes)
    return referral


@transaction.atomic
def referral_team_member_add(*, actor, referral, name, phone, email) -> TeamMember:
    referral = _lock(referral)
    _require_partner_member(actor, referral)
    _require_status(referral, *Referral.OPEN_STATUSES, action="changed")
    member = _team_member_add(referral, name=name, phone=phone, email=email, require_all=True)
    if member is None:
        raise InvalidTransition("That person is already on the team.", code="validation")
    activity_record(target=referral, verb="team_member_added", actor=actor, partner_account=referral.partner_account,
                    name=member.name, email=member.email)
    return member


def stage_from_input(value) -> str:
    """Accept a stage key ('data_collection'), its name ('Data collection') or its percentage for work stages."""
    text = str(value or "").strip()
    for stage in SalesStage:
        if text.lower() in (stage.value, str(stage.label).lower()):
            return stage.value
    raise InvalidTransition(
        f"Unknown sales stage {text!r}. Use one of: {', '.join(s.value for s in SalesStage)}.", code="validation"
    )


@transaction.atomic
def referral_stage_mark(*, actor, referral, stage) -> Referral:
    """Mark the next sales stage done (E10). Stages are marked in order; Won is marked by `referral_win`."""
    stage = stage_from_input(stage)
    referral = _lock(referral)
    _require_partner_member(actor, referral)
    _require_status(referral, Referral.Status.ACCEPTED, action="moved to another stage")
    if stage not in WORK_STAGES:
        raise InvalidTransition("Only the working stages are marked here; use Won or Lost to close the deal.",
                                code="validation")
    marked = set(referral.stage_marks.values_list("stage", flat=True))
    if stage in marked:
        raise InvalidTransition(f"{SalesStage(stage).label} is already marked done.", code="state")
    for earlier in WORK_STAGES[: WORK_STAGES.index(stage)]:
        if earlier not in marked:
            raise InvalidTransition(f"Mark {SalesStage(earlier).label} done first.", code="state")
    old = referral.sales_stage
    _stage_mark(referral, stage, actor, timezone.now())
    referral.sales_stage = stage
    referral.save(update_fields=["sales_stage", "updated_at"])
    activity_record(target=referral, verb="stage_marked", actor=actor, partner_account=referral.partner_account,
                    percent=SALES_STAGE_PERCENT[stage], changes={"sales stage": [old, stage]})
    return referral


def referral_can_win(referral) -> bool:
    if referral.status != Referral.Status.ACCEPTED:
        return False
    if not referral.is_solution_assessment:
        return True
    marked = set(referral.stage_marks.values_list("stage", flat=True))
    return all(stage in marked for stage in WORK_STAGES)


@transaction.atomic
def referral_win(*, actor, referral) -> Referral:
    referral = _lock(referral)
    _require_partner_member(actor, referral)
    _require_status(referral, Referral.Status.ACCEPTED, action="marked won")
    if not referral_can_win(referral):
        raise InvalidTransition("A solution assessment can be won only after every sales stage is marked done.",
                                code="state")
    now = timezone.now()
    old = referral.sales_stage
    referral.status = Referral.Status.WON
    referral.sales_stage = SalesStage.WON
    referral.closed_at = now
    referral.save(update_fields=["status", "sales_stage", "closed_at", "updated_at"])
    _stage_mark(referral, SalesStage.WON, actor, now)
    activity_record(target=referral, verb="won", actor=actor, partner_account=referral.partner_account,
                    changes={"status": ["accepted", "won"], "sales stage": [old, "won"]})
    if referral.direction == Referral.Direction.INBOUND:
        emails.email_referral_closed(referral)
    return referral


@transaction.atomic
def referral_lose(*, actor, referral, reason) -> Referral:
    referral = _lock(referral)
    _require_partner_member(actor, referral)
    _require_status(referral, Referral.Status.ACCEPTED, action="marked lost")
    reason = _text(reason, "A reason", max_length=200)
    referral.status = Referral.Status.LOST
    referral.lost_reason = reason
    referral.closed_at = timezone.now()
    referral.save(update_fields=["status", "lost_reason", "closed_at", "updated_at"])
    activity_record(target=referral, verb="lost", actor=actor, partner_account=referral.partner_account,
                    reason=reason, changes={"status": ["accepted", "lost"]})
    if referral.direction == Referral.Direction.INBOUND:
        emails.email_referral_closed(referral)
    return referral


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
        raise InvalidTransition("Only partner users create outbound deals.", code="forbidden")
    if not consent:
        raise InvalidTransition("Confirm the consent to create the deal.", code="validation")
    if location is None or location.partner_account_id != actor.partner_account_id:
        raise InvalidTransition("Choose one of your partner's locations.", code="validation")
    if actor.location_id and not actor.is_partner_admin and location.pk != actor.location_id:
        raise InvalidTransition("You can create deals for your own location only.", code="validation")
    customer_name = _text(customer_name, "Customer", max_length=200)
    name, estimated_value, estimated_close_date, notes = _deal_fields(
        name=name, estimated_value=estimated_value, estimated_close_date=estimated_close_date, notes=notes
    )
    solutions = [s for s in solutions if s.get("kind")]
    if not solutions:
        raise InvalidTransition("Add a solution.", code="validation")
    assessments = [s for s in solutions if s["kind"] == Solution.Kind.SOLUTION_ASSESSMENT]
    if assessments:
        if len(solutions) != 1:
            raise InvalidTransition("A solution assessment deal takes exactly one assessment and no other solution.",
                                    code="validation")
        if assessments[0].get("assessment_type") not in Solution.AssessmentType.values:
            raise InvalidTransition("Choose the assessment type.", code="validation")
    for s in solutions:
        if s["kind"] not in Solution.Kind.values:
            raise InvalidTransition("Unknown solution type.", code="validation")
        if s["kind"] == Solution.Kind.PRODUCT and not (s.get("name") or "").strip():
            raise InvalidTransition("Name the solution.", code="validation")
    complete = [m for m in team_members if all((m.get(k) or "").strip() for k in ("name", "phone", "email"))]
    if not complete:
        raise InvalidTransition("Add at least one team member with a name, a phone number and an email.",
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
        crm_id=_text(crm_id, "CRM ID", required=False, max_length=100),
        campaign_id=_text(campaign_id, "Campaign ID", required=False, max_length=100),
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
    activity_record(target=referral, verb="created", actor=actor, partner_account=referral.partner_account,
                    deal_type=referral.deal_type, location=str(location))
    return referral


# --- favorites (E2) ----------------------------------------------------------------------------------------------

@transaction.atomic
def referral_favorite_toggle(*, user, referral) -> bool:
    """Heart on, heart off. Returns whether the referral is now a favorite of the user."""
    deleted, _ = Favorite.objects.filter(user=user, referral=referral).delete()
    if deleted:
        return False
    Favorite.objects.get_or_create(user=user, referral=referral)
    return True


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


# --- expiry (E4) -------------------------------------------------------------------------------------------------

_EXPIRE_PG = """
WITH due AS (
    SELECT id FROM referrals_referral
    WHERE status = 'received' AND received_at < %(cutoff)s
    LIMIT %(batch)s
    FOR UPDATE SKIP LOCKED
), expired AS (
    UPDATE referrals_referral AS r
    SET status = 'expired', closed_at = %(now)s, updated_at = %(now)s
    FROM due
    WHERE r.id = due.id AND r.status = 'received'
    RETURNING r.id, r.partner_account_id, r.sender_id, r.sender_email, r.sender_name, r.customer_name, r.name,
              r.referral_type
), events AS (
    INSERT INTO core_activityevent (content_type_id, object_id, verb, actor_id, partner_account_id, data, created_at)
    SELECT %(ct)s, id, 'expired', NULL, partner_account_id, %(data)s::jsonb, %(now)s FROM expired
)
SELECT id, partner_account_id, sender_id, sender_email, sender_name, customer_name, name, referral_type
FROM expired
"""

_EXPIRE_PORTABLE = """
UPDATE referrals_referral
SET status = 'expired', closed_at = %(now)s, updated_at = %(now)s
WHERE id IN (
    SELECT id FROM referrals_referral WHERE status = 'received' AND received_at < %(cutoff)s LIMIT %(batch)s
) AND status = 'received'
RETURNING id, partner_account_id, sender_id, sender_email, sender_name, customer_name, name, referral_type
"""

_REMIND_PORTABLE = """
UPDATE referrals_referral SET expiry_reminder_sent_at = %s WHERE id IN (
    SELECT id FROM referrals_referral WHERE status = 'received' AND received_at < %s AND received_at >= %s
    AND expiry_reminder_sent_at IS NULL LIMIT %s
) AND expiry_reminder_sent_at IS NULL RETURNING id
"""
_REMIND_PG = _REMIND_PORTABLE.replace("LIMIT %s\n", "LIMIT %s FOR UPDATE SKIP LOCKED\n")

EXPIRED_EVENT_DATA = {"changes": {"status": ["received", "expired"]}}


def _expire_batch(*, now, cutoff, batch_size, content_type_id):
    """One set-based batch in the caller's transaction; returns the expired rows."""
    params = {"now": now, "cutoff": cutoff, "batch": batch_size, "ct": content_type_id,
              "data": json.dumps(EXPIRED_EVENT_DATA)}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_EXPIRE_PG, params)
            rows = cursor.fetchall()
        else:  # SQLite (make run): RETURNING, then the events in one bulk insert; writers are serialised anyway.
            sql = _EXPIRE_PORTABLE.replace("%(now)s", "%s").replace("%(cutoff)s", "%s").replace("%(batch)s", "%s")
            cursor.execute(sql, [now, now, cutoff, batch_size])
            rows = cursor.fetchall()
            ActivityEvent.objects.bulk_create([
                ActivityEvent(content_type_id=content_type_id, object_id=row[0], verb="expired",
                              partner_account_id=row[1], data=EXPIRED_EVENT_DATA)
                for row in rows
            ])
    return rows


def referral_expire_overdue(*, now=None, batch_size=10000) -> int:
    """Close every referral left in Received past the expiry period as Expired and email its sender (E4, F1-F3).

    Works in batches, each its own transaction: one UPDATE ... RETURNING over the partial index of received
    referrals (rows locked by another worker or by a partner answering are skipped, not waited for), the
    activity events inserted from the same statement, and one email per referral queued on commit with the
    key `referral-expired-<pk>`. Running it twice, or on two workers at once, expires and emails each once.
    Returns how many referrals this call expired.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.REFERRAL_EXPIRY_DAYS)
    content_type_id = ContentType.objects.get_for_model(Referral).pk
    partner_names = {}
    total = 0
    while True:
        with transaction.atomic():
            rows = _expire_batch(now=now, cutoff=cutoff, batch_size=batch_size, content_type_id=content_type_id)
            if not rows:
                break
            sender_ids = {row[2] for row in rows if row[2]}
            languages = dict(User.objects.filter(pk__in=sender_ids).values_list("pk", "language")) if sender_ids \
                else {}
            missing = {row[1] for row in rows} - partner_names.keys()
            if missing:
                from accounts.models import PartnerAccount

                partner_names.update(PartnerAccount.objects.filter(pk__in=missing).values_list("pk", "name"))
            emails.email_referral_expired_rows(
                {
                    "pk": pk, "to": sender_email, "language": languages.get(sender_id, "en"),
                    "title": name or customer_name, "customer_name": customer_name,
                    "partner_name": partner_names.get(partner_id, ""),
                    "is_customer_inquiry": rtype == Referral.Type.CUSTOMER_INQUIRY, "sender_name": sender_name,
                }
                for pk, partner_id, sender_id, sender_email, sender_name, customer_name, name, rtype in rows
                if sender_email
            )
            total += len(rows)
        if len(rows) < batch_size:
            break
    return total


def referral_remind_expiring(*, now=None, batch_size=1000) -> int:
    """Email the partner two days (a setting) before a received referral expires; once per referral."""
    now = now or timezone.now()
    expiry_days = settings.REFERRAL_EXPIRY_DAYS
    remind_after = now - timedelta(days=expiry_days - settings.REFERRAL_REMINDER_DAYS_BEFORE)
    cutoff = now - timedelta(days=expiry_days)
    sql = _REMIND_PG if connection.vendor == "postgresql" else _REMIND_PORTABLE
    total = 0
    while True:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, [now, remind_after, cutoff, batch_size])
                ids = [row[0] for row in cursor.fetchall()]
            referrals = Referral.objects.filter(pk__in=ids).select_related("partner_account", "location")
            for referral in referrals.prefetch_related("team_members__user"):
                emails.email_referral_expiry_reminder(referral)
            total += len(ids)
        if len(ids) < batch_size:
            return total
