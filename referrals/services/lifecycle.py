"""Inbound referrals: send, offer, accept, decline, work the Accepted stage, win, lose, favourite (E1-E6, E10, E13)."""

import functools

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from accounts import access
from accounts.models import PartnerLocation, User
from prm_portal.core.errors import InvalidTransition, NotPermitted
from prm_portal.core.services import activity_record
from prm_portal.core.versioning import version_bump, version_check

from .. import emails
from ..events import ReferralEvent
from ..models import (
    SALES_STAGE_PERCENT,
    WORK_STAGES,
    Favorite,
    Referral,
    SalesStage,
    TeamMember,
)
from ..selectors import partner_match_for_inquiry
from ._common import (
    EDITABLE_FIELDS,
    SOURCE_FINDER,
    _deal_fields,
    _lock,
    _require_partner_member,
    _require_status,
    _stage_mark,
    _team_member_add,
    _text,
    _user_as_member,
    inquiry_declined,
)
from .expiry import referral_expire_if_overdue

# --- inbound: sending, matching, offering (E1, E13) --------------------------------------------------------------

@transaction.atomic
def referral_send(*, actor, partner_account, location=None, referral_type, customer_name, deal_type="", need="",
                  keywords=(), customer_city="", customer_country="", customer_size="", customer_industry="",
                  customer_duns="", contact_name="", contact_phone="", contact_email="", contact_requested=False,
                  sender_name="", sender_email="", estimated_value=None, received_at=None, inquiry=None,
                  contact_consent=False, source="") -> Referral:
    """Send an inbound referral to a partner: it arrives in Received (E1, E3).

    Vendor staff send any type; a partner user may pass a referral to another partner (not to their own).
    For a customer inquiry the sender is the customer (`sender_name`/`sender_email`, defaulting to the contact).
    `source=SOURCE_FINDER` (actor None): a customer's own inquiry from the public partner finder; the finder
    writes to the customer itself (confirmation; "choose another partner" once every match declined), so the
    referral keeps no sender address for the decline and expiry emails.
    The location is fixed here for good (E8); the partner's users scoped to it join the team so they see it (B7).
    """
    if actor is None:
        if source != SOURCE_FINDER or referral_type != Referral.Type.CUSTOMER_INQUIRY:
            raise NotPermitted(_("Only vendor staff or partners can send referrals."), code="forbidden")
    elif actor.is_partner:
        if actor.partner_account_id == partner_account.pk:
            raise InvalidTransition(_("A partner cannot send a referral to itself."), code="validation")
    elif not actor.is_vendor_staff:
        raise NotPermitted(_("Only vendor staff or partners can send referrals."),
                           code="forbidden")
    if not partner_account.is_partner:
        raise InvalidTransition(_("%(partner)s is not an enabled partner.") % {"partner": partner_account},
                                code="validation")
    if referral_type not in (Referral.Type.CUSTOMER_INQUIRY, Referral.Type.MARKETING_QUALIFIED,
                             Referral.Type.SALES_QUALIFIED):
        raise InvalidTransition(_("Choose a referral type."), code="validation")
    customer_name = _text(customer_name, _("Customer"), max_length=200)
    if location is None:
        location = _best_location(partner_account, city=customer_city, country=customer_country)
    elif location.partner_account_id != partner_account.pk:
        raise InvalidTransition(_("That location belongs to another partner."), code="validation")
    now = timezone.now()
    if referral_type == Referral.Type.CUSTOMER_INQUIRY:
        sender = None
        sender_name = sender_name or contact_name or customer_name
        sender_email = "" if source == SOURCE_FINDER else (sender_email or contact_email)
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
        contact_consent=bool(contact_consent),
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
    activity_record(target=referral, event=ReferralEvent.RECEIVED, actor=actor, partner_account=partner_account,
                    type=referral_type, location=str(location))
    access.record_created(record=referral)  # the sharing rules in force cover it too (A3)
    emails.email_referral_received(referral)
    return referral


def _best_location(partner_account, *, city="", country=""):
    locations = list(PartnerLocation.objects.filter(partner_account=partner_account))
    if not locations:
        raise InvalidTransition(_("%(partner)s has no location to receive referrals.") % {"partner": partner_account},
                                code="validation")
    for loc in locations:
        if city and loc.city.lower() == city.strip().lower():
            return loc
    for loc in locations:
        if country and loc.country.upper() == country.strip().upper():
            return loc
    return locations[0]


