import pytest
from django.urls import reverse

from referrals.models import DealRegistration
from referrals.services import deal_registration_submit, referral_stage_mark, referral_win

from .factories import inbound, outbound

pytestmark = pytest.mark.django_db


def test_vendor_admin_browses_referrals_in_the_admin(cast, login_as):
    referral = inbound(actor=cast.channel_manager, partner=cast.partner_a, customer_name="Admin Co")
    client = login_as(cast.vendor_admin)
    response = client.get(reverse("admin:referrals_referral_changelist"))
    assert response.status_code == 200 and "Admin Co" in response.content.decode()
    assert client.get(reverse("admin:referrals_referral_change", args=[referral.pk])).status_code == 200
    response = client.get(reverse("admin:referrals_referral_add"))
    assert response.status_code == 302 and response["Location"] == reverse("referrals:send")


def test_admin_action_approves_a_registration_through_the_service(cast, login_as):
    deal = outbound(actor=cast.partner_a_user)
    for stage in ("securing_loe", "data_collection", "preparing_report", "present_to_customer"):
        referral_stage_mark(actor=cast.partner_a_user, referral=deal, stage=stage)
    referral_win(actor=cast.partner_a_user, referral=deal)
    reg = deal_registration_submit(actor=cast.partner_a_user, referral=deal, contract_value="100",
                                   contract_signed_on="2026-01-01", details="ok")
    client = login_as(cast.vendor_admin)
    response = client.post(reverse("admin:referrals_dealregistration_changelist"),
                           {"action": "approve", "_selected_action": [reg.pk]})
    assert response.status_code == 302
    reg.refresh_from_db()
    assert reg.status == DealRegistration.Status.APPROVED and reg.reviewed_by == cast.vendor_admin
