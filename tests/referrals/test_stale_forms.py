"""Issue finding 11 for referrals: accept, decline, edit, stage, won, lost, registration and review forms carry
the version they were read at; expiry moves the version on; the API's ETag / If-Match answers 412 when stale."""

import re
from datetime import date

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from prm_portal.core.versioning import StaleVersion
from referrals import services
from referrals.models import DealRegistration, Referral

from .factories import accepted, days_ago, inbound, outbound

pytestmark = pytest.mark.django_db

WORK = ["securing_loe", "data_collection", "preparing_report", "present_to_customer"]


def _detail(client, referral):
    return client.get(reverse("referrals:detail", kwargs={"pk": referral.pk})).content.decode()


def _versions(html, prefix=""):
    name = f"{prefix}-version" if prefix else "version"
    return re.findall(rf'<input type="hidden" name="{name}" value="(\d*)"', html)


def _url(name, referral):
    return reverse(f"referrals:{name}", kwargs={"pk": referral.pk})


@pytest.fixture
def deal(cast):
    """An accepted inbound referral of partner A (version 2: sent, then accepted)."""
    return accepted(actor=cast.partner_a_user, referral=inbound(actor=cast.channel_manager, partner=cast.partner_a))


def _edit_data(referral, **changes):
    data = {"edit-name": referral.name, "edit-estimated_value": referral.estimated_value,
            "edit-estimated_close_date": referral.estimated_close_date.isoformat(), "edit-notes": referral.notes,
            "edit-crm_id": referral.crm_id, "edit-campaign_id": referral.campaign_id}
    data.update(changes)
    return data


def _won_assessment(cast):
    deal = outbound(actor=cast.partner_a_user)
    for stage in WORK:
        services.referral_stage_mark(actor=cast.partner_a_user, referral=deal, stage=stage)
    return services.referral_win(actor=cast.partner_a_user, referral=deal)


# --- services -------------------------------------------------------------------------------------------------


def test_every_referral_write_adds_one_to_the_version(cast):
    referral = inbound(actor=cast.channel_manager, partner=cast.partner_a)
    assert referral.version == 1
    referral = accepted(actor=cast.partner_a_user, referral=referral)
    assert Referral.objects.get(pk=referral.pk).version == 2
    services.referral_update(actor=cast.partner_a_user, referral=referral, name="Bigger ERP")
    services.referral_lose(actor=cast.partner_a_user, referral=referral, reason="Budget cut")
    assert Referral.objects.get(pk=referral.pk).version == 4


def test_expiry_moves_the_version_on_and_a_stale_accept_names_the_expiry(cast):
    referral = inbound(actor=cast.channel_manager, partner=cast.partner_a, received_at=days_ago(15))
    assert services.referral_expire_overdue() == 1
    assert Referral.objects.get(pk=referral.pk).version == 2
    with pytest.raises(StaleVersion) as refused:
        services.referral_accept(actor=cast.partner_a_user, referral=referral, name="Late", estimated_value="1",
                                 estimated_close_date=date.today(), notes="n", expected_version=1)
    assert refused.value.changes == [("Status", "Received", "Expired")]
    assert refused.value.message.startswith("The system changed this after you opened it")


def test_a_stale_stage_mark_is_refused_and_the_stage_is_not_marked(cast, deal):
    services.referral_update(actor=cast.partner_a_admin, referral=deal, notes="Changed by the admin")
    with pytest.raises(StaleVersion):
        services.referral_stage_mark(actor=cast.partner_a_user, referral=deal, stage="securing_loe",
                                     expected_version=2)
    assert Referral.objects.get(pk=deal.pk).sales_stage == "accepted"


# --- pages ------------------------------------------------------------------------------------------------------


def test_the_detail_page_forms_carry_the_version(cast, deal, login_as):
    html = _detail(login_as(cast.partner_a_user), deal)
    assert _versions(html, "edit") == ["2"]
    assert _versions(html, "lost") == ["2"]
    assert _versions(html) == ["2", "2"]  # Mark stage done, Won