def _offer_candidates(actor, among):
    """The partners an offer may go to: vendor staff's own scope (a channel manager's "Best match" never picks
    another manager's partner); the system (actor None, the public finder) names its candidates."""
    from accounts.selectors import partner_account_list_visible_to

    if actor is None:
        if among is None:
            raise NotPermitted(_("Only vendor staff can offer referrals."), code="forbidden")
        return among
    scope = partner_account_list_visible_to(user=actor)
    return scope if among is None else scope.filter(pk__in=among.values("pk"))


@transaction.atomic
def referral_offer(*, actor, partner_account=None, location=None, among=None, **inquiry) -> Referral:
    """Offer an inbound referral (E13): to the chosen partner, or else to the best-matching one.

    One partner at a time: a referral has one location and one 14-day clock, and a customer inquiry names one
    partner to its customer. If no partner matches, vendor staff must choose one. Vendor staff offer to the
    partners they manage; the public finder (actor None, `source=SOURCE_FINDER`) to the candidates in `among`.
    """
    if actor is not None and not actor.is_vendor_staff:
        raise InvalidTransition(_("Only vendor staff can offer referrals."), code="forbidden")
    candidates = _offer_candidates(actor, among)
    if partner_account is not None and not candidates.filter(pk=partner_account.pk).exists():
        raise NotPermitted(_("You can only send referrals to the partners you manage."), code="forbidden")
    if partner_account is None:
        matches = partner_match_for_inquiry(
            keywords=inquiry.get("keywords", ()), need=inquiry.get("need", ""),
            company_size=inquiry.get("customer_size", ""), industry=inquiry.get("customer_industry", ""),
            city=inquiry.get("customer_city", ""), country=inquiry.get("customer_country", ""), limit=1,
            among=candidates,
        )
        if not matches:
            raise InvalidTransition(_("No partner's business profile matches this inquiry: choose a partner."),
                                    code="validation")
        partner_account, location = matches[0]["partner"], matches[0]["location"]
    return referral_send(actor=actor, partner_account=partner_account, location=location, **inquiry)


@transaction.atomic
def referral_offer_next(*, actor, referral, among=None, source="") -> Referral:
    """Offer a declined or expired inbound inquiry to the next best-matching partner not yet offered it (E13).

    Vendor staff offer among the partners they manage. The system path (actor None) is the public finder's
    automatic re-offer: `among` names the candidates (the listed partners), `source=SOURCE_FINDER`; the events
    are the same, without an actor. Refused while another partner still has the inquiry open.
    """
    if actor is not None and not access.referral_can_review(actor, referral):
        raise NotPermitted(_("Only the partner's channel manager or a vendor admin can offer it on."),
                           code="forbidden")
    candidates = _offer_candidates(actor, among)
    referral = _lock(referral)
    if referral.direction != Referral.Direction.INBOUND or referral.status not in (
            Referral.Status.DECLINED, Referral.Status.EXPIRED):
        raise InvalidTransition(_("Only a declined or expired inbound referral can be offered to another partner."),
                                code="state")
    siblings = Referral.objects.filter(inquiry=referral.inquiry)
    if siblings.filter(status__in=Referral.OPEN_STATUSES).exists():
        raise InvalidTransition(_("Another partner already has this inquiry."), code="state")
    offered = set(siblings.values_list("partner_account_id", flat=True))
    matches = partner_match_for_inquiry(
        keywords=referral.keywords, need=referral.need, company_size=referral.customer_size,
        industry=referral.customer_industry, city=referral.customer_city, country=referral.customer_country,
        limit=1, among=candidates, exclude=offered,
    )
    if not matches:
        raise InvalidTransition(_("No other partner's business profile matches this inquiry."), code="state")
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
        contact_consent=referral.contact_consent, source=source,
    )
    activity_record(target=referral, event=ReferralEvent.OFFERED_TO_NEXT, actor=actor,
                    partner_account=referral.partner_account, referral=new.pk)
    return new


# --- received: accept, decline (E3) ------------------------------------------------------------------------------

def _expires_first(service):
    """An action on an overdue referral first expires it (expiry.referral_expire_if_overdue), outside the action's
    own transaction so that the expiry stays when the action is then refused ("This referral is expired")."""

    @functools.wraps(service)
    def wrapper(*, referral, **kwargs):
        referral_expire_if_overdue(referral=referral)
        return service(referral=referral, **kwargs)

    return wrapper


