import pytest

from leads.models import ClaimLimitSettings
from tests.factories import LeadFactory, QueueFactory


@pytest.fixture
def queue(partner_a, partner_b):
    """A queue both partners belong to (through their accounts)."""
    return QueueFactory(name="EMEA Inbound", accounts=[partner_a, partner_b])


@pytest.fixture
def queue_lead(queue):
    return LeadFactory(company="Kovo Hradec", queue=queue)


@pytest.fixture
def limits(db):
    def _set(per_user=5, per_partner=25):
        ClaimLimitSettings.objects.update_or_create(
            id=1, defaults={"max_open_per_user": per_user, "max_open_per_partner": per_partner}
        )

    return _set
