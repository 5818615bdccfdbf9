import pytest

from opportunities.models import Stage
from opportunities.services import opportunity_create


@pytest.fixture
def stages(db):
    return {s.name: s for s in Stage.objects.all()}


@pytest.fixture
def make_opportunity(db):
    """Create an opportunity through the service, as a partner would."""

    def _make(owner, name="Deal", customer="Kovo Hradec", **kwargs):
        return opportunity_create(actor=owner, name=name, partner_account=owner.partner_account, owner=owner,
                                  customer_name=customer, **kwargs)

    return _make


@pytest.fixture
def opp_a(cast, make_opportunity):
    """Partner A's deal, owned by partner A's rep."""
    return make_opportunity(cast.partner_a_user, name="Alpha ERP rollout", amount=25000)


@pytest.fixture(autouse=True)
def _fresh_dashboard_cache():
    """The test cache outlives a test's database rollback: start every test without cached dashboards."""
    from django.core.cache import cache

    cache.clear()