def test_a_stale_edit_is_refused_with_the_change_and_the_form_still_open_and_filled(cast, deal, login_as):
    client = login_as(cast.partner_a_user)
    read_at = _versions(_detail(client, deal), "edit")[0]
    services.referral_update(actor=cast.partner_a_admin, referral=deal, name="Bigger ERP")

    response = client.post(_url("edit", deal), _edit_data(deal, **{"edit-notes": "My notes",
                                                                    "edit-version": read_at}))

    assert response.status_code == 409
    page = response.content.decode()
    assert "Ada Alpha changed this after you opened it: Deal name: ERP migration → Bigger ERP." in page
    assert "My notes" in page and "<details class=\"ref-action\" open>" in page
    assert _versions(page, "edit") == ["3"]
    deal.refresh_from_db()
    assert (deal.name, deal.notes) == ("Bigger ERP", "Wants a plan by spring.")


def test_a_stale_won_press_is_refused_and_the_deal_stays_lost(cast, deal, login_as):
    client = login_as(cast.partner_a_user)
    read_at = _versions(_detail(client, deal))[-1]
    services.referral_lose(actor=cast.partner_a_admin, referral=deal, reason="Budget cut")
    response = client.post(_url("won", deal), {"version": read_at}, follow=True)
    assert "Status: Accepted → Lost" in response.content.decode()
    assert Referral.objects.get(pk=deal.pk).status == Referral.Status.LOST


def test_a_stale_accept_after_a_teammate_declined_is_refused_keeping_the_input(cast, login_as):
    referral = inbound(actor=cast.channel_manager, partner=cast.partner_a)
    client = login_as(cast.partner_a_user)
    read_at = _versions(_detail(client, referral), "accept")[0]
    services.referral_decline(actor=cast.partner_a_admin, referral=referral, reason="no_budget")
    response = client.post(_url("accept", referral), {
        "accept-name": "My deal name", "accept-estimated_value": "100", "accept-estimated_close_date": "2027-01-31",
        "accept-notes": "n", "accept-version": read_at})
    assert response.status_code == 409
    assert "Status: Received → Declined" in response.content.decode()
    assert Referral.objects.get(pk=referral.pk).status == Referral.Status.DECLINED


def test_a_stale_review_is_refused_naming_what_the_partner_sent_again(cast, login_as):
    won = _won_assessment(cast)
    reg = services.deal_registration_submit(actor=cast.partner_a_user, referral=won, contract_value="12000",
                                            contract_signed_on=date.today(), details="Signed")
    client = login_as(cast.channel_manager)
    read_at = _versions(_detail(client, won), "review")[0]
    # Meanwhile a second reviewer asks for more, and the partner sends a bigger contract.
    services.deal_registration_review(actor=cast.vendor_admin, registration=reg, decision="more_info",
                                      comment="Attach the PO")
    services.deal_registration_submit(actor=cast.partner_a_user, referral=won, contract_value="15000",
                                      contract_signed_on=date.today(), details="Signed", customer_po="PO-1",
                                      expected_version=2)

    response = client.post(_url("review", won), {"review-decision": "approve", "review-version": read_at})

    assert response.status_code == 409
    page = response.content.decode()
    assert "Contract value: 12000.00 → 15000.00" in page
    assert "Customer purchase order: — → PO-1" in page
    assert DealRegistration.objects.get(pk=reg.pk).status == DealRegistration.Status.SUBMITTED
    assert _versions(page, "review") == ["3"]


# --- API: ETag and If-Match -----------------------------------------------------------------------------------------


@pytest.fixture
def api(cast):
    client = APIClient()
    client.force_authenticate(cast.partner_a_user)
    return client


def _api(name, referral):
    return reverse(f"referrals_api:referral-{name}", kwargs={"pk": referral.pk})


def test_the_api_detail_sends_the_version_as_etag(deal, api):
    response = api.get(_api("detail", deal))
    assert response["ETag"] == '"2"' and response.json()["version"] == 2


def test_an_api_transition_with_a_stale_if_match_is_412_and_changes_nothing(cast, deal, api):
    services.referral_update(actor=cast.partner_a_admin, referral=deal, name="Bigger ERP")
    response = api.post(_api("lost", deal), {"reason": "Budget"}, format="json", HTTP_IF_MATCH='"2"')
    assert response.status_code == 412
    assert response["ETag"] == '"3"'
    assert response.json()["changes"] == [{"field": "Deal name", "old": "ERP migration", "new": "Bigger ERP"}]
    assert Referral.objects.get(pk=deal.pk).status == Referral.Status.ACCEPTED


def test_an_api_transition_with_the_current_if_match_answers_the_new_etag(deal, api):
    response = api.post(_api("won", deal), HTTP_IF_MATCH='"2"')
    assert response.status_code == 200
    assert response["ETag"] == '"3"'
