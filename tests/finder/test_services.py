"""The finder's inquiries become matched customer-inquiry referrals, move on when a partner declines or lets them
expire, and tell the customer to choose another partner when no match is left (seed 003, E3, E4, E13)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from finder.models import FinderInquiry, FinderSubmission
from finder.services import (
    FinderAlreadySent,
    FinderNoMatch,
    FinderRateLimited,
    finder_inquiry_reoffer_expired,
    finder_inquiry_submit,
)
from prm_portal.core.models import ActivityEvent, OutboxMessage
from prm_portal.core.outbox import outbox_relay
from referrals.events import ReferralEvent
from referrals.models import Referral
from referrals.services import referral_accept, referral_decline, referral_expire_overdue

from .conftest import list_partner

_n = iter(range(10_000))


def submit(partner=None, *, address="203.0.113.5", email="jana@customer.example", language="en", **fields):
    values = {"need": "We need a cloud migration of our ERP.", "company": "Kovo Hradec", "contact_name": "Jana Nová",
              "phone": "+420 777 000 111", "city": "Prague", "country": "CZ", "contact_requested": True,
              "consent": True, **fields}
    return finder_inquiry_submit(token=f"token-{next(_n)}", source_address=address, partner=partner,
                                 language=language, email=email, **values)


def offers(inquiry):
    return list(Referral.objects.filter(inquiry=inquiry.inquiry).order_by("received_at", "pk"))


def outbox(template_key):
    return list(OutboxMessage.objects.filter(payload__template_key=template_key))


def test_inquiry_to_a_chosen_partner_arrives_in_received_with_the_flame(cast, finder_world):
    inquiry = submit(cast.partner_a)
    [referral] = offers(inquiry)
    assert referral.partner_account == cast.partner_a and referral.status == Referral.Status.RECEIVED
    assert referral.referral_type == Referral.Type.CUSTOMER_INQUIRY and referral.location == finder_world["a_location"]
    assert referral.flame() == "hot" and referral.contact_consent and referral.contact_email == "jana@customer.example"
    assert referral.customer_name == "Kovo Hradec" and referral.sender_email == "" and referral.created_by is None
    assert inquiry.chosen_partner == cast.partner_a and inquiry.status == FinderInquiry.Status.OPEN


def test_chosen_partner_gets_its_nearest_location(cast, finder_world):
    list_partner(cast.partner_a, slug="alpha-partners", keywords=["cloud migration"], city="Ostrava")
    [referral] = offers(submit(cast.partner_a, city="ostrava"))
    assert referral.location.city == "Ostrava"


def test_partner_is_notified_and_customer_confirmed_in_their_language(cast, finder_world):
    inquiry = submit(cast.partner_a, language="cs")
    [received] = outbox("referral_received")
    assert received.payload["to"] == cast.partner_a_admin.email
    [confirmation] = outbox("finder_inquiry_received")
    assert confirmation.payload["to"] == "jana@customer.example" and confirmation.payload["language"] == "cs"
    assert confirmation.payload["context"]["partner_name"] == "Alpha Partners"
    outbox_relay()
    assert any(m.to == ["jana@customer.example"] for m in mail.outbox)
    assert inquiry.language == "cs"


def test_best_match_goes_to_the_best_listed_partner_never_an_unlisted_one(cast, finder_world):
    inquiry = submit(need="ERP and a cloud migration and a data platform")
    [referral] = offers(inquiry)
    assert referral.partner_account == cast.partner_a  # the unlisted Hidden Experts would score higher
    assert inquiry.chosen_partner is None
    assert outbox("finder_inquiry_received")[0].payload["context"]["partner_name"] == ""


def test_no_listed_match_is_refused_and_nothing_is_written(cast, finder_world):
    with pytest.raises(FinderNoMatch):
        submit(need="Printer toner", city="Lisbon", country="PT")
    assert not FinderInquiry.objects.exists() and not FinderSubmission.objects.exists()
    assert not Referral.objects.exists() and not OutboxMessage.objects.exists()


def test_unlisted_partner_cannot_be_chosen(cast, finder_world):
    with pytest.raises(Exception) as refused:
        submit(finder_world["hidden"])
    assert "cannot receive requests" in str(refused.value)
    assert not Referral.objects.exists()


def test_decline_offers_the_inquiry_to_the_next_best_match_at_once(cast, finder_world):
    inquiry = submit(cast.partner_a)
    first = offers(inquiry)[0]
    referral_decline(actor=cast.partner_a_admin, referral=first, reason="requirement_not_met")
    first_after, second = offers(inquiry)
    assert first_after.status == Referral.Status.DECLINED
    assert second.partner_account == cast.partner_b and second.status == Referral.Status.RECEIVED
    assert second.inquiry == first.inquiry and second.flame() == "hot" and second.contact_consent
    offered = ActivityEvent.objects.get(verb=ReferralEvent.OFFERED_TO_NEXT, object_id=first.pk)
    assert offered.actor is None
    assert ActivityEvent.objects.filter(verb=ReferralEvent.RECEIVED, object_id=second.pk, actor=None).exists()
    assert not outbox("referral_declined") and not outbox("finder_inquiry_unanswered")


def test_every_match_declining_tells_the_customer_to_choose_another_partner_once(cast, finder_world):
    inquiry = submit(cast.partner_a, language="es")
    referral_decline(actor=cast.partner_a_admin, referral=offers(inquiry)[0], reason="no_budget")
    referral_decline(actor=cast.partner_b_user, referral=offers(inquiry)[1], reason="no_budget")
    inquiry.refresh_from_db()
    assert inquiry.status == FinderInquiry.Status.UNANSWERED and len(offers(inquiry)) == 2
    [told] = outbox("finder_inquiry_unanswered")
    assert told.payload["to"] == "jana@customer.example" and told.payload["language"] == "es"
    assert finder_inquiry_reoffer_expired() == 0
    assert len(outbox("finder_inquiry_unanswered")) == 1
    outbox_relay()
    to_customer = [m for m in mail.outbox if m.to == ["jana@customer.example"]]
    assert len(to_customer) == 2 and "http://testserver/find/" in to_customer[-1].body


def test_expired_inquiry_is_offered_to_the_next_match_once(cast, finder_world):
    inquiry = submit(cast.partner_a)
    Referral.objects.filter(inquiry=inquiry.inquiry).update(received_at=timezone.now() - timedelta(days=20))
    assert referral_expire_overdue() == 1
    first, second = offers(inquiry)
    assert first.status == Referral.Status.EXPIRED and second.partner_account == cast.partner_b
    assert second.status == Referral.Status.RECEIVED
    referral_expire_overdue()
    assert finder_inquiry_reoffer_expired() == 0
    assert len(offers(inquiry)) == 2 and not outbox("referral_expired")


def test_inquiry_expiring_everywhere_tells_the_customer(cast, finder_world):
    inquiry = submit(cast.partner_a)
    for _round in range(2):
        Referral.objects.filter(inquiry=inquiry.inquiry, status="received").update(
            received_at=timezone.now() - timedelta(days=20))
        referral_expire_overdue()
    inquiry.refresh_from_db()
    assert inquiry.status == FinderInquiry.Status.UNANSWERED
    assert len(outbox("finder_inquiry_unanswered")) == 1


def test_accepted_inquiry_is_closed_as_placed_by_the_sweep(cast, finder_world):
    inquiry = submit(cast.partner_a)
    referral_accept(actor=cast.partner_a_admin, referral=offers(inquiry)[0], name="Migration",
                    estimated_value="1000", estimated_close_date=timezone.now().date(), notes="Call her.")
    finder_inquiry_reoffer_expired()
    inquiry.refresh_from_db()
    assert inquiry.status == FinderInquiry.Status.PLACED


def test_offers_stop_at_the_configured_maximum(cast, finder_world, settings):
    settings.FINDER_INQUIRY_MAX_OFFERS = 1
    inquiry = submit(cast.partner_a)
    referral_decline(actor=cast.partner_a_admin, referral=offers(inquiry)[0], reason="no_budget")
    assert len(offers(inquiry)) == 1
    inquiry.refresh_from_db()
    assert inquiry.status == FinderInquiry.Status.UNANSWERED


def test_rate_limit_per_address_refuses_and_writes_nothing(cast, finder_world, settings):
    settings.FINDER_RATE_LIMIT_PER_ADDRESS = 2
    submit(cast.partner_a, email="one@x.example")
    submit(cast.partner_a, email="two@x.example")
    with pytest.raises(FinderRateLimited):
        submit(cast.partner_a, email="three@x.example")
    assert Referral.objects.count() == 2 and FinderSubmission.objects.count() == 2
    submit(cast.partner_a, email="three@x.example", address="198.51.100.7")  # another address may
    assert Referral.objects.count() == 3


def test_rate_limit_per_email_holds_across_addresses(cast, finder_world, settings):
    settings.FINDER_RATE_LIMIT_PER_EMAIL = 2
    submit(cast.partner_a, address="198.51.100.1")
    submit(cast.partner_a, address="198.51.100.2", email="JANA@customer.example")
    with pytest.raises(FinderRateLimited):
        submit(cast.partner_a, address="198.51.100.3")
    assert FinderInquiry.objects.count() == 2


@override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}})
def test_rate_limit_holds_without_a_cache(cast, finder_world, settings):
    settings.FINDER_RATE_LIMIT_PER_ADDRESS = 1
    submit(cast.partner_a)
    with pytest.raises(FinderRateLimited):
        submit(cast.partner_a, email="other@x.example")


def test_the_same_form_sent_twice_makes_one_inquiry(cast, finder_world):
    values = {"need": "Cloud migration", "contact_name": "Jana", "email": "jana@customer.example", "consent": True}
    finder_inquiry_submit(token="same-token", source_address="203.0.113.9", partner=cast.partner_a, **values)
    with pytest.raises(FinderAlreadySent):
        finder_inquiry_submit(token="same-token", source_address="203.0.113.9", partner=cast.partner_a, **values)
    assert FinderInquiry.objects.count() == 1 and Referral.objects.count() == 1
