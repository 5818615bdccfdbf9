"""Issue 10, API tokens: hashed at rest, one per client, expiring, used through `Authorization: Bearer`, refused when
expired, revoked or of a deactivated person, made and revoked on the person's own page, revoked by vendor admins in
the admin; each creation and revocation is on record."""

import hashlib
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from prm_portal.core.apitokens import MAX_ACTIVE_TOKENS, api_token_create, api_token_revoke
from prm_portal.core.errors import InvalidTransition, NotPermitted
from prm_portal.core.events import ApiTokenEvent, event_sentence
from prm_portal.core.models import ActivityEvent, ApiToken

pytestmark = pytest.mark.django_db

LIST = "/api/referrals/"


def _client(secret, keyword="Bearer"):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {secret}")
    return client


# --- the tokens ------------------------------------------------------------------------------------------------


def test_a_token_keeps_only_a_hash_of_its_secret_and_expires_in_90_days_by_default(partner_a_user):
    token, secret = api_token_create(actor=partner_a_user, name="CRM sync")
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in {stored.key_hash, stored.prefix, stored.name}
    assert secret.startswith(stored.prefix) and len(stored.prefix) < len(secret) // 3
    assert abs((stored.expires_at - timezone.now()) - timedelta(days=90)) < timedelta(minutes=1)
    assert stored.user == partner_a_user and stored.name == "CRM sync"


@pytest.mark.parametrize("days", [30, 365])
def test_a_token_may_work_for_30_or_365_days(partner_a_user, days):
    token, _secret = api_token_create(actor=partner_a_user, name="Script", lifetime_days=days)
    assert abs((token.expires_at - timezone.now()) - timedelta(days=days)) < timedelta(minutes=1)


@pytest.mark.parametrize(("name", "days"), [("", 90), ("   ", 90), ("x" * 101, 90), ("Script", 7), ("Script", "x")])
def test_a_token_without_a_name_or_with_another_lifetime_is_refused(partner_a_user, name, days):
    with pytest.raises(InvalidTransition):
        api_token_create(actor=partner_a_user, name=name, lifetime_days=days)
    assert not ApiToken.objects.exists()


def test_a_person_holds_a_bounded_number_of_working_tokens(partner_a_user):
    for n in range(MAX_ACTIVE_TOKENS):
        api_token_create(actor=partner_a_user, name=f"Client {n}")
    with pytest.raises(InvalidTransition):
        api_token_create(actor=partner_a_user, name="One too many")
    api_token_revoke(actor=partner_a_user, token=ApiToken.objects.first())
    api_token_create(actor=partner_a_user, name="In place of a revoked one")


def test_creating_and_revoking_a_token_is_recorded(partner_a_user):
    token, _secret = api_token_create(actor=partner_a_user, name="CRM sync")
    api_token_revoke(actor=partner_a_user, token=token)
    events = ActivityEvent.objects.filter(object_id=token.pk, verb__startswith="core.api_token").order_by("id")
    assert [e.verb for e in events] == [ApiTokenEvent.CREATED.value, ApiTokenEvent.REVOKED.value]
    assert "“CRM sync”" in event_sentence(events[1], viewer=None)
    assert events[0].partner_account == partner_a_user.partner_account


def test_only_the_owner_or_a_vendor_admin_revokes_a_token_and_only_once(partner_a_user, partner_b_user, vendor_admin):
    token, _secret = api_token_create(actor=partner_a_user, name="CRM sync")
    with pytest.raises(NotPermitted):
        api_token_revoke(actor=partner_b_user, token=token)
    api_token_revoke(actor=vendor_admin, token=token)
    token.refresh_from_db()
    assert token.revoked_by == vendor_admin and token.revoked_at is not None
    with pytest.raises(InvalidTransition):
        api_token_revoke(actor=partner_a_user, token=token)


# --- authentication -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("keyword", ["Bearer", "Token", "bearer"])
def test_a_token_authenticates_as_its_owner(partner_a_user, keyword):
    _token, secret = api_token_create(actor=partner_a_user, name="CRM sync")
    assert _client(secret, keyword).get(LIST).status_code == 200


def test_requests_without_a_valid_token_answer_401_with_the_bearer_challenge(partner_a_user):
    _token, secret = api_token_create(actor=partner_a_user, name="CRM sync")
    for client in (APIClient(), _client(secret + "x"), _client("Bearer"), _client(f"{secret} extra")):
        response = client.get(LIST)
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert set(response.json()) == {"detail", "code"}


