"""E4 at scale: a batch of the expiry is one statement whatever its size (change, events and emails written in SQL),
the emails it writes are the ones the Python path writes, and each sender's notification preference still decides
(issue 12)."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.models import Delivery, DigestItem, NotificationPolicy, NotificationPreference
from prm_portal.core.models import ActivityEvent, OutboxMessage
from prm_portal.core.outbox import outbox_relay
from referrals.events import ReferralEvent
from referrals.models import Referral
from referrals.services import expiry, referral_expire_overdue

from .factories import days_ago, inbound

pytestmark = pytest.mark.django_db


def _overdue(cast, n, *, actor=None, partner=None, **overrides):
    return [inbound(actor=actor or cast.channel_manager, partner=partner or cast.partner_a,
                    customer_name=f"Old {i}", received_at=days_ago(15, hours=i), **overrides) for i in range(n)]


def _expiry_queries(batch_size):
    OutboxMessage.objects.all().delete()  # what the referrals' own sending queued
    with CaptureQueriesContext(connection) as queries:
        expired = referral_expire_overdue(batch_size=batch_size)
    return expired, [q["sql"] for q in queries.captured_queries]


def test_queries_per_batch_do_not_grow_with_the_referrals_in_it(cast):
    _overdue(cast, 2)
    expired, small = _expiry_queries(batch_size=50)
    assert expired == 2
    _overdue(cast, 30)
    expired, large = _expiry_queries(batch_size=50)
    assert expired == 30
    assert len(large) == len(small)
    # One batch: its savepoint, the one statement (status, events, emails), the preference router's one question,
    # the savepoint's release; then the finder's look for inquiries to offer on (2 queries).
    writes = [sql for sql in large if "UPDATE referrals_referral" in sql]
    assert len(writes) == 1 and "core_activityevent" in writes[0] and "core_outboxmessage" in writes[0]
    assert len(large) == 6, "\n".join(large)


def test_each_batch_costs_the_same_queries(cast):
    _overdue(cast, 12)
    expired, queries = _expiry_queries(batch_size=5)  # batches of 5, 5 and 2
    assert expired == 12
    assert len(queries) == 2 + 3 * 4, "\n".join(queries)
    assert ActivityEvent.objects.filter(verb=ReferralEvent.EXPIRED).count() == 12
    assert OutboxMessage.objects.filter(idempotency_key__startswith="referral-expired-").count() == 12


def test_the_email_written_in_sql_is_the_one_the_python_path_writes(cast):
    cast.channel_manager.language = "cs"
    cast.channel_manager.save(update_fields=["language"])
    [named] = _overdue(cast, 1)  # sent by the channel manager, who reads Czech
    Referral.objects.filter(pk=named.pk).update(name="Cloud ERP")
    [inquiry] = _overdue(cast, 1, referral_type=Referral.Type.CUSTOMER_INQUIRY)  # the customer is the sender
    assert referral_expire_overdue() == 2
    for referral in (named, inquiry):
        key = f"referral-expired-{referral.pk}"
        sql_written = OutboxMessage.objects.get(idempotency_key=key)
        sql_written.delete()
        r = Referral.objects.get(pk=referral.pk)
        expiry._email_senders([(r.pk, r.partner_account_id, r.sender_id, r.sender_email, r.sender_name,
                                r.customer_name, r.name, r.referral_type, r.version)])
        python_written = OutboxMessage.objects.get(idempotency_key=key)
        assert python_written.payload == sql_written.payload
        assert (python_written.kind, python_written.status, python_written.attempts) == (
            sql_written.kind, sql_written.status, sql_written.attempts)
    payload = OutboxMessage.objects.get(idempotency_key=f"referral-expired-{named.pk}").payload
    assert payload["to"] == "cm@vendor.example" and payload["language"] == "cs"
    assert payload["context"]["title"] == "Cloud ERP" and payload["context"]["partner_name"] == "Alpha Partners"
    assert payload["context"]["is_customer_inquiry"] is False
    payload = OutboxMessage.objects.get(idempotency_key=f"referral-expired-{inquiry.pk}").payload
    assert payload["to"] == "karel@contoso.example" and payload["language"] == "en"
    assert payload["context"]["title"] == "Old 0" and payload["context"]["is_customer_inquiry"] is True


def test_the_expiry_email_is_sent_with_a_message_id_and_a_rendered_subject(cast):
    _overdue(cast, 1)
    mail.outbox.clear()
    referral_expire_overdue()
    outbox_relay()
    [message] = [m for m in mail.outbox if "expired" in m.subject.lower()]
    assert message.to == [cast.channel_manager.email]
    row = OutboxMessage.objects.get(idempotency_key__startswith="referral-expired-")
    assert row.status == OutboxMessage.Status.SENT and message.extra_headers["Message-ID"] == row.message_id
    assert row.message_id.startswith("<") and row.message_id.endswith(">")


def test_a_sender_who_chose_the_digest_or_nothing_gets_no_email_and_others_still_do(cast):
    digest_sender, silent_sender, plain_sender = cast.channel_manager, cast.other_channel_manager, cast.vendor_admin
    NotificationPreference.objects.create(user=digest_sender, kind="referral_expiry", delivery=Delivery.DIGEST)
    NotificationPreference.objects.create(user=silent_sender, kind="referral_expiry", delivery=Delivery.NONE)
    to_digest = _overdue(cast, 2)
    silenced = _overdue(cast, 2, actor=silent_sender, partner=cast.partner_b)
    plain = _overdue(cast, 1, actor=plain_sender)
    OutboxMessage.objects.all().delete()
    assert referral_expire_overdue(batch_size=3) == 5
    keys = set(OutboxMessage.objects.values_list("idempotency_key", flat=True))
    assert keys == {f"referral-expired-{r.pk}" for r in plain}
    items = DigestItem.objects.filter(user=digest_sender)
    assert set(items.values_list("idempotency_key", flat=True)) == {f"referral-expired-{r.pk}" for r in to_digest}
    assert {item.template_key for item in items} == {"referral_expired"}
    assert not DigestItem.objects.filter(user=silent_sender).exists()
    # All five expired, each with its event, whatever became of its email.
    assert Referral.objects.filter(pk__in=[r.pk for r in to_digest + silenced + plain], status="expired").count() == 5
    assert ActivityEvent.objects.filter(verb=ReferralEvent.EXPIRED).count() == 5


def test_a_kind_the_vendor_made_mandatory_goes_at_once_whatever_the_sender_chose(cast):
    NotificationPreference.objects.create(user=cast.channel_manager, kind="referral_expiry", delivery=Delivery.NONE)
    NotificationPolicy.objects.create(kind="referral_expiry", mandatory=True)
    overdue = _overdue(cast, 2)
    OutboxMessage.objects.all().delete()
    assert referral_expire_overdue() == 2
    assert set(OutboxMessage.objects.values_list("idempotency_key", flat=True)) == {
        f"referral-expired-{r.pk}" for r in overdue}


def test_an_email_already_in_the_outbox_is_left_alone_by_the_router(cast):
    """Only rows this run wrote are ever taken back out of the outbox: one queued earlier under the same key stays."""
    [referral] = _overdue(cast, 1)
    OutboxMessage.objects.all().delete()
    earlier = OutboxMessage.objects.create(idempotency_key=f"referral-expired-{referral.pk}", message_id="<x@y>",
                                           payload={"template_key": "referral_expired", "to": "cm@vendor.example",
                                                    "context": {}, "language": "en"})
    NotificationPreference.objects.create(user=cast.channel_manager, kind="referral_expiry", delivery=Delivery.NONE)
    assert referral_expire_overdue() == 1
    assert list(OutboxMessage.objects.values_list("pk", flat=True)) == [earlier.pk]
