"""Issue 10, list filters: declared and validated (a bad value is 400 naming the filter, never ignored), lists in
`updated_at` then `id` order, and `updated_after` fetching what changed since a sync."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from leads.models import Lead
from leads.services import lead_update
from referrals.models import Referral
from tests.factories import LeadFactory, QueueFactory
from tests.referrals.factories import accepted, inbound, location_for, outbound

pytestmark = pytest.mark.django_db

LEADS, REFERRALS = "/api/leads/", "/api/referrals/"


def _as(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _ids(response):
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


def _backdate(model, obj, **delta):
    model.objects.filter(pk=obj.pk).update(updated_at=timezone.now() - timedelta(**delta))


def test_lead_filters_narrow_the_list(vendor_admin, partner_a_user):
    queue = QueueFactory()
    queued = LeadFactory(queue=queue, country="CZ")
    owned = LeadFactory(owner=partner_a_user, partner_account=partner_a_user.partner_account, country="DE",
                        status=Lead.Status.WORKING)
    api = _as(vendor_admin)
    assert _ids(api.get(LEADS, {"queue": queue.pk})) == [queued.pk]
    assert _ids(api.get(LEADS, {"owner": partner_a_user.pk})) == [owned.pk]
    assert _ids(api.get(LEADS, {"status": "working"})) == [owned.pk]
    assert _ids(api.get(LEADS, {"country": "cz"})) == [queued.pk]
    Lead.objects.filter(pk=queued.pk).update(created_at=timezone.now() - timedelta(days=3))
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert _ids(api.get(LEADS, {"created_after": since})) == [owned.pk]


@pytest.mark.parametrize(("name", "value"), [
    ("status", "closed"), ("queue", "abc"), ("queue", "0"), ("owner", "99999999999999999999999"),
    ("country", "CZE"), ("updated_after", "yesterday"), ("created_after", "2026-13-01T00:00:00Z"),
])
def test_a_bad_lead_filter_is_400_naming_it(vendor_admin, name, value):
    LeadFactory()
    response = _as(vendor_admin).get(LEADS, {name: value})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation" and name in body["errors"]


def test_updated_after_returns_what_changed_since_oldest_change_first(vendor_admin, channel_manager):
    old, changed, untouched = LeadFactory(), LeadFactory(), LeadFactory()
    for lead, days in ((old, 5), (changed, 4), (untouched, 3)):
        _backdate(Lead, lead, days=days)
    api = _as(vendor_admin)
    assert _ids(api.get(LEADS)) == [old.pk, changed.pk, untouched.pk]  # updated_at, then id
    synced_at = timezone.now() - timedelta(days=2)
    lead_update(actor=vendor_admin, lead=Lead.objects.get(pk=changed.pk), phone="+420 1")
    assert _ids(api.get(LEADS, {"updated_after": synced_at.isoformat()})) == [changed.pk]
    last_seen = api.get(LEADS, {"updated_after": synced_at.isoformat()}).json()["results"][-1]["updated_at"]
    assert _ids(api.get(LEADS, {"updated_after": last_seen})) == [changed.pk]  # at or after: nothing missed


def test_a_far_offset_or_ancient_moment_is_a_moment_not_an_error(vendor_admin):
    lead = LeadFactory()
    api = _as(vendor_admin)
    assert _ids(api.get(LEADS, {"updated_after": "0247-01-28T03:32:13-19:19"})) == [lead.pk]
    assert _ids(api.get(LEADS, {"updated_after": "0001-01-01T00:00:00+23:59"})) == [lead.pk]
    assert _ids(api.get(LEADS, {"updated_after": "9999-12-31T23:59:59-23:59"})) == []


def test_referral_filters_narrow_the_list(cast):
    received = inbound(actor=cast.channel_manager, partner=cast.partner_a)
    deal = accepted(actor=cast.partner_a_user, referral=inbound(actor=cast.channel_manager, partner=cast.partner_a,
                                                                  referral_type=Referral.Type.MARKETING_QUALIFIED))
    own = outbound(actor=cast.partner_a_user)
    other_location = location_for(cast.partner_a, name="Brno", city="Brno")
    in_brno = inbound(actor=cast.channel_manager, partner=cast.partner_a, location=other_location)
    api = _as(cast.partner_a_user)
    assert set(_ids(api.get(REFERRALS, {"status": "received"}))) == {received.pk, in_brno.pk}
    assert _ids(api.get(REFERRALS, {"direction": "outbound"})) == [own.pk]
    assert _ids(api.get(REFERRALS, {"type": "marketing_qualified"})) == [deal.pk]
    assert _ids(api.get(REFERRALS, {"deal_type": "solution_assessment"})) == [own.pk]
    assert _ids(api.get(REFERRALS, {"location": other_location.pk})) == [in_brno.pk]
    assert _ids(api.get(REFERRALS, {"tab": "outbound"})) == [own.pk]
    _backdate(Referral, received, days=3)
    assert received.pk not in _ids(api.get(REFERRALS, {"updated_after": (timezone.now() - timedelta(days=1))
                                                       .isoformat()}))


@pytest.mark.parametrize(("name", "value"), [
    ("status", "open"), ("direction", "sideways"), ("type", "rumour"), ("deal_type", "barter"),
    ("location", "-1"), ("updated_after", "soon"), ("tab", "archive"), ("q", "x" * 101), ("q", "a\x00b"),
])
def test_a_bad_referral_filter_is_400_naming_it(cast, name, value):
    response = _as(cast.partner_a_user).get(REFERRALS, {name: value})
    assert response.status_code == 400
    assert name in response.json()["errors"]


def test_a_page_past_the_last_is_404_with_the_error_body(vendor_admin):
    response = _as(vendor_admin).get(LEADS, {"page": 7})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
