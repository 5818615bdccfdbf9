import pytest
from django.urls import reverse

from accounts.models import PortalSettings
from tests.factories import PartnerUserFactory


@pytest.mark.django_db
def test_partner_api_calls_wait_for_prm_like_the_pages(client):
    PortalSettings.objects.filter(id=1).delete()
    user = PartnerUserFactory()
    client.force_login(user)
    response = client.get("/api/leads/")
    assert response.status_code == 503
    assert response.json()["detail"] == "The partner portal is not enabled yet."
    assert client.get(reverse("leads:list")).status_code == 503


@pytest.mark.django_db
def test_vendor_staff_see_partners_and_setup_tabs(client, vendor_admin, channel_manager, partner_a_user):
    client.force_login(vendor_admin)
    page = client.get(reverse("reports:home")).content.decode()
    assert reverse("accounts:account_list") in page and reverse("accounts:prm_settings") in page
    client.force_login(channel_manager)
    page = client.get(reverse("reports:home")).content.decode()
    assert reverse("accounts:account_list") in page and reverse("accounts:prm_settings") not in page
    client.force_login(partner_a_user)
    page = client.get(reverse("reports:home")).content.decode()
    assert reverse("accounts:account_list") not in page
