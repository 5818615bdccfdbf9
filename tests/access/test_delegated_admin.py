"""H6 delegated administration: a partner admin invites, scopes and deactivates their own partner's people."""

import pytest
from django.urls import reverse

from accounts.models import User
from accounts.services import partner_user_invite
from prm_portal.core.errors import NotPermitted

pytestmark = pytest.mark.django_db


def _invite(client, account, **extra):
    data = {"email": "new.rep@alpha.example", "first_name": "Nina", "last_name": "Nova", "role": "partner_user",
            "language": "cs", **extra}
    return client.post(reverse("accounts:user_invite", args=[account.pk]), data)


def test_a_partner_admin_invites_a_colleague(cast, client, django_capture_on_commit_callbacks):
    client.force_login(cast.partner_a_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = _invite(client, cast.partner_a)
    assert response.status_code == 302
    person = User.objects.get(email="new.rep@alpha.example")
    assert person.partner_account == cast.partner_a
    assert person.role == User.Role.PARTNER_USER and person.must_change_password
    assert person.contact.partner_account == cast.partner_a


def test_a_partner_admin_cannot_invite_into_another_partner(cast, client):
    client.force_login(cast.partner_a_admin)
    assert _invite(client, cast.partner_b).status_code == 404
    assert not User.objects.filter(email="new.rep@alpha.example").exists()
    with pytest.raises(NotPermitted):
        partner_user_invite(actor=cast.partner_a_admin, partner_account=cast.partner_b, email="x@beta.example",
                            first_name="X", last_name="Y", role="partner_user")


def test_a_partner_user_cannot_invite(cast, client):
    client.force_login(cast.partner_a_user)
    assert _invite(client, cast.partner_a).status_code == 404
    assert not User.objects.filter(email="new.rep@alpha.example").exists()


def test_an_invitation_for_an_existing_email_is_refused_with_a_message(cast, client):
    client.force_login(cast.partner_a_admin)
    response = _invite(client, cast.partner_a, email=cast.partner_b_user.email)
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert User.objects.get(email=cast.partner_b_user.email).partner_account == cast.partner_b
