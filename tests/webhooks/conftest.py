import pytest
from django.core.cache import cache

from webhooks.services import SUBSCRIBED_CACHE_KEY


@pytest.fixture(autouse=True)
def forget_subscriptions():
    """A test's endpoints roll back with it; so must the cached list of the event types they chose."""
    cache.delete(SUBSCRIBED_CACHE_KEY)
    yield
    cache.delete(SUBSCRIBED_CACHE_KEY)
