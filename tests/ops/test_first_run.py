"""A blank install's first vendor admin: the one-time first screen, and `manage.py create_vendor_admin`."""

import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from accounts.firstrun import FirstRunClosed, vendor_admin_create
from accounts.models import PortalSettings, User
from prm_portal.core.models import ActivityEvent
from tests.factories import PartnerUserFactory

STRONG = "Blue-Harbour-Lantern-2026"
FORM = {"email": "Boss@Vendor.example", "first_name": "Vera", "last_name": "Vendor",
        "password1": STRONG, "password2": STRONG}


def test_a_blank_install_sends_visitors_from_sign_in_to_the_first_screen(client, db):
    response = client.get(reverse("account_login"))
    assert response.status_code == 302 and response["Location"] == reverse("first_run")
    page = client.get(reverse("first_run"))
    assert page.status_code == 200
    assert "Create the first vendor admin" in page.content.decode()


def test_the_first_screen_creates_a_vendor_admin_signs_them_in_and_opens_setup(client, db):
    response = client.post(reverse("first_run"), FORM)
    assert response.status_code == 302 and response["Location"] == reverse("accounts:prm_settings")
    admin = User.objects.get()
    assert admin.email == "boss@vendor.example"
    assert admin.role == User.Role.VENDOR_ADMIN and admin.is_staff and admin.is_superuser and admin.is_active
    assert admin.check_password(STRONG) and not admin.must_change_password
    assert client.get(reverse("accounts:prm_settings")).status_code == 200  # signed in as that admin
    assert not PortalSettings.load().prm_enabled  # PRM stays off until the admin enables it
    assert ActivityEvent.objects.filter(object_id=admin.pk, verb="account.user_created").exists()


def test_the_first_screen_is_gone_once_any_user_exists(client, db):
    PartnerUserFactory()
    assert client.get(reverse("first_run")).status_code == 404
    assert client.post(reverse("first_run"), FORM).status_code == 404
    assert not User.objects.filter(email="boss@vendor.example").exists()
    assert client.get(reverse("account_login")).status_code == 200  # the sign-in page is the sign-in page again


def test_the_first_screen_refuses_a_weak_or_mistyped_password_and_creates_nobody(client, db):
    weak = client.post(reverse("first_run"), {**FORM, "password1": "password", "password2": "password"})
    assert weak.status_code == 200 and "too common" in weak.content.decode()
    differ = client.post(reverse("first_run"), {**FORM, "password2": STRONG + "x"})
    assert differ.status_code == 200 and "The two passwords differ" in differ.content.decode()
    assert not User.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_first_submissions_create_exactly_one_admin():
    barrier, outcomes = threading.Barrier(2), []

    def submit(email):
        try:
            barrier.wait()
            vendor_admin_create(actor=None, email=email, password=STRONG, first_only=True)
            outcomes.append("created")
        except FirstRunClosed:
            outcomes.append("closed")
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(f"admin{i}@vendor.example",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["closed", "created"]
    assert User.objects.count() == 1


def test_command_creates_a_vendor_admin_with_a_prompted_password(db, monkeypatch):
    answers = iter([STRONG, STRONG])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    monkeypatch.delenv("PRM_ADMIN_PASSWORD", raising=False)
    call_command("create_vendor_admin", "--email", "ops@vendor.example", "--first-name", "Otto")
    admin = User.objects.get(email="ops@vendor.example")
    assert admin.is_vendor_admin and admin.is_superuser and admin.first_name == "Otto"
    assert admin.check_password(STRONG)


def test_command_reads_email_and_password_from_the_environment_without_asking(db, monkeypatch):
    monkeypatch.setenv("PRM_ADMIN_EMAIL", "env@vendor.example")
    monkeypatch.setenv("PRM_ADMIN_PASSWORD", STRONG)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": pytest.fail("asked for a password"))
    call_command("create_vendor_admin", "--no-input")
    assert User.objects.get(email="env@vendor.example").check_password(STRONG)
    # --if-missing: run again on every start, nothing changes
    call_command("create_vendor_admin", "--no-input", "--if-missing")
    assert User.objects.count() == 1
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_vendor_admin", "--no-input")


def test_command_refuses_a_weak_password_or_a_missing_one_and_creates_nobody(db, monkeypatch):
    monkeypatch.setenv("PRM_ADMIN_PASSWORD", "12345678")
    with pytest.raises(CommandError, match="not accepted"):
        call_command("create_vendor_admin", "--no-input", "--email", "weak@vendor.example")
    monkeypatch.delenv("PRM_ADMIN_PASSWORD")
    with pytest.raises(CommandError, match="PRM_ADMIN_PASSWORD"):
        call_command("create_vendor_admin", "--no-input", "--email", "none@vendor.example")
    assert not User.objects.exists()
