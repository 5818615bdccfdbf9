import pytest

from accounts.models import BusinessProfile, PartnerLocation


def list_partner(partner, *, slug, keywords=(), city="Prague", country="CZ", location_name=None, sizes=(),
                 industries=(), description="", listed=True):
    """Give `partner` a location and a business profile listed in the finder (or not)."""
    location, _ = PartnerLocation.objects.get_or_create(
        partner_account=partner, name=location_name or f"{city} office",
        defaults={"city": city, "country": country, "phone": "+420 111 222 333", "email": f"office@{slug}.example",
                  "contact_name": "Internal Contact"})
    BusinessProfile.objects.update_or_create(partner_account=partner, defaults={
        "listed": listed, "public_slug": slug, "keywords": list(keywords), "company_sizes": list(sizes),
        "industries": list(industries), "public_description": description,
        "description": "INTERNAL NOTE: margin 12 percent"})
    return location


@pytest.fixture
def finder_world(cast, settings):
    """Partner A (Prague) and partner B (Brno) listed for cloud migration; partner C matches better but is not
    listed. The form may be sent at once (no minimum time) in these tests."""
    from tests.factories import PartnerAccountFactory

    settings.FINDER_FORM_MIN_SECONDS = 0
    a = list_partner(cast.partner_a, slug="alpha-partners", keywords=["cloud migration", "erp"],
                     description="Cloud migrations for Czech manufacturers.")
    b = list_partner(cast.partner_b, slug="beta-resellers", keywords=["cloud migration"], city="Brno")
    hidden = PartnerAccountFactory(name="Hidden Experts", owner=cast.channel_manager)
    list_partner(hidden, slug="hidden-experts", keywords=["cloud migration", "erp", "data platform"],
                 listed=False)
    return {"a_location": a, "b_location": b, "hidden": hidden}
