"""Referrals (E1-E13): who gets what. Partner A's referral is invisible (404) to partner B and B's manager."""

from referrals.models import SalesStage
from referrals.services import deal_registration_submit, referral_stage_mark, referral_win
from tests.referrals.factories import accepted, inbound, outbound

from .matrix import Expect, only, signed_in

SEES_A = ("partner_a_user", "partner_a_admin", "channel_manager", "vendor_admin")
A_MEMBERS = ("partner_a_user", "partner_a_admin")
VENDOR = ("channel_manager", "other_channel_manager", "vendor_admin")
API_ANON = {"anonymous": 401}  # no credentials: 401 with WWW-Authenticate: Bearer
STAFF_403 = {"channel_manager": 403, "vendor_admin": 403}


def a_received(cast):
    return {"pk": inbound(actor=cast.channel_manager, partner=cast.partner_a).pk}


def a_registered(cast):
    deal = outbound(actor=cast.partner_a_user)
    for stage in (SalesStage.SECURING_LOE, SalesStage.DATA_COLLECTION, SalesStage.PREPARING_REPORT,
                  SalesStage.PRESENT_TO_CUSTOMER):
        referral_stage_mark(actor=cast.partner_a_user, referral=deal, stage=stage)
    referral_win(actor=cast.partner_a_user, referral=deal)
    deal_registration_submit(actor=cast.partner_a_user, referral=deal, contract_value="12000",
                             contract_signed_on="2026-01-10", details="Signed.")
    return {"pk": deal.pk}


def a_accepted(cast):
    referral = inbound(actor=cast.channel_manager, partner=cast.partner_a)
    return {"pk": accepted(actor=cast.partner_a_user, referral=referral).pk}


def post(kwargs, allowed=SEES_A, ok=400, **status):
    return Expect(only(allowed, ok=ok, **status), kwargs=kwargs, method="post")


EXPECTATIONS = {
    "referrals:list": Expect(signed_in()),
    "referrals:new": Expect(only(("partner_a_user", "partner_a_admin", "partner_b_user"))),
    "referrals:customers": Expect(signed_in()),
    "referrals:send": Expect(only(VENDOR)),
    "referrals:registrations": Expect(only(VENDOR)),
    "referrals:detail": Expect(only(SEES_A), kwargs=a_received),
    # Empty forms: whoever sees the referral gets the form back with its errors (400); others 404.
    "referrals:accept": post(a_received),
    "referrals:decline": post(a_received),
    "referrals:edit": post(a_accepted),
    "referrals:team_add": post(a_accepted),
    "referrals:lost": post(a_accepted),
    # No form to fail: the service refuses (message + redirect) or does it (redirect).
    "referrals:stage": post(a_accepted, ok=302),
    "referrals:won": post(a_received, ok=302),
    "referrals:favorite": post(a_received, ok=302),
    "referrals:register": post(a_registered),
    # Only the partner's channel manager and vendor admins review; the empty form comes back with errors.
    "referrals:review": post(a_registered, allowed=("channel_manager", "vendor_admin")),
    # A received referral cannot be offered on: its manager and vendor admins get a message and a redirect.
    "referrals:offer_next": post(a_received, allowed=("channel_manager", "vendor_admin"), ok=302),
    # API (E12): session or token auth; anonymous 401; same 404s.
    "referrals_api:referral-list": Expect(signed_in(200, **API_ANON)),
    "referrals_api:referral-detail": Expect(only(SEES_A, **API_ANON), kwargs=a_received),
    # Working a referral is its partner's: vendor staff who see it are refused (403) before the input is read.
    "referrals_api:referral-accept": post(a_received, **API_ANON, **STAFF_403),
    "referrals_api:referral-decline": post(a_received, **API_ANON, **STAFF_403),
    "referrals_api:referral-stage": post(a_accepted, **API_ANON, **STAFF_403),
    "referrals_api:referral-lost": post(a_accepted, **API_ANON, **STAFF_403),
    # Won on a received referral: its partner's people get 409 (wrong state), vendor staff 403 (not theirs to do).
    "referrals_api:referral-won": post(a_received, ok=409, channel_manager=403, vendor_admin=403, **API_ANON),
}
