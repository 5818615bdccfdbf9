import pytest

from tests.factories import PartnerUserFactory

from .factories import location_for


@pytest.fixture
def prague(partner_a):
    return location_for(partner_a, "Prague HQ", "Prague", "CZ")


@pytest.fixture
def brno(partner_a):
    return location_for(partner_a, "Brno", "Brno", "CZ")


@pytest.fixture
def brno_user(partner_a, brno):
    """A partner user of A scoped to the Brno location (B7)."""
    return PartnerUserFactory(email="eva@alpha.example", first_name="Eva", last_name="Brno",
                              partner_account=partner_a, location=brno)
