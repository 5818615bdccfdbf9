"""Reads for referrals. Scoping happens in the database query (B7, E8, G2)."""

import re

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404

from accounts import access
from accounts.models import BusinessProfile, PartnerAccount, User

from .models import DealRegistration, Favorite, Referral, TeamMember

TABS = ("marketplace", "qualified", "favorites", "outbound", "closed")


def referral_list_visible_to(*, user) -> QuerySet[Referral]:
    """Referrals the access policy lets `user` see (B7, E8): their partner's (a location-scoped user: their
    location's, on whose team they are), those shared with them; vendor staff those of the partners they manage."""
    return Referral.objects.select_related("partner_account", "location").filter(access.referral_visible_q(user))


def referral_get_for_user(*, user, pk) -> Referral:
    try:
        return referral_list_visible_to(user=user).select_related("sender", "created_by").get(pk=pk)
    except (Referral.DoesNotExist, ValueError, TypeError):
        raise Http404("No such referral.")


def referral_list_for_tab(*, user, tab="marketplace", deal_type="", status="", location="", date_from=None,
                          date_to=None, q=""):
    """One tab of the Referrals page (E2) with its filters, newest first, with `is_favorite` per row."""
    qs = referral_list_visible_to(user=user)
    open_statuses = list(Referral.OPEN_STATUSES)
    if tab == "marketplace":
        qs = qs.filter(direction=Referral.Direction.INBOUND, referral_type=Referral.Type.CUSTOMER_INQUIRY,
                       status__in=open_statuses)
    elif tab == "qualified":
        qs = qs.filter(
            direction=Referral.Direction.INBOUND,
            referral_type__in=[Referral.Type.MARKETING_QUALIFIED, Referral.Type.SALES_QUALIFIED],
            status__in=open_statuses,
        )
    elif tab == "favorites":
        qs = qs.filter(Exists(Favorite.objects.filter(referral=OuterRef("pk"), user=user)))
    elif tab == "outbound":
        qs = qs.filter(direction=Referral.Direction.OUTBOUND, status__in=open_statuses)
    elif tab == "closed":
        qs = qs.filter(status__in=list(Referral.CLOSED_STATUSES))
    if deal_type:
        qs = qs.filter(deal_type=deal_type)
    if status:
        qs = qs.filter(status=status)
    if location:
        qs = qs.filter(location_id=location)
    if date_from:
        qs = qs.filter(received_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(received_at__date__lte=date_to)
    if q:
        qs = qs.filter(Q(customer_name__icontains=q) | Q(name__icontains=q))
    if user.is_authenticated:
        qs = qs.annotate(is_favorite=Exists(Favorite.objects.filter(referral=OuterRef("pk"), user=user)))
    return qs.order_by("-received_at", "-id")


def referral_tab_counts(*, user) -> dict:
    return {tab: referral_list_for_tab(user=user, tab=tab).count() for tab in TABS}


def referral_is_favorite(*, user, referral) -> bool:
    return Favorite.objects.filter(user=user, referral=referral).exists()


def customer_suggestions_for(*, user, q="", country="", limit=10) -> list[dict]:
    """Customers seen on the user's referrals, for the outbound form's name suggestions (E9)."""
    qs = referral_list_visible_to(user=user).exclude(customer_name="")
    if q:
        qs = qs.filter(customer_name__icontains=q)
    if country:
        qs = qs.filter(customer_country__iexact=country)
    rows = (
        qs.values("customer_name", "customer_duns", "customer_city", "customer_country")
        .order_by("customer_name", "customer_duns", "customer_city", "customer_country")
        .distinct()[:limit]
    )
    return list(rows)


def team_member_recent_for(*, user, limit=6) -> list[dict]:
    """People recently on the user's deals, offered as quick picks in the New deal form (seed 004)."""
    seen, out = set(), []
    rows = (
        TeamMember.objects.filter(referral__in=referral_list_visible_to(user=user))
        .exclude(email="").exclude(phone="")
        .order_by("-added_at")
        .values("name", "phone", "email")[: limit * 5]
    )
    for row in rows:
        if row["email"].lower() not in seen:
            seen.add(row["email"].lower())
            out.append(row)
    return out[:limit]


def deal_registration_list_to_review(*, user) -> QuerySet[DealRegistration]:
    """Registrations waiting for vendor staff (E11): the vendor admin sees all, a channel manager their partners'."""
    qs = DealRegistration.objects.select_related("referral", "referral__partner_account", "submitted_by")
    if not access.is_vendor_staff(user):
        return qs.none()
    return qs.filter(access.staff_scope_q(user, field="referral__partner_account")).order_by("status", "-submitted_at")


# --- Matching (E13) ---------------------------------------------------------------------------------------------

WORD = re.compile(r"[\w-]+", re.UNICODE)
KEYWORD_POINTS, SIZE_POINTS, INDUSTRY_POINTS, CITY_POINTS, COUNTRY_POINTS = 3, 2, 2, 2, 1


def _words(*texts) -> set[str]:
    found = set()
    for text in texts:
        if isinstance(text, list | tuple | set):
            found |= _words(*text)
        elif text:
            found |= {w.lower() for w in WORD.findall(str(text))}
    return found


def partner_match_for_inquiry(*, keywords=(), need="", company_size="", industry="", city="", country="",
                              limit=10, among=None, exclude=()) -> list[dict]:
    """Partners an inquiry suits, best match first (E13).

    Score: 3 points per profile keyword found in the inquiry's keywords or text, 2 for a preferred company size,
    2 for a preferred industry, 2 for an office in the customer's city, else 1 for an office in its country.
    Only enabled partners with at least one location and a positive score are offered. Ties go to the partner
    with the fewest open received referrals (spreads the load), then by name. `among` limits the candidates
    (a queryset of partner accounts), `exclude` leaves out partner ids (those already offered the inquiry).
    """
    wanted = _words(keywords, need)
    industry_l = (industry or "").strip().lower()
    city_l = (city or "").strip().lower()
    country_u = (country or "").strip().upper()
    partners = (
        (among if among is not None else PartnerAccount.objects.all())
        .filter(is_partner=True, locations__isnull=False)
        .exclude(pk__in=list(exclude))
        .distinct()
        .prefetch_related("locations")
    )
    profiles = {p.partner_account_id: p for p in BusinessProfile.objects.filter(partner_account__in=partners)}
    open_load = dict(
        Referral.objects.filter(status=Referral.Status.RECEIVED, partner_account__in=partners)
        .values_list("partner_account")
        .annotate(n=Count("id"))
    )
    results = []
    for partner in partners:
        profile = profiles.get(partner.pk)
        score, reasons = 0, []
        if profile is not None:
            hits = sorted({k.lower() for k in profile.keywords if isinstance(k, str)} & wanted)
            if hits:
                score += KEYWORD_POINTS * len(hits)
                reasons.append(", ".join(hits))
            if company_size and company_size in (profile.company_sizes or []):
                score += SIZE_POINTS
                reasons.append(f"size {company_size}")
            if industry_l and industry_l in {str(i).lower() for i in (profile.industries or [])}:
                score += INDUSTRY_POINTS
                reasons.append(industry)
        locations = list(partner.locations.all())
        best_location = locations[0]
        if city_l and any(loc.city.lower() == city_l for loc in locations):
            best_location = next(loc for loc in locations if loc.city.lower() == city_l)
            score += CITY_POINTS
            reasons.append(best_location.city)
        elif country_u and any(loc.country.upper() == country_u for loc in locations):
            best_location = next(loc for loc in locations if loc.country.upper() == country_u)
            score += COUNTRY_POINTS
            reasons.append(country_u)
        if score > 0:
            results.append({"partner": partner, "location": best_location, "score": score, "reasons": reasons,
                            "open_received": open_load.get(partner.pk, 0)})
    results.sort(key=lambda r: (-r["score"], r["open_received"], r["partner"].name))
    return results[:limit]


def user_is_partner_member(*, user, partner_account_id) -> bool:
    return user.is_partner and user.partner_account_id == partner_account_id


def partner_user_by_email(*, partner_account_id, email):
    if not email:
        return None
    return User.objects.filter(partner_account_id=partner_account_id, email__iexact=email.strip()).first()
