"""A1, A2: PRM starts off, a vendor admin enables it once, and nothing can turn it off again."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from accounts.events import AccountEvent
from accounts.models import PortalSettings
from accounts.services import prm_enable
from prm_portal.core.errors import InvalidTransition
from prm_portal.core.models import ActivityEvent
from tests.factories import PartnerUserFactory, UserFactory, VendorAdminFactory


@pytest.fixture
def admin_user(db):
    return VendorAdminFactory(email="boss@vendor.example")


@pytest.fixture
def enabled(admin_user):
    return prm_enable(actor=admin_user)


def test_partner_pages_say_not_enabled_on_a_new_install(client, db):
    partner_user = PartnerUserFactory()
    client.force_login(partner_user)
    response = client.get(reverse("leads:list"))
    assert response.status_code == 503
    assert b"not enabled yet" in response.content


def test_vendor_staff_screens_work_before_prm_is_enabled(client, admin_user):
    client.force_login(admin_user)
    assert client.get(reverse("accounts:account_list")).status_code == 200
    assert client.get(reverse("accounts:prm_settings")).status_code == 200


def test_enabling_records_who_and_when(enabled, admin_user):
    row = PortalSettings.objects.get()
    assert row.prm_enabled and row.prm_enabled_by == admin_user and row.prm_enabled_at is not None
    assert ActivityEvent.objects.filter(verb=AccountEvent.PRM_ENABLED, actor=admin_user).count() == 1


def test_second_enable_is_refused_and_keeps_the_first_record(enabled, admin_user):
    first_at = PortalSettings.objects.get().prm_enabled_at
    with pytest.raises(InvalidTransition, match="already enabled"):
        prm_enable(actor=VendorAdminFactory())
    row = PortalSettings.objects.get()
    assert row.prm_enabled_at == first_at and row.prm_enabled_by == admin_user


def test_channel_manager_cannot_enable_prm(db):
    with pytest.raises(InvalidTransition):
        prm_enable(actor=UserFactory())
    assert not PortalSettings.objects.filter(prm_enabled=True).exists()


def test_model_save_cannot_turn_prm_off(enabled):
    row = PortalSettings.objects.get()
    row.prm_enabled = False
    row.prm_enabled_at = None
    with pytest.raises(IntegrityError), transaction.atomic():
        row.save()
    assert PortalSettings.objects.get().prm_enabled


def test_queryset_update_cannot_turn_prm_off(enabled):
    with pytest.raises(IntegrityError), transaction.atomic():
        PortalSettings.objects.update(prm_enabled=False)
    assert PortalSettings.objects.get().prm_enabled


def test_raw_sql_cannot_turn_prm_off_or_rewrite_when(enabled):
    for sql in (
        "UPDATE accounts_portalsettings SET prm_enabled = false",
        "UPDATE accounts_portalsettings SET prm_enabled_at = now() - interval '1 day'",
        "DELETE FROM accounts_portalsettings",
    ):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert PortalSettings.objects.get().prm_enabled


def test_deleting_the_enabled_row_is_refused(enabled):
    with pytest.raises(IntegrityError), transaction.atomic():
        PortalSettings.objects.all().delete()
    assert PortalSettings.objects.filter(prm_enabled=True).exists()


def test_other_portal_settings_still_change_after_enabling(enabled):
    PortalSettings.objects.update(share_referrals=False)
    assert PortalSettings.objects.get().share_referrals is False


def test_settings_page_enables_prm_and_opens_the_wizard(client, admin_user):
    client.force_login(admin_user)
    page = client.get(reverse("accounts:prm_settings"))
    assert "cannot be undone" in page.content.decode()
    response = client.post(reverse("accounts:prm_settings"), {"enable": "on"})
    assert response.status_code == 302 and response["Location"] == reverse("sharing:start")
    assert PortalSettings.objects.get().prm_enabled


def test_saving_the_settings_page_without_the_tick_changes_nothing(client, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("accounts:prm_settings"), {})
    assert response.status_code == 200
    assert "Tick the box" in response.content.decode()
    assert not PortalSettings.objects.filter(prm_enabled=True).exists()


def test_posting_the_settings_page_again_cannot_turn_prm_off(client, enabled, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("accounts:prm_settings"), {}, follow=True)
    assert "cannot be turned off" in response.content.decode()
    assert PortalSettings.objects.get().prm_enabled


def test_settings_page_shows_who_enabled_prm(client, enabled, admin_user):
    client.force_login(admin_user)
    page = client.get(reverse("accounts:prm_settings")).content.decode()
    assert f"enabled by {admin_user}" in page


def test_admin_offers_no_way_to_change_or_delete_the_switch(client, enabled, admin_user):
    client.force_login(admin_user)
    url = reverse("admin:accounts_portalsettings_change", args=[1])
    page = client.get(url).content.decode()
    assert 'name="prm_enabled"' not in page
    client.post(url, {"prm_enabled": ""})
    assert PortalSettings.objects.get().prm_enabled
    assert client.get(reverse("admin:accounts_portalsettings_delete", args=[1])).status_code == 403
