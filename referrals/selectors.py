"""Reads for referrals. Scoping happens in the database query (B7, E8, G2)."""

import re
import unicodedata

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
    """The referral as the user may see it. One left in Received past its expiry period is expired first (with its
    event and email, as the beat's run would): nobody reads "answer within 0 minutes" or accepts it late."""
    try:
        referral = referral_list_visible_to(user=user).select_related("sender", "created_by").get(pk=pk)
    except (Referral.DoesNotExist, ValueError, TypeError):
        raise Http404("No such referral.")
    from .services.expiry import referral_expire_if_overdue  # the services import this module

    if referral_expire_if_overdue(referral=referral):
        referral.refresh_from_db()
    return referral


def referral_list_for_tab(*, user, tab="marketplace", deal_type="", status="", location="", date_from=None,
                          date_to=None, q=""):
    """One tab of the Referrals page (E2) with its filters, newest first, with `is_favorite` per row. Overdue
    referrals among the user's are expired first, so no list shows one as still waiting."""
    from .services.expiry import referrals_expire_overdue_among  # the services import this module

    qs = referral_list_visible_to(user=user)
    referrals_expire_overdue_among(qs)
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
        .distinct()[: limit * 5]
    )
    return _customers_once(rows)[:limit]


def _customers_once(rows) -> list[dict]:
    """One suggestion per customer: the same name in the same country is one customer unless their DUNS numbers
    differ; the row that knows the DUNS number (and the city) is the one kept. Each row gets `where`: its DUNS
    number, city and country joined without empty parts ("DUNS 123456789 · Brno, CZ")."""
    best = {}
    for row in rows:
        key = (row["customer_name"].strip().lower(), (row["customer_country"] or "").upper())
        known = best.setdefault(key, [])
        same = next((r for r in known if not r["customer_duns"] or not row["customer_duns"]
                     or r["customer_duns"] == row["customer_duns"]), None)
        if same is None:
            known.append(dict(row))
        elif (bool(row["customer_duns"]), bool(row["customer_city"])) > (bool(same["customer_duns"]),
                                                                          bool(same["customer_city"])):
            same.update(row)
    out = []
    for rows_of_name in best.values():
        for row in sorted(rows_of_name, key=lambda r: (not r["customer_duns"], r["customer_duns"])):
            place = ", ".join(p for p in (row["customer_city"], row["customer_country"]) if p)
            duns = f"DUNS {row['customer_duns']}" if row["customer_duns"] else ""
            row["where"] = " · ".join(p for p in (duns, place) if p)
            out.append(row)
    return sorted(out, key=lambda r: (r["customer_name"].lower(), not r["customer_duns"]))


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

KEYWORD_POINTS = 3  # a profile keyword found in the inquiry as written (a phrase: its words together, in order)
KEYWORD_WORDS_POINTS = 2  # every word of a multi-word keyword found in the inquiry, but apart or in another order
SIZE_POINTS, INDUSTRY_POINTS, CITY_POINTS, COUNTRY_POINTS = 2, 2, 2, 1
_TERM = re.compile(r"[^\W_]+", re.UNICODE)  # letters and digits; spaces, hyphens and punctuation separate words
# Letters NFKD does not take apart into a base letter and an accent.
_UNACCENT = str.maketrans({"ł": "l", "Ł": "l", "đ": "d", "Đ": "d", "ø": "o", "Ø": "o", "ß": "ss", "æ": "ae",
                           "œ": "oe"})


