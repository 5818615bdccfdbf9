"""G1: email sign-in by allauth, password reset through Celery, rate-limited login."""

import re

from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from prm_portal.core.models import OutboxMessage


def test_sign_in_with_email_lands_on_home(client, partner_a_user, password):
    response = client.post(reverse("account_login"), {"login": partner_a_user.email, "password": password})
    assert response.status_code == 302 and response["Location"] == reverse("reports:home")


def test_password_reset_email_is_sent_once_through_the_outbox(
    client, partner_a_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client.post(reverse("account_reset_password"), {"email": partner_a_user.email})
    assert len(callbacks) == 1  # written to the outbox, relayed after commit, not sent inline
    assert len(mail.outbox) == 1
    assert OutboxMessage.objects.filter(payload__template_key="password_reset", payload__to=partner_a_user.email,
                                        status=OutboxMessage.Status.SENT).count() == 1
    link = re.search(r"http://testserver(/auth/password/reset/key/\S+/)", mail.outbox[0].body).group(1)
    page = client.get(link, follow=True)
    assert page.status_code == 200 and b"password" in page.content.lower()


def test_repeated_failed_logins_are_rate_limited(client, partner_a_user, password):
    cache.clear()
    for _ in range(5):
        client.post(reverse("account_login"), {"login": partner_a_user.email, "password": "wrong-password"})
    response = client.post(reverse("account_login"), {"login": partner_a_user.email, "password": password})
    assert response.status_code in (200, 429)
    assert "_auth_user_id" not in client.session
    assert "Too many failed login attempts" in response.content.decode()


def test_resetting_the_password_also_ends_a_temporary_password(client, partner_a, django_capture_on_commit_callbacks):
    from tests.factories import PartnerUserFactory

    user = PartnerUserFactory(partner_account=partner_a, must_change_password=True)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": user.email})
    link = re.search(r"http://testserver(/auth/password/reset/key/\S+/)", mail.outbox[0].body).group(1)
    form_url = client.get(link)["Location"]
    client.post(form_url, {"password1": "Reset-pass-2026", "password2": "Reset-pass-2026"})
    user.refresh_from_db()
    assert user.check_password("Reset-pass-2026") and not user.must_change_password


def test_changing_the_password_keeps_the_person_signed_in(client, partner_a_user, password):
    client.force_login(partner_a_user)
    client.post(reverse("account_change_password"),
                {"oldpassword": password, "password1": "Changed-pass-2026", "password2": "Changed-pass-2026"})
    partner_a_user.refresh_from_db()
    assert partner_a_user.check_password("Changed-pass-2026")
    assert client.get(reverse("accounts:profile")).status_code == 200
