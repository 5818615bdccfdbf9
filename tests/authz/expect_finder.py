"""The public partner finder × the cast: every visitor, signed in or not, gets the same pages (200). A listed
partner's page is public; an unlisted one answers 404 to everyone alike (tests/finder/test_views.py walks the cast
for that one)."""

from .matrix import Expect


def listed_partner_a(cast):
    from accounts.models import BusinessProfile, PartnerLocation

    PartnerLocation.objects.get_or_create(partner_account=cast.partner_a, name="Prague HQ",
                                          defaults={"city": "Prague", "country": "CZ"})
    BusinessProfile.objects.update_or_create(
        partner_account=cast.partner_a,
        defaults={"listed": True, "public_slug": "alpha-partners", "keywords": ["cloud migration"]},
    )
    return {"slug": "alpha-partners"}


EXPECTATIONS = {
    "finder:search": Expect({}, default=200, query="q=cloud+migration&city=Prague"),
    "finder:partner": Expect({}, default=200, kwargs=listed_partner_a),
    "finder:inquiry": Expect({}, default=200, query="q=cloud+migration"),
    "finder:thanks": Expect({}, default=200),
}
