"""Issue 10, "the schema tells the truth": schemathesis drives every lead and referral operation of the live schema
(the WSGI app, a token of partner A's admin) and checks each answer against the schema: no 5xx, a status the
schema lists, its content type, a body that matches (blank emails, blank deal types and stages included) and, for
requests the schema accepts, no refusal as bad input."""

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from leads.models import Lead
from prm_portal.core.apitokens import api_token_create
from referrals.models import Referral
from tests.factories import LeadFactory, QueueFactory
from tests.referrals.factories import accepted, inbound, location_for, outbound

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = 10  # per operation (13 operations): about half a minute in all
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          positive_data_acceptance]
# A request the schema accepts may still meet a record whose state refuses it (409), a record another client
# changed (If-Match: 412), or one that is not there or not the caller's (404): none of those is bad input.
ACCEPTED_STATUSES = ["2xx", "401", "403", "404", "409", "412", "429"]


@pytest.fixture
def wsgi_keeps_test_connection():
    """Like Django's test client: a request must not close the test's database connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(cast, settings):
    """Partner A's admin with a token, and records of each shape the API answers with."""
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {scope: None for scope in rates}}  # no 429 mid-run
    admin = cast.partner_a_admin
    _token, secret = api_token_create(actor=admin, name="Contract test")
    queue = QueueFactory(accounts=[cast.partner_a])
    leads = [
        LeadFactory(queue=queue, email="", company_size=""),  # blank email and size: null and "" in answers
        LeadFactory(queue=queue, company_size=Lead.CompanySize.SMALL),
        LeadFactory(partner_account=cast.partner_a, owner=admin, email=""),
    ]
    received = inbound(actor=cast.channel_manager, partner=cast.partner_a, contact_email="", deal_type="")
    referrals = [
        received,
        inbound(actor=cast.channel_manager, partner=cast.partner_a),
        accepted(actor=admin, referral=inbound(actor=cast.channel_manager, partner=cast.partner_a)),
        outbound(actor=admin),
        outbound(actor=admin, assessment=False),
    ]
    assert Referral.objects.filter(pk=received.pk, deal_type="", contact_email="").exists()
    return {
        "headers": {"Authorization": f"Bearer {secret}"},
        "lead_ids": [lead.pk for lead in leads],
        "referral_ids": [referral.pk for referral in referrals],
        "location_id": location_for(cast.partner_a).pk,
    }


@pytest.fixture
def api(world, wsgi_keeps_test_connection):
    config = schemathesis.Config.from_dict(
        {"checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED_STATUSES}}})
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", WSGIHandler(), headers=world["headers"],
                                            config=config)
    return schema.include(path_regex=r"^/api/(leads|referrals)/")


def _point_at_real_records(case, world):
    """Mostly the records made above (so the services run), now and then any id the schema allows."""
    ids = world["lead_ids"] if case.path.startswith("/api/leads/") else world["referral_ids"]
    value = (case.path_parameters or {}).get("id")
    if isinstance(value, int) and value % 5:
        case.path_parameters["id"] = ids[value % len(ids)]
    if case.method == "POST" and case.path == "/api/referrals/" and isinstance(case.body, dict):
        case.body["location_id"] = world["location_id"]  # a location that is not the caller's is bad input (400)


def test_every_lead_and_referral_operation_answers_as_its_schema_says(api, world):
    operations = [result.ok() for result in api.get_all_operations()]
    assert {(op.method.upper(), op.path) for op in operations} >= {
        ("GET", "/api/leads/"), ("POST", "/api/leads/"), ("PATCH", "/api/leads/{id}/"),
        ("POST", "/api/leads/{id}/accept/"), ("GET", "/api/referrals/"), ("POST", "/api/referrals/"),
        ("POST", "/api/referrals/{id}/accept/"), ("POST", "/api/referrals/{id}/stage/"),
    }
    statuses = set()
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
                  derandomize=True, database=None)
        def check(case):
            _point_at_real_records(case, world)
            response = case.call_and_validate(headers=world["headers"], checks=CHECKS)
            statuses.add(response.status_code)

        check()
    # The run reached the services, not only the validation: records were read, made, refused in their state,
    # guarded by If-Match; and schema-valid input was never refused as bad input (positive_data_acceptance).
    assert {200, 201, 404, 409, 412} <= statuses
