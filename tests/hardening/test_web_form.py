"""Web-to-lead: one form, one lead; a rate limit per address (held in the database, so it holds with Redis down);
a length limit on every field; spam refused without losing what a person typed."""

from datetime import timedelta

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from leads.forms import WEB_FORM_SALT
from leads.models import Lead, WebFormSubmission
from leads.services import web_form_submission_prune

pytestmark = pytest.mark.django_db

URL = "/leads/web/"
WEB = {"company": "Sevilla Solar", "last_name": "López", "email": "elena@sevilla.example", "country": "es",
       "description": "We need 40 panels."}


@pytest.fixture(autouse=True)
def _no_wait(settings):
    settings.LEADS_WEB_FORM_MIN_SECONDS = 0


def _token(client):
    return client.get(URL).context["form"]["token"].value()


def test_one_form_posted_25_times_makes_one_lead(client):
    token = _token(client)
    for _ in range(25):
        response = client.post(URL, {**WEB, "token": token})
        assert response.status_code == 302 and response["Location"] == reverse("leads:web_form_thanks")
    assert Lead.objects.count() == 1


def test_one_form_makes_one_lead_with_redis_down(client, settings):
    settings.CACHES = {"default": {"BACKEND": "prm_portal.core.cache.SafeRedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0"}}
    token = _token(client)
    for _ in range(3):
        client.post(URL, {**WEB, "token": token})
    assert Lead.objects.count() == 1


def test_the_eleventh_form_from_one_address_in_ten_minutes_is_refused_with_a_429(client, settings):
    settings.LEADS_WEB_FORM_RATE_LIMIT = 10
    for i in range(10):
        assert client.post(URL, {**WEB, "company": f"Firm {i}", "token": _token(client)}).status_code == 302
    response = client.post(URL, {**WEB, "company": "Firm 11", "token": _token(client)})
    assert response.status_code == 429
    html = response.content.decode()
    assert "many requests from your network" in html
    assert 'value="Firm 11"' in html  # what the person typed is still there
    assert Lead.objects.count() == 10
    # Another address is not limited; the first one is again once the window has passed.
    assert client.post(URL, {**WEB, "token": _token(client)}, REMOTE_ADDR="198.51.100.7").status_code == 302
    WebFormSubmission.objects.update(created_at=timezone.now() - timedelta(minutes=11))
    assert client.post(URL, {**WEB, "company": "Firm 11", "token": _token(client)}).status_code == 302


@pytest.mark.parametrize(("field", "length"), [
    ("company", 201), ("first_name", 81), ("last_name", 81), ("phone", 41), ("industry", 81), ("country", 3),
    ("description", 5001),
])
def test_a_field_over_its_length_limit_is_an_error_on_the_form(client, field, length):
    response = client.post(URL, {**WEB, field: "x" * length, "token": _token(client)})
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert "Ensure this value has at most" in response.content.decode()
    assert not Lead.objects.exists()


def test_a_five_megabyte_description_is_refused(client):
    response = client.post(URL, {**WEB, "description": "x" * (5 * 1024 * 1024), "token": _token(client)})
    assert response.status_code == 200 and "description" in response.context["form"].errors
    assert not Lead.objects.exists()


def test_honeypot_filled_creates_nothing_and_records_nothing(client):
    response = client.post(URL, {**WEB, "website": "http://spam.example", "token": _token(client)})
    assert response.status_code == 302
    assert not Lead.objects.exists() and not WebFormSubmission.objects.exists()


def test_a_too_fast_submit_keeps_what_the_person_typed_and_the_next_send_works(client, settings):
    settings.LEADS_WEB_FORM_MIN_SECONDS = 3
    token = _token(client)
    response = client.post(URL, {**WEB, "token": token})
    html = response.content.decode()
    assert response.status_code == 200 and "That was quick" in html
    assert 'value="Sevilla Solar"' in html and "We need 40 panels." in html
    assert not Lead.objects.exists() and not WebFormSubmission.objects.exists()
    # Seconds later the person sends the same form again: it works, with the same token.
    old = signing.TimestampSigner(salt=WEB_FORM_SALT)
    aged = old.sign("web-to-lead")
    settings.LEADS_WEB_FORM_MIN_SECONDS = 0
    assert client.post(URL, {**WEB, "token": aged}).status_code == 302
    assert Lead.objects.count() == 1


def test_an_expired_form_is_shown_again_with_a_fresh_token_and_the_typed_data(client, settings):
    from unittest import mock

    with mock.patch("django.core.signing.time.time", return_value=timezone.now().timestamp() - 2 * 86400):
        stale = signing.TimestampSigner(salt=WEB_FORM_SALT).sign("web-to-lead")
    response = client.post(URL, {**WEB, "token": stale})
    assert "This form has expired" in response.content.decode()
    fresh = response.context["form"]["token"].value()
    assert fresh != stale
    assert client.post(URL, {**WEB, "token": fresh}).status_code == 302
    assert Lead.objects.count() == 1


def test_old_submissions_are_pruned():
    WebFormSubmission.objects.create(token_hash="a" * 64, source_key="k")
    WebFormSubmission.objects.create(token_hash="b" * 64, source_key="k")
    WebFormSubmission.objects.filter(token_hash="a" * 64).update(created_at=timezone.now() - timedelta(days=3))
    assert "1 old" in web_form_submission_prune()
    assert list(WebFormSubmission.objects.values_list("token_hash", flat=True)) == ["b" * 64]


def test_the_address_is_not_stored_in_clear(client):
    client.post(URL, {**WEB, "token": _token(client)})
    assert "127.0.0.1" not in WebFormSubmission.objects.get().source_key


def test_two_visitors_who_open_the_form_in_the_same_second_each_make_a_lead(client):
    from unittest import mock

    with mock.patch("django.core.signing.time.time", return_value=int(timezone.now().timestamp()) - 100):
        first, second = _token(client), _token(client)
    assert first != second
    client.post(URL, {**WEB, "token": first})
    client.post(URL, {**WEB, "company": "Second Visitor", "token": second})
    assert Lead.objects.count() == 2