@_expires_first
@transaction.atomic
def referral_accept(*, actor, referral, name, estimated_value, estimated_close_date, notes, crm_id="",
                    campaign_id="", team_members=(), expected_version=None) -> Referral:
    referral = _lock(referral)
    _require_partner_member(actor, referral)
    version_check(referral, expected_version)
    _require_status(referral, Referral.Status.RECEIVED, action=pgettext("referral action", "accepted"))
    name, estimated_value, estimated_close_date, notes = _deal_fields(
        name=name, estimated_value=estimated_value, estimated_close_date=estimated_close_date, notes=notes
    )
    now = timezone.now()
    referral.name = name
    referral.estimated_value = estimated_value
    referral.estimated_close_date = estimated_close_date
    referral.notes = notes
    referral.crm_id = _text(crm_id, _("CRM ID"), required=False, max_length=100)
    referral.campaign_id = _text(campaign_id, _("Campaign ID"), required=False, max_length=100)
    referral.status = Referral.Status.ACCEPTED
    referral.accepted_at = now
    referral.sales_stage = SalesStage.ACCEPTED
    version_bump(referral)
    referral.save(update_fields=[*EDITABLE_FIELDS, "status", "accepted_at", "sales_stage", "updated_at",
                                 "version"])
    _stage_mark(referral, SalesStage.ACCEPTED, actor, now)
    _user_as_member(referral, actor)
    for member in team_members:
        if (member.get("name") or "").strip():
            _team_member_add(referral, **member)
    activity_record(target=referral, event=ReferralEvent.ACCEPTED, actor=actor,
                    partner_account=referral.partner_account, changes={"status": ["received", "accepted"]})
    return referral


@_expires_first
@transaction.atomic
def referral_decline(*, actor, referral, reason, notes="", expected_version=None) -> Referral:
    referral = _lock(referral)
    _require_partner_member(actor, referral)
    version_check(referral, expected_version)
    _require_status(referral, Referral.Status.RECEIVED, action=pgettext("referral action", "declined"))
    if reason not in Referral.DeclineReason.values:
        raise InvalidTransition(_("Choose a reason for declining."), code="validation")
    referral.status = Referral.Status.DECLINED
    referral.decline_reason = reason
    referral.close_notes = (notes or "").strip()
    referral.closed_at = timezone.now()
    version_bump(referral)
    referral.save(update_fields=["status", "decline_reason", "close_notes", "closed_at", "updated_at", "version"])
    activity_record(target=referral, event=ReferralEvent.DECLINED, actor=actor,
                    partner_account=referral.partner_account, reason=reason,
                    changes={"status": ["received", "declined"]})
    emails.email_referral_declined(referral)
    inquiry_declined(referral)  # the public finder offers its customers' inquiries on (same transaction)
    return referral


# --- accepted: edit, team, stages, won, lost (E6, E10) -----------------------------------------------------------

