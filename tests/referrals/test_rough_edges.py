"""Rough edges a new user hit (issue 15): suggestions list a customer once, places read cleanly, outbound rows say
what they mean, an overdue referral is expired the moment anyone reads or acts on it (page and API), and the
outbound deal API asks for the customer contact the form asks for."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from rest_framework.test import APIClient

from prm_portal.core.errors import InvalidTransition
from prm_portal.core.models import ActivityEvent, OutboxMessage
from referrals.events import ReferralEvent
from referrals.models import Referral
from referrals.selectors import customer_suggestions_for
from referrals.services import referral_accept

from .factories import days_ago, inbound, location_for, outbound

pytestmark = pytest.mark.django_db


def test_a_customer_known_with_and_without_duns_is_suggested_once_with_its_duns(cast):
    outbound(actor=cast.partner_a_user, customer_name="Fabrikam a.s.", customer_duns="", customer_city="")
    outbound(actor=cast.partner_a_user, customer_name="Fabrikam a.s.", customer_duns="123456789",
             customer_city="Brno")
    rows = customer_suggestions_for(user=cast.partner_a_user, q="fabri")
    assert [(r["customer_name"], r["customer_duns"]) for r in rows] == [("Fabrikam a.s.", "123456789")]
    assert rows[0]["where"] == "DUNS 123456789 · Brno, CZ"


def test_two_companies_with_one_name_but_two_duns_numbers_stay_two(cast):
    outbound(actor=cast.partner_a_user, customer_name="Fabrikam a.s.", customer_duns="111111111")
    outbound(actor=cast.partner_a_user, customer_name="Fabrikam a.s.", customer_duns="222222222")
    rows = customer_suggestions_for(user=cast.partner_a_user, q="fabri")
    assert [r["customer_duns"] for r in rows] == ["111111111", "222222222"]


def test_a_suggestion_without_city_has_no_double_space_and_no_dash(cast, login_as):
    outbound(actor=cast.partner_a_user, customer_name="Tailspin", customer_duns="333333333", customer_city="")
    html = login_as(cast.partner_a_user).get(reverse("referrals:customers"), {"q": "tail"},
                                             HTTP_HX_REQUEST="true").content.decode()
    assert "DUNS 333333333 · CZ" in html and "·  " not in html
    assert 'role="option"' in html and 'tabindex="-1"' in html


def test_where_reads_the_country_alone_when_the_city_is_blank(cast, login_as):
    deal = outbound(actor=cast.partner_a_user, customer_city="")
    page = login_as(cast.partner_a_user).get(reverse("referrals:detail", args=[deal.pk])).content.decode()
    assert "<dd>CZ</dd>" in page and "— CZ" not in page


def test_outbound_rows_do_not_repeat_accepted_and_say_created(cast, login_as):
    outbound(actor=cast.partner_a_user, name="Fresh outbound deal")
    page = login_as(cast.partner_a_user).get(reverse("referrals:list"), {"tab": "outbound"}).content.decode()
    assert "Accepted · " not in page
    assert '<div class="muted small">10 %</div>' in page
    head = page.split("<thead>")[1].split("</thead>")[0]
    assert ">Created<" in head and ">Received<" not in head


@pytest.fixture
def overdue(cast):
    referral = inbound(actor=cast.channel_manager, partner=cast.partner_a, customer_name="Overdue Co",
                       received_at=days_ago(15))
    mail.outbox.clear()
    return referral


def _expired_once(referral):
    referral.refresh_from_db()
    assert referral.status == Referral.Status.EXPIRED and referral.closed_at
    assert ActivityEvent.objects.filter(verb=ReferralEvent.EXPIRED, object_id=referral.pk).count() == 1
    assert OutboxMessage.objects.filter(idempotency_key=f"referral-expired-{referral.pk}").count() == 1


def test_opening_an_overdue_referral_expires_it_with_the_event_and_the_email(cast, login_as, overdue):
    client = login_as(cast.partner_a_user)
    page = client.get(reverse("referrals:detail", args=[overdue.pk])).content.decode()
    assert "Answer within" not in page
    _expired_once(overdue)
    client.get(reverse("referrals:detail", args=[overdue.pk]))  # read again: nothing more
    _expired_once(overdue)


def test_the_list_expires_overdue_referrals_before_showing_them(cast, login_as, overdue):
    login_as(cast.partner_a_user).get(reverse("referrals:list"), {"tab": "qualified"})
    _expired_once(overdue)


def test_accepting_an_overdue_referral_is_refused_and_it_is_expired(cast, overdue):
    with pytest.raises(InvalidTransition):
        referral_accept(actor=cast.partner_a_user, referral=overdue, name="Late", estimated_value="1",
                        estimated_close_date=date.today() + timedelta(days=9), notes="Too late")
    _expired_once(overdue)


def _api(cast):
    from prm_portal.core.apitokens import api_token_create

    client = APIClient()
    _token, secret = api_token_create(actor=cast.partner_a_user, name="Tests")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def test_the_api_refuses_to_accept_an_overdue_referral(cast, overdue):
    api = _api(cast)
    body = {"name": "Late", "estimated_value": "1", "estimated_close_date": "2030-01-01", "notes": "x"}
    response = api.post(reverse("referrals_api:referral-accept", kwargs={"pk": overdue.pk}), body, format="json")
    assert response.status_code in (400, 409), response.content
    _expired_once(overdue)
    assert api.get(reverse("referrals_api:referral-detail", kwargs={"pk": overdue.pk})).json()["status"] == "expired"


def test_the_outbound_api_requires_the_customer_contact(cast):
    api = _api(cast)
    body = {"location_id": location_for(cast.partner_a).pk, "customer_name": "Northwind", "name": "NW",
            "estimated_value": "5000", "estimated_close_date": "2030-10-01", "notes": "x", "consent": True,
            "team_members": [{"name": "Ann", "phone": "1", "email": "ann@alpha.example"}],
            "solutions": [{"kind": "product", "name": "Backup"}]}
    response = api.post(reverse("referrals_api:referral-list"), body, format="json")
    assert response.status_code == 400
    assert {"contact_name", "contact_phone", "contact_email"} <= set(response.json()["errors"])
    assert not Referral.objects.exists()
    body.update(contact_name="Nora", contact_phone="+420 1", contact_email="nora@northwind.example")
    assert api.post(reverse("referrals_api:referral-list"), body, format="json").status_code == 201


def test_the_outbound_service_refuses_a_deal_without_the_customer_contact(cast):
    with pytest.raises(InvalidTransition):
        outbound(actor=cast.partner_a_user, contact_phone="")
    assert not Referral.objects.exists()