def test_an_expired_or_revoked_token_is_refused(partner_a_user):
    expired, expired_secret = api_token_create(actor=partner_a_user, name="Old script", lifetime_days=30)
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    revoked, revoked_secret = api_token_create(actor=partner_a_user, name="Leaked")
    api_token_revoke(actor=partner_a_user, token=revoked)
    assert _client(expired_secret).get(LIST).status_code == 401
    assert _client(revoked_secret).get(LIST).status_code == 401


def test_the_token_of_a_deactivated_person_is_refused(partner_a_user):
    _token, secret = api_token_create(actor=partner_a_user, name="CRM sync")
    partner_a_user.is_active = False
    partner_a_user.save(update_fields=["is_active"])
    assert _client(secret).get(LIST).status_code == 401


def test_the_token_of_a_person_who_must_change_their_password_is_refused(partner_a_user):
    _token, secret = api_token_create(actor=partner_a_user, name="CRM sync")
    partner_a_user.must_change_password = True
    partner_a_user.save(update_fields=["must_change_password"])
    response = _client(secret).get(LIST)
    assert response.status_code == 403
    assert response.json()["code"] == "password_change_required"


def test_last_used_is_written_at_most_once_a_minute(partner_a_user):
    token, secret = api_token_create(actor=partner_a_user, name="CRM sync")
    client = _client(secret)
    client.get(LIST)
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    client.get(LIST)
    token.refresh_from_db()
    assert token.last_used_at == first  # a second request within the minute writes nothing
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
    client.get(LIST)
    token.refresh_from_db()
    assert token.last_used_at > first


# --- the page -----------------------------------------------------------------------------------------------------


def test_the_profile_links_to_the_tokens_page(login_as, partner_a_user):
    response = login_as(partner_a_user).get(reverse("accounts:profile"))
    assert reverse("api_tokens:list") in response.content.decode()


def test_a_person_creates_a_token_on_the_page_and_sees_its_secret_only_then(login_as, channel_manager):
    client = login_as(channel_manager)
    response = client.post(reverse("api_tokens:list"), {"name": "CRM sync", "lifetime_days": "365"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]  # the page holds a secret
    token = ApiToken.objects.get(user=channel_manager)
    secret = response.context["secret"]
    assert secret in response.content.decode() and hashlib.sha256(secret.encode()).hexdigest() == token.key_hash
    assert token.expires_at - timezone.now() > timedelta(days=364)
    page = client.get(reverse("api_tokens:list")).content.decode()
    assert "CRM sync" in page and token.prefix in page and secret not in page
    assert _client(secret).get(LIST).status_code == 200


def test_a_token_without_a_name_is_refused_on_the_page_with_a_message(login_as, partner_a_user):
    response = login_as(partner_a_user).post(reverse("api_tokens:list"), {"name": "", "lifetime_days": "90"})
    assert response.status_code == 200 and response.context["form"].errors["name"]
    assert not ApiToken.objects.exists()


def test_a_person_revokes_their_own_token_on_the_page(login_as, partner_a_user):
    token, secret = api_token_create(actor=partner_a_user, name="CRM sync")
    response = login_as(partner_a_user).post(reverse("api_tokens:revoke", args=[token.pk]), follow=True)
    assert "is revoked" in response.content.decode()
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert _client(secret).get(LIST).status_code == 401


def test_another_persons_token_is_404_on_the_page_and_stays_working(login_as, partner_a_user, partner_b_user):
    token, secret = api_token_create(actor=partner_a_user, name="Alpha CRM")
    response = login_as(partner_b_user).post(reverse("api_tokens:revoke", args=[token.pk]))
    assert response.status_code == 404
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
    assert "Alpha CRM" not in login_as(partner_b_user).get(reverse("api_tokens:list")).content.decode()


# --- the admin ----------------------------------------------------------------------------------------------------


def test_a_vendor_admin_sees_every_token_and_revokes_them_in_the_admin(client, cast):
    token, secret = api_token_create(actor=cast.partner_a_user, name="Alpha CRM")
    client.force_login(cast.vendor_admin)
    url = reverse("admin:core_apitoken_changelist")
    assert "Alpha CRM" in client.get(url).content.decode()
    response = client.post(url, {"action": "revoke", "_selected_action": [token.pk]})
    assert response.status_code == 302
    assert ApiToken.objects.get(pk=token.pk).revoked_by == cast.vendor_admin
    assert _client(secret).get(LIST).status_code == 401


def test_a_channel_manager_cannot_reach_the_tokens_in_the_admin(client, cast):
    token, _secret = api_token_create(actor=cast.partner_a_user, name="Alpha CRM")
    client.force_login(cast.channel_manager)
    url = reverse("admin:core_apitoken_changelist")
    assert client.get(url).status_code == 403
    client.post(url, {"action": "revoke", "_selected_action": [token.pk]})
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