def _singular(word: str) -> str:
    """A simple English plural made singular ("migrations" -> "migration", "companies" -> "company"); words
    ending in ss, us or is ("business", "campus", "analysis") and short words stay as they are."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def match_terms(text) -> tuple[str, ...]:
    """The words of `text` as matching compares them: case-folded, without accents, simple plurals singular."""
    plain = unicodedata.normalize("NFKD", str(text or "").translate(_UNACCENT))
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).casefold()
    return tuple(_singular(word) for word in _TERM.findall(plain))


def _has_phrase(terms: tuple, phrase: tuple) -> bool:
    size = len(phrase)
    return any(terms[i:i + size] == phrase for i in range(len(terms) - size + 1))


def _keyword_match(phrase: tuple, texts: list[tuple], words: set) -> str:
    """'phrase' when a text of the inquiry holds the keyword's words together and in order, 'words' when it holds
    all the words of a multi-word keyword elsewhere, '' otherwise."""
    if any(_has_phrase(terms, phrase) for terms in texts):
        return "phrase"
    if len(phrase) > 1 and set(phrase) <= words:
        return "words"
    return ""


def partner_match_for_inquiry(*, keywords=(), need="", company_size="", industry="", city="", country="",
                              limit=10, among=None, exclude=()) -> list[dict]:
    """Partners an inquiry suits, best match first (E13), each with why it ranks where it does.

    Profile keywords are matched as phrases and words against the inquiry's keywords and its need, both
    normalised (case, accents, simple plurals): 3 points per keyword found as a phrase ("cloud migration" in "we
    need a cloud migration"), 2 when all its words appear but apart. Then 2 points for a preferred company size,
    2 for a preferred industry, 2 for an office in the customer's city, else 1 for one in its country. Only
    enabled partners with at least one location and a positive score are offered. Ties go to the partner with
    the fewest open received referrals (spreads the load), then by name.

    `among` limits the candidates (a queryset of partner accounts: the partners a channel manager manages, or the
    listed ones for the public finder); `exclude` leaves out partner ids (those already offered the inquiry).
    Each result: partner, location (the office nearest the customer), score, open_received, `explanation` (a list
    of {"kind": keyword|size|industry|city|country, "value", "how": phrase|words|"", "points"}) and `reasons`
    (the matched values, in the same order).
    """
    texts = [match_terms(k) for k in ([keywords] if isinstance(keywords, str) else keywords or ())]
    texts.append(match_terms(need))
    texts = [t for t in texts if t]
    words = {w for terms in texts for w in terms}
    industry_terms = match_terms(industry)
    city_terms = match_terms(city)
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
        explanation = []
        if profile is not None:
            seen = set()
            for keyword in profile.keywords or []:
                phrase = match_terms(keyword) if isinstance(keyword, str) else ()
                if not phrase or phrase in seen:
                    continue
                seen.add(phrase)
                how = _keyword_match(phrase, texts, words)
                if how:
                    explanation.append({"kind": "keyword", "value": keyword, "how": how,
                                        "points": KEYWORD_POINTS if how == "phrase" else KEYWORD_WORDS_POINTS})
            if company_size and company_size in (profile.company_sizes or []):
                size_label = dict(Referral.CompanySize.choices).get(company_size, company_size)
                explanation.append({"kind": "size", "value": str(size_label), "how": "", "points": SIZE_POINTS})
            if industry_terms:
                for preferred in profile.industries or []:
                    preferred_terms = match_terms(preferred)
                    if preferred_terms and _has_phrase(industry_terms, preferred_terms):
                        explanation.append({"kind": "industry", "value": preferred, "how": "",
                                            "points": INDUSTRY_POINTS})
                        break
        locations = list(partner.locations.all())
        best_location = locations[0]
        in_city = [loc for loc in locations if city_terms and match_terms(loc.city) == city_terms]
        in_country = [loc for loc in locations if country_u and loc.country.upper() == country_u]
        if in_city:
            best_location = in_city[0]
            explanation.append({"kind": "city", "value": best_location.city, "how": "", "points": CITY_POINTS})
        elif in_country:
            best_location = in_country[0]
            explanation.append({"kind": "country", "value": country_u, "how": "", "points": COUNTRY_POINTS})
        score = sum(item["points"] for item in explanation)
        if score > 0:
            results.append({"partner": partner, "location": best_location, "score": score,
                            "explanation": explanation, "reasons": [item["value"] for item in explanation],
                            "open_received": open_load.get(partner.pk, 0)})
    results.sort(key=lambda r: (-r["score"], r["open_received"], r["partner"].name))
    return results[:limit] if limit else results


def user_is_partner_member(*, user, partner_account_id) -> bool:
    return user.is_partner and user.partner_account_id == partner_account_id


def partner_user_by_email(*, partner_account_id, email):
    if not email:
        return None
    return User.objects.filter(partner_account_id=partner_account_id, email__iexact=email.strip()).first()
