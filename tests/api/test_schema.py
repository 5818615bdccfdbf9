"""Issue 10, "the schema tells the truth": what schemathesis found (an empty email against `format: email`, an empty
deal type outside its enum, a 400 without `code`, statuses the schema did not list, schema-valid requests refused)
is now described exactly, and the API answers as described."""

import re

import pytest
from rest_framework.test import APIClient

from tests.factories import LeadFactory
from tests.referrals.factories import inbound, location_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(partner_a_user):
    client = APIClient()
    client.force_authenticate(partner_a_user)
    return client


@pytest.fixture
def schema(api):
    return api.get("/api/schema/?format=json").json()


def _ops(schema):
    for path, ops in schema["paths"].items():
        if path.startswith(("/api/leads/", "/api/referrals/")):
            for method, op in ops.items():
                yield path, method, op


def test_blank_emails_are_null_and_blank_choices_are_in_their_enums(schema, api, cast):
    props = schema["components"]["schemas"]["Referral"]["properties"]
    assert props["contact_email"]["nullable"] is True and props["contact_email"]["format"] == "email"
    blank = schema["components"]["schemas"]["BlankEnum"]["enum"]
    assert blank == [""] and {"$ref": "#/components/schemas/BlankEnum"} in props["deal_type"]["oneOf"]
    assert schema["components"]["schemas"]["Lead"]["properties"]["email"]["nullable"] is True
    referral = inbound(actor=cast.channel_manager, partner=cast.partner_a, contact_email="", deal_type="")
    body = api.get(f"/api/referrals/{referral.pk}/").json()
    assert body["contact_email"] is None and body["deal_type"] == ""
    lead = LeadFactory(owner=cast.partner_a_user, partner_account=cast.partner_a, email="")
    assert api.get(f"/api/leads/{lead.pk}/").json()["email"] is None


def test_stages_are_an_enum_and_an_unknown_one_is_refused_with_the_400_body(schema, api, cast):
    stage = schema["components"]["schemas"]["StageRequest"]["properties"]["stage"]
    enum = schema["components"]["schemas"][stage["allOf"][0]["$ref"].rsplit("/", 1)[1]]["enum"]
    assert {"data_collection", "Data collection", "present_to_customer"} <= set(enum) and "won" not in enum
    referral = inbound(actor=cast.channel_manager, partner=cast.partner_a)
    response = api.post(f"/api/referrals/{referral.pk}/stage/", {"stage": "Negotiation"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "validation" and "stage" in response.json()["errors"]


def test_outbound_deals_need_a_team_member_a_solution_and_an_amount(schema, api, cast):
    outbound = schema["components"]["schemas"]["OutboundRequest"]
    assert outbound["properties"]["team_members"]["minItems"] == 1
    assert all(option["minItems"] == 1 for option in outbound["properties"]["solutions"]["oneOf"])
    pattern = re.compile(outbound["properties"]["estimated_value"]["pattern"])
    assert pattern.search("5000.50") and not pattern.search("") and not pattern.search("-1")
    body = {"location_id": location_for(cast.partner_a).pk, "customer_name": "Northwind", "name": "NW",
            "estimated_value": "5000", "estimated_close_date": "2026-10-01", "notes": "x", "consent": True,
            "contact_name": "Nora West", "contact_phone": "+420 2", "contact_email": "nora@northwind.example",
            "team_members": [{"name": "Ann", "phone": "1", "email": "ann@alpha.example"}],
            "solutions": [{"kind": "product", "name": "Backup"}]}
    for field, value in (("team_members", []), ("solutions", []), ("estimated_value", ""), ("consent", False)):
        response = api.post("/api/referrals/", {**body, field: value}, format="json")
        assert response.status_code == 400 and field in response.json()["errors"], field
    assert api.post("/api/referrals/", body, format="json").status_code == 201


def test_every_operation_lists_its_error_statuses_with_their_bodies(schema):
    for path, method, op in _ops(schema):
        codes = set(op["responses"])
        assert {"401", "403", "429", "503"} <= codes, (method, path)
        error = op["responses"]["403"]["content"]["application/json"]["schema"]["$ref"]
        assert error.endswith("/ApiError")
        if "{id}" in path or method == "get":
            assert "404" in codes, (method, path)  # no such record, or an invalid page
        if method in ("post", "patch"):
            assert {"400", "409"} <= codes, (method, path)
        if method in ("post", "patch") and "{id}" in path:
            assert "412" in codes and "If-Match" in {p["name"] for p in op.get("parameters", [])}, (method, path)
    required = schema["components"]["schemas"]["ApiError"]["required"]
    assert set(required) == {"detail", "code"}
    assert "bearerAuth" in schema["components"]["securitySchemes"]


def test_a_refused_change_answers_409_with_its_code_and_a_missing_record_404(api, cast):
    referral = inbound(actor=cast.channel_manager, partner=cast.partner_a)
    response = api.post(f"/api/referrals/{referral.pk}/won/")
    assert response.status_code == 409 and response.json()["code"] == "state"
    response = api.get("/api/referrals/999999999/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