@transaction.atomic
def referral_update(*, actor, referral, expected_version=None, **fields) -> Referral:
    """Edit the deal of an accepted referral. Location, type and solutions never change."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidTransition(_("These fields cannot be edited: %(fields)s.")
                                % {"fields": ", ".join(sorted(unknown))},
                                code="validation")
    referral = _lock(referral)
    _require_partner_member(actor, referral)
    version_check(referral, expected_version)
    _require_status(referral, Referral.Status.ACCEPTED, action=pgettext("referral action", "edited"))
    merged = {f: fields.get(f, getattr(referral, f)) for f in EDITABLE_FIELDS}
    name, value, close_date, notes = _deal_fields(
        name=merged["name"], estimated_value=merged["estimated_value"],
        estimated_close_date=merged["estimated_close_date"], notes=merged["notes"],
    )
    new = {"name": name, "estimated_value": value, "estimated_close_date": close_date, "notes": notes,
           "crm_id": _text(merged["crm_id"], _("CRM ID"), required=False, max_length=100),
           "campaign_id": _text(merged["campaign_id"], _("Campaign ID"), required=False, max_length=100)}
    changes = {}
    for field, value in new.items():
        old = getattr(referral, field)
        if old != value:
            changes[field] = [str(old) if old is not None else None, str(value) if value is not None else None]
            setattr(referral, field, value)
    if changes:
        version_bump(referral)
        referral.save(update_fields=[*changes, "updated_at", "version"])
        activity_record(target=referral, event=ReferralEvent.EDITED, actor=actor,
                        partner_account=referral.partner_account, changes=changes)
    return referral


@transaction.atomic
def referral_team_member_add(*, actor, referral, name, phone, email) -> TeamMember:
    referral = _lock(referral)
    _require_partner_member(actor, referral)
    _require_status(referral, *Referral.OPEN_STATUSES, action=pgettext("referral action", "changed"))
    member = _team_member_add(referral, name=name, phone=phone, email=email, require_all=True)
    if member is None:
        raise InvalidTransition(_("That person is already on the team."), code="validation")
    activity_record(target=referral, event=ReferralEvent.TEAM_MEMBER_ADDED, actor=actor,
                    partner_account=referral.partner_account, name=member.name, email=member.email)
    return member


def stage_from_input(value) -> str:
    """Accept a stage key ('data_collection'), its name ('Data collection') or its percentage for work stages."""
    text = str(value or "").strip()
    for stage in SalesStage:
        if text.lower() in (stage.value, str(stage.label).lower()):
            return stage.value
    raise InvalidTransition(
        _("Unknown sales stage %(stage)s. Use one of: %(stages)s.")
        % {"stage": repr(text), "stages": ", ".join(s.value for s in SalesStage)}, code="validation"
    )


@transaction.atomic
def referral_stage_mark(*, actor, referral, stage, expected_version=None) -> Referral:
    """Mark the next sales stage done (E10). Stages are marked in order; Won is marked by `referral_win`."""
    stage = stage_from_input(stage)
    referral = _lock(referral)
    _require_partner_member(actor, referral)
    version_check(referral, expected_version)
    _require_status(referral, Referral.Status.ACCEPTED, action=pgettext("referral action", "moved to another stage"))
    if stage not in WORK_STAGES:
        raise InvalidTransition(_("Only the working stages are marked here; use Won or Lost to close the deal."),
                                code="validation")
    marked = set(referral.stage_marks.values_list("stage", flat=True))
    if stage in marked:
        raise InvalidTransition(_("%(stage)s is already marked done.") % {"stage": SalesStage(stage).label},
                                code="state")
    for earlier in WORK_STAGES[: WORK_STAGES.index(stage)]:
        if earlier not in marked:
            raise InvalidTransition(_("Mark %(stage)s done first.") % {"stage": SalesStage(earlier).label},
                                    code="state")
    old = referral.sales_stage
    _stage_mark(referral, stage, actor, timezone.now())
    referral.sales_stage = stage
    version_bump(referral)
    referral.save(update_fields=["sales_stage", "updated_at", "version"])
    activity_record(target=referral, event=ReferralEvent.STAGE_MARKED, actor=actor,
                    partner_account=referral.partner_account, percent=SALES_STAGE_PERCENT[stage],
                    changes={"sales stage": [old, stage]})
    return referral


def referral_can_win(referral) -> bool:
    if referral.status != Referral.Status.ACCEPTED:
        return False
    if not referral.is_solution_assessment:
        return True
    marked = set(referral.stage_marks.values_list("stage", flat=True))
    return all(stage in marked for stage in WORK_STAGES)


@transaction.atomic
def referral_win(*, actor, referral, expected_version=None) -> Referral:
    referral = _lock(referral)
    _require_partner_member(actor, referral)
    version_check(referral, expected_version)
    _require_status(referral, Referral.Status.ACCEPTED, action=pgettext("referral action", "marked won"))
    if not referral_can_win(referral):
        raise InvalidTransition(_("A solution assessment can be won only after every sales stage is marked done."),
                                code="state")
    now = timezone.now()
    old = referral.sales_stage
    referral.status = Referral.Status.WON
    referral.sales_stage = SalesStage.WON
    referral.closed_at = now
    version_bump(referral)
    referral.save(update_fields=["status", "sales_stage", "closed_at", "updated_at", "version"])
    _stage_mark(referral, SalesStage.WON, actor, now)
    activity_record(target=referral, event=ReferralEvent.WON, actor=actor, partner_account=referral.partner_account,
                    changes={"status": ["accepted", "won"], "sales stage": [old, "won"]})
    if referral.direction == Referral.Direction.INBOUND:
        emails.email_referral_closed(referral)
    return referral


@transaction.atomic
def referral_lose(*, actor, referral, reason, expected_version=None) -> Referral:
    referral = _lock(referral)
    _require_partner_member(actor, referral)
    version_check(referral, expected_version)
    _require_status(referral, Referral.Status.ACCEPTED, action=pgettext("referral action", "marked lost"))
    reason = _text(reason, _("A reason"), max_length=200)
    referral.status = Referral.Status.LOST
    referral.lost_reason = reason
    referral.closed_at = timezone.now()
    version_bump(referral)
    referral.save(update_fields=["status", "lost_reason", "closed_at", "updated_at", "version"])
    activity_record(target=referral, event=ReferralEvent.LOST, actor=actor, partner_account=referral.partner_account,
                    reason=reason, changes={"status": ["accepted", "lost"]})
    if referral.direction == Referral.Direction.INBOUND:
        emails.email_referral_closed(referral)
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
