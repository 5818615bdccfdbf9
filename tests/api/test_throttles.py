"""Issue 10, API throttles: per token for token clients (another token of the same person has its own count), per
user for sessions; 429 with Retry-After; a cache outage lets requests through rather than failing them."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from prm_portal.core.apitokens import api_token_create

pytestmark = pytest.mark.django_db

LIST = "/api/referrals/"
DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1
OUR_REDIS = "redis://127.0.0.1:6379/10"


@pytest.fixture
def low_rates(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"burst": "3/min", "user": "1000/hour", "anon": "3/min"}}
    cache.clear()
    yield
    cache.clear()


def _token_client(user, name="CRM sync"):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_create(actor=user, name=name)[1]}")
    return client


def test_a_token_past_its_rate_gets_429_with_retry_after_and_another_token_goes_on(low_rates, partner_a_user):
    crm, script = _token_client(partner_a_user), _token_client(partner_a_user, name="Script")
    assert [crm.get(LIST).status_code for _ in range(3)] == [200, 200, 200]
    refused = crm.get(LIST)
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert refused.json()["code"] == "throttled"
    assert script.get(LIST).status_code == 200  # counted per token


def test_a_session_is_counted_per_user(low_rates, partner_a_user, partner_a_admin):
    rep, admin = APIClient(), APIClient()
    rep.force_login(partner_a_user)
    admin.force_login(partner_a_admin)
    assert [rep.get(LIST).status_code for _ in range(4)] == [200, 200, 200, 429]
    assert admin.get(LIST).status_code == 200


def test_throttles_count_in_redis_through_the_safe_cache(low_rates, settings, partner_a_user):
    settings.CACHES = {"default": {"BACKEND": "prm_portal.core.cache.SafeRedisCache", "LOCATION": OUR_REDIS}}
    cache.clear()
    client = _token_client(partner_a_user)
    assert [client.get(LIST).status_code for _ in range(4)] == [200, 200, 200, 429]
    cache.clear()


def test_with_the_cache_down_the_api_answers_unthrottled_not_500(low_rates, settings, partner_a_user):
    settings.CACHES = {"default": {"BACKEND": "prm_portal.core.cache.SafeRedisCache", "LOCATION": DEAD_REDIS,
                                   "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}}}
    client = _token_client(partner_a_user)
    assert {client.get(LIST).status_code for _ in range(5)} == {200}
