"""E4: the expiry task, set-based, idempotent and safe on two workers at once (real threads, PostgreSQL)."""

import threading

import pytest
from django.core import mail
from django.db import connection, connections
from django.test import override_settings

from prm_portal.core.models import ActivityEvent, OutboxMessage
from referrals.events import ReferralEvent
from referrals.models import Referral
from referrals.services import referral_expire_overdue
from referrals.tasks import referral_expire_overdue_task

from .factories import accepted, days_ago, inbound


def _overdue_and_others(cast, n=6):
    overdue = [inbound(actor=cast.channel_manager, partner=cast.partner_a, customer_name=f"Old {i}",
                       received_at=days_ago(15, hours=i)) for i in range(n)]
    fresh = inbound(actor=cast.channel_manager, partner=cast.partner_a, customer_name="Fresh",
                    received_at=days_ago(10))
    # Answered in time, long ago: received 20 days ago and accepted then (an overdue one can no longer be accepted).
    answered = accepted(actor=cast.partner_a_user, referral=inbound(
        actor=cast.channel_manager, partner=cast.partner_a, customer_name="Answered", received_at=days_ago(1)))
    Referral.objects.filter(pk=answered.pk).update(received_at=days_ago(20))
    mail.outbox.clear()
    return overdue, fresh, answered


@pytest.mark.django_db(transaction=True)
def test_overdue_received_referrals_expire_and_senders_get_one_email_each(cast):
    overdue, fresh, answered = _overdue_and_others(cast)
    assert referral_expire_overdue(batch_size=4) == len(overdue)
    statuses = dict(Referral.objects.values_list("customer_name", "status"))
    assert {statuses[r.customer_name] for r in overdue} == {"expired"}
    assert statuses["Fresh"] == "received" and statuses["Answered"] == "accepted"
    assert sorted(m.to[0] for m in mail.outbox) == [cast.channel_manager.email] * len(overdue)
    assert all("expired" in m.subject.lower() for m in mail.outbox)
    events = ActivityEvent.objects.filter(verb=ReferralEvent.EXPIRED)
    assert sorted(events.values_list("object_id", flat=True)) == sorted(r.pk for r in overdue)
    # The expiry is one write of each referral: its version moves on and the event carries the new one.
    assert all(e.data == {"changes": {"status": ["received", "expired"]}, "version": 2} for e in events)
    assert {r.version for r in Referral.objects.filter(status="expired")} == {2}
    assert Referral.objects.filter(status="expired", closed_at__isnull=True).count() == 0


@pytest.mark.django_db(transaction=True)
def test_running_expiry_twice_changes_and_sends_nothing_more(cast):
    overdue, *_ = _overdue_and_others(cast)
    referral_expire_overdue_task.delay()
    first = len(mail.outbox)
    assert referral_expire_overdue() == 0
    assert len(mail.outbox) == first == len(overdue)
    assert ActivityEvent.objects.filter(verb=ReferralEvent.EXPIRED).count() == len(overdue)
    assert OutboxMessage.objects.filter(payload__template_key="referral_expired").count() == len(overdue)


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_expire_and_email_each_referral_once(cast):
    overdue, *_ = _overdue_and_others(cast, n=40)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            barrier.wait(timeout=10)
            results.append(referral_expire_overdue(batch_size=3))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert sum(results) == len(overdue)
    assert ActivityEvent.objects.filter(verb=ReferralEvent.EXPIRED).count() == len(overdue)
    keys = list(OutboxMessage.objects.filter(payload__template_key="referral_expired").values_list("idempotency_key",
                                                                                                  flat=True))
    assert sorted(keys) == sorted(f"referral-expired-{r.pk}" for r in overdue)
    assert len(mail.outbox) == len(overdue)


@pytest.mark.django_db(transaction=True)
def test_a_partner_answering_while_expiry_runs_wins_or_loses_cleanly(cast):
    """The row lock decides: either the accept or the expiry, never both."""
    referral = inbound(actor=cast.channel_manager, partner=cast.partner_a, received_at=days_ago(15))
    barrier = threading.Barrier(2)
    outcome = {}

    def accept():
        from prm_portal.core.errors import InvalidTransition

        barrier.wait(timeout=10)
        try:
            accepted(actor=cast.partner_a_user, referral=referral)
            outcome["accept"] = True
        except InvalidTransition:
            outcome["accept"] = False
        finally:
            connections.close_all()

    def expire():
        barrier.wait(timeout=10)
        outcome["expired"] = referral_expire_overdue()
        connections.close_all()

    threads = [threading.Thread(target=accept), threading.Thread(target=expire)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    referral.refresh_from_db()
    # The accept may also lose to its own check (an overdue referral expires when answered): then the beat's run
    # finds nothing left to expire. Either way one outcome, recorded once.
    assert referral.status == ("accepted" if outcome["accept"] else "expired")
    assert not (outcome["accept"] and outcome["expired"])
    from prm_portal.core.models import ActivityEvent

    verbs = list(ActivityEvent.objects.filter(object_id=referral.pk, verb__in=["referral.accepted", "referral.expired"])
                 .values_list("verb", flat=True))
    assert verbs == ["referral.accepted" if outcome["accept"] else "referral.expired"]


@pytest.mark.django_db
@override_settings(REFERRAL_EXPIRY_DAYS=3)
def test_expiry_period_is_a_setting(cast):
    inbound(actor=cast.channel_manager, partner=cast.partner_a, received_at=days_ago(4))
    assert connection.vendor == "postgresql"
    assert referral_expire_overdue() == 1
