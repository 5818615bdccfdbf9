"""E12: the referral API — same scoping and 404s as the pages, 409/400 with a message, never 500."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from prm_portal.core.apitokens import api_token_create
from referrals.models import Referral

from .factories import accepted, inbound, location_for, outbound

pytestmark = pytest.mark.django_db

STAGES = ["Securing customer LOE", "data_collection", "Preparing assessment report", "present_to_customer"]


@pytest.fixture
def api(cast):
    client = APIClient()
    _token, secret = api_token_create(actor=cast.partner_a_user, name="Tests")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def url(name, pk=None):
    return reverse(f"referrals_api:referral-{name}", kwargs={"pk": pk} if pk else None)


def test_list_is_scoped_and_filtered(cast, api):
    mine = inbound(actor=cast.channel_manager, partner=cast.partner_a, referral_type="customer_inquiry")
    deal = outbound(actor=cast.partner_a_user)
    b_loc = location_for(cast.partner_b)
    inbound(actor=cast.channel_manager, partner=cast.partner_b, location=b_loc)
    ids = {r["id"] for r in api.get(url("list")).json()["results"]}
    assert ids == {mine.pk, deal.pk}
    ids = {r["id"] for r in api.get(url("list"), {"tab": "outbound", "deal_type": "solution_assessment"}).json()[
        "results"]}
    assert ids == {deal.pk}


def test_another_partners_referral_is_404(cast, api):
    other = inbound(actor=cast.channel_manager, partner=cast.partner_b, location=location_for(cast.partner_b))
    assert api.get(url("detail", other.pk)).status_code == 404
    assert api.post(url("won", other.pk)).status_code == 404


def test_accept_then_invalid_second_accept_is_409_with_a_message(cast, api):
    referral = inbound(actor=cast.channel_manager, partner=cast.partner_a)
    body = {"name": "API deal", "estimated_value": "100.00", "estimated_close_date": "2026-12-31", "notes": "n",
            "team_members": [{"name": "Tim", "phone": "1", "email": "tim@alpha.example"}]}
    response = api.post(url("accept", referral.pk), body, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "accepted"
    response = api.post(url("accept", referral.pk), body, format="json")
    assert response.status_code == 409
    assert "cannot be accepted" in response.json()["detail"]


def test_decline_with_unknown_reason_is_400(cast, api):
    referral = inbound(actor=cast.channel_manager, partner=cast.partner_a)
    assert api.post(url("decline", referral.pk), {"reason": "meh"}, format="json").status_code == 400
    assert api.post(url("decline", referral.pk), {"reason": "spam"}, format="json").json()["status"] == "declined"


def test_create_outbound_stage_names_map_to_percentages_and_win(cast, api):
    body = {
        "location_id": location_for(cast.partner_a).pk, "customer_name": "Northwind", "name": "NW assessment",
        "contact_name": "Nora West", "contact_phone": "+420 1", "contact_email": "nora@northwind.example",
        "estimated_value": "5000", "estimated_close_date": "2026-10-01", "notes": "x", "consent": True,
        "team_members": [{"name": "Ann", "phone": "1", "email": "ann@alpha.example"}],
        "solutions": [{"kind": "solution_assessment", "assessment_type": "data_ai"}],
    }
    response = api.post(url("list"), body, format="json")
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    assert response.json()["status"] == "accepted" and response.json()["probability"] == 10
    assert api.post(url("won", pk)).status_code == 409
    percents = [api.post(url("stage", pk), {"stage": s}, format="json").json()["probability"] for s in STAGES]
    assert percents == [20, 40, 60, 80]
    assert api.post(url("stage", pk), {"stage": "nonsense"}, format="json").status_code == 400
    response = api.post(url("won", pk))
    assert response.status_code == 200 and response.json()["probability"] == 100


def test_create_outbound_for_another_partners_location_is_400(cast, api):
    body = {"location_id": location_for(cast.partner_b).pk, "customer_name": "X", "name": "X",
            "estimated_value": "1", "estimated_close_date": "2026-10-01", "notes": "x", "consent": True,
            "team_members": [{"name": "A", "phone": "1", "email": "a@a.example"}],
            "solutions": [{"kind": "product", "name": "Backup"}]}
    assert api.post(url("list"), body, format="json").status_code == 400
    assert not Referral.objects.exists()


def test_lost_needs_a_reason(cast, api):
    referral = accepted(actor=cast.partner_a_user, referral=inbound(actor=cast.channel_manager,
                                                                     partner=cast.partner_a))
    assert api.post(url("lost", referral.pk), {}, format="json").status_code == 400
    assert api.post(url("lost", referral.pk), {"reason": "Budget cut"}, format="json").json()["status"] == "lost"


def test_anonymous_is_refused(client):
    assert client.get(url("list")).status_code in (401, 403)
