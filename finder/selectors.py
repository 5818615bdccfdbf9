"""Reads of the public partner finder. Only listed partners exist here, and only what they chose to publish leaves
this module: a public card (name, logo, public description, keywords, preferences, the cities of their locations),
never an internal field, a score or another partner's data."""

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404

from accounts.models import PartnerAccount, PartnerLocation
from referrals.models import Referral
from referrals.selectors import partner_match_for_inquiry

RESULTS_LIMIT = 30


def finder_partner_list() -> QuerySet[PartnerAccount]:
    """The partners the finder shows and offers inquiries to: enabled, listed by their business profile, with a
    public address and at least one location to receive referrals at."""
    return (
        PartnerAccount.objects.filter(is_partner=True, profile__listed=True, profile__public_slug__isnull=False)
        .filter(Exists(PartnerLocation.objects.filter(partner_account=OuterRef("pk"))))
        .select_related("profile")
    )


def finder_partner_get(*, slug) -> PartnerAccount:
    """A listed partner by its public address; anything else (unlisted, disabled, unknown) is 404 alike."""
    try:
        return finder_partner_list().prefetch_related("locations").get(profile__public_slug=str(slug)[:80])
    except PartnerAccount.DoesNotExist:
        raise Http404("No such partner.")


def finder_country_codes() -> list[str]:
    """The countries listed partners have a location in (what the country choices offer)."""
    return sorted(
        code.upper() for code in PartnerLocation.objects.filter(partner_account__in=finder_partner_list())
        .exclude(country="").values_list("country", flat=True).distinct()
    )


def partner_card(partner) -> dict:
    """What the finder may show of a listed partner."""
    profile = partner.profile
    sizes = dict(Referral.CompanySize.choices)
    places = []
    for location in partner.locations.all():
        place = ", ".join(part for part in (location.city, location.country.upper()) if part)
        if place and place not in places:
            places.append(place)
    return {
        "name": partner.name,
        "slug": profile.public_slug,
        "logo_url": partner.logo_url if partner.logo_url.startswith(("https://", "/")) else "",
        "description": profile.public_description,
        "keywords": list(profile.keywords or []),
        "industries": list(profile.industries or []),
        "sizes": [sizes[s] for s in (profile.company_sizes or []) if s in sizes],
        "places": places,
    }


def finder_search(*, words="", city="", country="", industry="", company_size="", limit=RESULTS_LIMIT) -> list[dict]:
    """Listed partners for a customer's search, as public cards: ranked by the vendor's own matching (E13) when
    the customer gave anything to match on, else all of them by name."""
    partners = finder_partner_list()
    if not any((words, city, country, industry, company_size)):
        return [partner_card(p) for p in partners.prefetch_related("locations").order_by("name")[:limit]]
    matches = partner_match_for_inquiry(need=words, city=city, country=country, industry=industry,
                                        company_size=company_size, among=partners, limit=limit)
    return [partner_card(match["partner"]) for match in matches]
