"""'Best match' on Send a referral stays within the partners the sender manages (E13, access policy)."""

import pytest
from django.urls import reverse

from accounts.models import BusinessProfile
from prm_portal.core.errors import NotPermitted
from referrals.models import Referral
from referrals.services import referral_offer
from tests.factories import PartnerLocationFactory


@pytest.fixture
def b_matches_better(cast):
    PartnerLocationFactory(partner_account=cast.partner_a, name="Prague", city="Prague", country="CZ")
    PartnerLocationFactory(partner_account=cast.partner_b, name="Prague B", city="Prague", country="CZ")
    BusinessProfile.objects.create(partner_account=cast.partner_a, keywords=["erp"])
    BusinessProfile.objects.create(partner_account=cast.partner_b, keywords=["erp", "cloud migration"])


def _send(client, **extra):
    return client.post(reverse("referrals:send"), {
        "referral_type": "customer_inquiry", "customer_name": "Tailspin", "need": "ERP and a cloud migration",
        "customer_city": "Prague", "contact_email": "buyer@tailspin.example", "send": "1", **extra}, follow=True)


def test_channel_managers_best_match_never_picks_another_managers_partner(cast, login_as, b_matches_better):
    response = _send(login_as(cast.channel_manager))
    referral = Referral.objects.get(customer_name="Tailspin")
    assert referral.partner_account == cast.partner_a
    page = response.content.decode()
    assert response.status_code == 200 and "Referral sent to Alpha Partners" in page


def test_vendor_admin_best_match_ranks_every_partner(cast, login_as, b_matches_better):
    _send(login_as(cast.vendor_admin))
    assert Referral.objects.get(customer_name="Tailspin").partner_account == cast.partner_b


def test_without_a_managed_match_the_manager_is_asked_to_choose_and_nothing_is_sent(cast, login_as,
                                                                                    b_matches_better):
    BusinessProfile.objects.filter(partner_account=cast.partner_a).update(keywords=["crm"])
    response = _send(login_as(cast.channel_manager), customer_city="")
    assert "choose a partner" in response.content.decode()
    assert not Referral.objects.filter(customer_name="Tailspin").exists()


def test_preview_ranks_only_the_managers_partners(cast, login_as, b_matches_better):
    page = login_as(cast.channel_manager).post(reverse("referrals:send"), {
        "referral_type": "customer_inquiry", "customer_name": "Tailspin", "need": "ERP and a cloud migration",
        "contact_email": "buyer@tailspin.example", "preview": "1"}).content.decode()
    assert "Alpha Partners" in page.split('id="matches-h"')[1] and "Beta Resellers" not in page


def test_offering_to_a_partner_the_manager_does_not_manage_is_refused(cast, b_matches_better):
    with pytest.raises(NotPermitted):
        referral_offer(actor=cast.channel_manager, partner_account=cast.partner_b,
                       referral_type=Referral.Type.CUSTOMER_INQUIRY, customer_name="Tailspin",
                       contact_email="buyer@tailspin.example")
    assert not Referral.objects.exists()
