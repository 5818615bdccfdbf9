"""The outbox (F1, F3): emails are rows written with the change; the relay delivers them, retries with a backoff,
fails them visibly, and a vendor admin's Retry sends them again. Real-process and real-thread cases are in
test_outbox_processes.py."""

import smtplib
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail, management
from django.core.exceptions import PermissionDenied
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from prm_portal.celery import app as celery_app
from prm_portal.core.emails import email_enqueue, email_enqueue_many
from prm_portal.core.models import ActivityEvent, OutboxMessage
from prm_portal.core.outbox import outbox_relay, outbox_retry
from prm_portal.core.tasks import email_send_task

Status = OutboxMessage.Status
LOCMEM = "django.core.mail.backends.locmem.EmailBackend"
CHANGELIST = "admin:core_outboxmessage_changelist"


class FailingSMTPBackend(BaseEmailBackend):
    """An SMTP server that answers every message with a temporary error."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPException("451 4.3.0 Mail server temporarily unavailable")


class RecipientRefusedBackend(BaseEmailBackend):
    """An SMTP server that rejects the recipient for good (550)."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPRecipientsRefused({"rep@alpha.example": (550, b"5.1.1 No such user")})


def _enqueue(key="k-1", to="rep@alpha.example", template_key="test_ping"):
    email_enqueue(template_key=template_key, to=to, context={"name": "Adam"}, idempotency_key=key)


@contextmanager
def real_broker(url):
    """Tasks are published to `url` instead of running eagerly (the test settings run them in-process)."""
    saved = {key: celery_app.conf[key] for key in ("task_always_eager", "broker_url")}
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    try:
        yield
    finally:
        celery_app.conf.update(saved)
        celery_app._pool = None
        celery_app.amqp._producer_pool = None


@pytest.mark.django_db(transaction=True)
def test_an_email_committed_while_the_broker_is_down_is_kept_and_the_sweep_delivers_it_once(caplog):
    with real_broker("redis://127.0.0.1:1/0"), transaction.atomic():
        _enqueue(key="broker-down")
    row = OutboxMessage.objects.get(idempotency_key="broker-down")
    assert row.status == Status.PENDING and mail.outbox == []
    assert "doorbell could not reach the broker" in caplog.text
    assert outbox_relay()["sent"] == 1
    assert outbox_relay()["sent"] == 0
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["rep@alpha.example"] and mail.outbox[0].subject == "Ping for Adam"
    assert mail.outbox[0].message()["Message-ID"] == row.message_id
    row.refresh_from_db()
    assert row.status == Status.SENT and row.attempts == 1 and row.sent_at and row.summary == "Ping for Adam"


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_leaves_no_outbox_row_and_sends_nothing():
    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        _enqueue(key="rolled-back")
        raise Boom
    assert not OutboxMessage.objects.exists()
    assert outbox_relay()["sent"] == 0 and mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_the_row_is_written_with_the_change_and_the_email_goes_only_after_commit():
    with transaction.atomic():
        _enqueue(key="after-commit")
        assert OutboxMessage.objects.filter(idempotency_key="after-commit", status=Status.PENDING).exists()
        assert mail.outbox == []
    assert [m.to for m in mail.outbox] == [["rep@alpha.example"]]
    assert OutboxMessage.objects.get(idempotency_key="after-commit").status == Status.SENT


@pytest.mark.django_db(transaction=True)
def test_the_same_idempotency_key_enqueued_twice_is_one_row_and_one_email():
    _enqueue(key="twice")
    _enqueue(key="twice", to="someone-else@alpha.example")
    email_enqueue_many([
        {"template_key": "test_ping", "to": "rep@alpha.example", "context": {"name": "Adam"},
         "idempotency_key": key, "language": "en"}
        for key in ("twice", "many-1", "many-1")
    ])
    assert OutboxMessage.objects.filter(idempotency_key="twice").count() == 1
    assert OutboxMessage.objects.get(idempotency_key="twice").payload["to"] == "rep@alpha.example"
    assert OutboxMessage.objects.count() == 2
    outbox_relay()
    assert sorted(m.to[0] for m in mail.outbox) == ["rep@alpha.example", "rep@alpha.example"]


@pytest.mark.django_db
def test_thousands_of_emails_are_one_insert_per_thousand_and_one_doorbell(django_capture_on_commit_callbacks):
    messages = [{"template_key": "test_ping", "to": f"rep{i}@alpha.example", "context": {"name": f"Rep {i}"},
                 "idempotency_key": f"bulk-{i}", "language": "cs"} for i in range(2500)]
    with django_capture_on_commit_callbacks(execute=False) as callbacks, \
            CaptureQueriesContext(connection) as queries:
        email_enqueue_many(messages)
    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "core_outboxmessage"')]
    assert len(inserts) == 3 and all("ON CONFLICT DO NOTHING" in sql for sql in inserts)
    assert len(callbacks) == 1
    rows = OutboxMessage.objects.filter(idempotency_key__startswith="bulk-")
    assert rows.count() == 2500
    assert len(set(rows.values_list("message_id", flat=True))) == 2500
    row = rows.get(idempotency_key="bulk-7")
    assert row.payload == {"template_key": "test_ping", "to": "rep7@alpha.example", "context": {"name": "Rep 7"},
                           "language": "cs"}
    assert row.message_id.startswith("<") and row.message_id.endswith(f"@{settings.OUTBOX_MESSAGE_ID_DOMAIN}>")


@pytest.mark.django_db
@override_settings(EMAIL_BACKEND="tests.core.test_outbox.FailingSMTPBackend", OUTBOX_MAX_ATTEMPTS=3,
                   OUTBOX_BACKOFF_SECONDS=30)
def test_a_failing_smtp_server_is_retried_with_backoff_then_failed_visibly_and_retry_delivers_it(cast, client):
    _enqueue(key="smtp-fails")
    row = OutboxMessage.objects.get(idempotency_key="smtp-fails")
    for attempt in (1, 2):
        before = timezone.now()
        assert outbox_relay() == {"sent": 0, "retry": 1, "failed": 0}
        row.refresh_from_db()
        assert row.status == Status.PENDING and row.attempts == attempt
        assert "SMTPException: 451 4.3.0 Mail server temporarily unavailable" == row.last_error
        backoff = timedelta(seconds=30 * 2 ** (attempt - 1))
        assert before + backoff <= row.next_attempt_at <= timezone.now() + backoff
        assert outbox_relay() == {"sent": 0, "retry": 0, "failed": 0}, "retried before its backoff ended"
        OutboxMessage.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())  # the backoff passes
    assert outbox_relay() == {"sent": 0, "retry": 0, "failed": 1}
    row.refresh_from_db()
    assert row.status == Status.FAILED and row.attempts == 3 and "temporarily unavailable" in row.last_error
    OutboxMessage.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now() - timedelta(days=1))
    assert outbox_relay() == {"sent": 0, "retry": 0, "failed": 0}, "a Failed message is not retried by itself"
    assert mail.outbox == []

    client.force_login(cast.vendor_admin)
    page = client.get(reverse(CHANGELIST), {"status__exact": "failed"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "rep@alpha.example" in html and "temporarily unavailable" in html and "Failed" in html
    detail = client.get(reverse("admin:core_outboxmessage_change", args=[row.pk]))
    assert detail.status_code == 200 and 'name="_save"' not in detail.content.decode()
    assert "Adam" not in detail.content.decode(), "the email's content (links, tokens) is not shown"

    with override_settings(EMAIL_BACKEND=LOCMEM):
        response = client.post(reverse(CHANGELIST), {"action": "retry", "_selected_action": [row.pk]}, follow=True)
        assert "1 failed message is queued again." in response.content.decode()
        row.refresh_from_db()
        assert row.status == Status.PENDING and row.attempts == 0
        assert outbox_relay() == {"sent": 1, "retry": 0, "failed": 0}
    assert len(mail.outbox) == 1 and mail.outbox[0].message()["Message-ID"] == row.message_id
    row.refresh_from_db()
    assert row.status == Status.SENT and row.attempts == 1
    event = ActivityEvent.objects.get(object_id=row.pk, verb="core.outbox_retried")
    assert event.actor == cast.vendor_admin
    assert event.data == {"changes": {"status": ["failed", "pending"]}}, "nothing of the email is recorded"


@pytest.mark.django_db
@override_settings(EMAIL_BACKEND="tests.core.test_outbox.RecipientRefusedBackend")
def test_a_recipient_the_server_rejects_for_good_fails_at_once():
    _enqueue(key="no-such-user")
    assert outbox_relay() == {"sent": 0, "retry": 0, "failed": 1}
    row = OutboxMessage.objects.get(idempotency_key="no-such-user")
    assert row.status == Status.FAILED and row.attempts == 1 and "No such user" in row.last_error


@pytest.mark.django_db
def test_an_email_whose_template_does_not_exist_fails_at_once_with_the_reason():
    _enqueue(key="no-template", template_key="no_such_email")
    assert outbox_relay() == {"sent": 0, "retry": 0, "failed": 1}
    row = OutboxMessage.objects.get(idempotency_key="no-template")
    assert row.status == Status.FAILED and "no_such_email" in row.last_error


@pytest.mark.django_db
def test_retry_puts_back_only_failed_messages(cast):
    _enqueue(key="waiting")
    _enqueue(key="broken")
    OutboxMessage.objects.filter(idempotency_key="broken").update(status=Status.FAILED, attempts=8)
    ids = list(OutboxMessage.objects.values_list("pk", flat=True))
    assert outbox_retry(actor=cast.vendor_admin, ids=ids) == 1
    assert dict(OutboxMessage.objects.values_list("idempotency_key", "attempts")) == {"waiting": 0, "broken": 0}
    assert ActivityEvent.objects.filter(verb="core.outbox_retried").count() == 1


@pytest.mark.django_db
def test_only_a_vendor_admin_may_retry(cast):
    _enqueue(key="broken")
    row = OutboxMessage.objects.get()
    OutboxMessage.objects.filter(pk=row.pk).update(status=Status.FAILED)
    with pytest.raises(PermissionDenied):
        outbox_retry(actor=cast.channel_manager, ids=[row.pk])
    assert OutboxMessage.objects.get().status == Status.FAILED


@pytest.mark.django_db
def test_the_outbox_admin_is_closed_to_a_channel_manager(cast, client):
    _enqueue(key="secret")
    row = OutboxMessage.objects.get()
    OutboxMessage.objects.filter(pk=row.pk).update(status=Status.FAILED)
    client.force_login(cast.channel_manager)
    assert client.get(reverse(CHANGELIST)).status_code == 403
    assert client.get(reverse("admin:core_outboxmessage_change", args=[row.pk])).status_code == 403
    response = client.post(reverse(CHANGELIST), {"action": "retry", "_selected_action": [row.pk]})
    assert response.status_code == 403
    assert OutboxMessage.objects.get().status == Status.FAILED
    assert "outboxmessage" not in client.get(reverse("admin:index")).content.decode()


@pytest.mark.django_db
def test_the_outbox_admin_adds_and_deletes_nothing(cast, client):
    _enqueue(key="row")
    row = OutboxMessage.objects.get()
    client.force_login(cast.vendor_admin)
    assert client.get(reverse("admin:core_outboxmessage_add")).status_code == 403
    assert client.get(reverse("admin:core_outboxmessage_delete", args=[row.pk])).status_code == 403
    assert client.get(reverse(CHANGELIST), {"q": "rep@alpha"}).context["cl"].result_count == 1


@pytest.mark.django_db(transaction=True)
def test_an_email_task_queued_before_the_outbox_still_sends_once():
    kwargs = {"template_key": "test_ping", "to": "old@alpha.example", "context": {"name": "Old"},
              "idempotency_key": "legacy-1", "language": "en"}
    email_send_task.delay(**kwargs)
    email_send_task.delay(**kwargs)  # the broker redelivers it
    assert [m.to for m in mail.outbox] == [["old@alpha.example"]]
    assert OutboxMessage.objects.get(idempotency_key="legacy-1").status == Status.SENT


@pytest.mark.django_db(transaction=True)
def test_a_migrated_unsent_ledger_row_gets_its_content_back_from_its_queued_task():
    OutboxMessage.objects.create(
        idempotency_key="legacy-2", payload={"template_key": "test_ping", "to": "old@alpha.example", "language": "en"},
        message_id="<old@prm.example>", status=Status.FAILED, last_error="Queued before the outbox existed",
    )
    assert outbox_relay()["sent"] == 0
    email_send_task.delay(template_key="test_ping", to="old@alpha.example", context={"name": "Old"},
                          idempotency_key="legacy-2")
    assert [m.subject for m in mail.outbox] == ["Ping for Old"]
    assert mail.outbox[0].message()["Message-ID"] == "<old@prm.example>"


@pytest.mark.django_db
def test_a_migrated_row_without_content_fails_with_a_reason_instead_of_sending_an_empty_email(cast):
    row = OutboxMessage.objects.create(
        idempotency_key="legacy-3", payload={"template_key": "test_ping", "to": "old@alpha.example"},
        message_id="<old3@prm.example>", status=Status.FAILED,
    )
    outbox_retry(actor=cast.vendor_admin, ids=[row.pk])
    assert outbox_relay() == {"sent": 0, "retry": 0, "failed": 1}
    row.refresh_from_db()
    assert row.status == Status.FAILED and "content was not kept" in row.last_error and mail.outbox == []


@pytest.mark.django_db
def test_setup_periodic_tasks_installs_the_outbox_sweep_every_minute():
    summary = management.call_command("setup_periodic_tasks")
    assert "outbox-relay-sweep" in summary
    task = PeriodicTask.objects.get(name="outbox-relay-sweep")
    assert task.task == "prm_portal.core.tasks.outbox_relay_task" and task.enabled
    assert task.interval.every == 60 and task.interval.period == "seconds"


@pytest.mark.django_db(transaction=True)
def test_the_old_email_ledger_becomes_the_outbox_sent_rows_stay_sent_and_unsent_ones_fail_with_a_reason():
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate([("core", "0002_resource")])
    try:
        old_apps = executor.loader.project_state([("core", "0002_resource")]).apps
        OutboundEmail = old_apps.get_model("core", "OutboundEmail")
        OutboundEmail.objects.create(idempotency_key="old-sent", template_key="test_ping", to="a@b.example",
                                     subject="Ping for A", status="sent", attempts=1, sent_at=timezone.now())
        OutboundEmail.objects.create(idempotency_key="old-stuck", template_key="test_ping", to="c@d.example")
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    sent = OutboxMessage.objects.get(idempotency_key="old-sent")
    assert (sent.status, sent.summary, sent.payload["to"], sent.kind) == (Status.SENT, "Ping for A", "a@b.example",
                                                                          "email")
    stuck = OutboxMessage.objects.get(idempotency_key="old-stuck")
    assert stuck.status == Status.FAILED and "content was not kept" in stuck.last_error
    assert stuck.payload == {"template_key": "test_ping", "to": "c@d.example", "language": "en"}
    assert sent.message_id != stuck.message_id and stuck.message_id.endswith(f"@{settings.OUTBOX_MESSAGE_ID_DOMAIN}>")
    assert outbox_relay() == {"sent": 0, "retry": 0, "failed": 0} and mail.outbox == []


@pytest.mark.django_db
@override_settings(OUTBOX_MAX_ATTEMPTS=3)
def test_a_lease_that_ran_out_is_taken_again_until_the_attempts_are_used_up():
    _enqueue(key="lost-once")
    _enqueue(key="lost-last")
    expired = timezone.now() - timedelta(seconds=1)
    OutboxMessage.objects.filter(idempotency_key="lost-once").update(
        status=Status.SENDING, attempts=1, lease_until=expired, next_attempt_at=expired)
    OutboxMessage.objects.filter(idempotency_key="lost-last").update(
        status=Status.SENDING, attempts=3, lease_until=expired, next_attempt_at=expired)
    assert outbox_relay() == {"sent": 1, "retry": 0, "failed": 0}
    assert [m.to for m in mail.outbox] == [["rep@alpha.example"]]
    rows = {row.idempotency_key: row for row in OutboxMessage.objects.all()}
    assert (rows["lost-once"].status, rows["lost-once"].attempts) == (Status.SENT, 2)
    assert (rows["lost-last"].status, rows["lost-last"].attempts) == (Status.FAILED, 3)
    assert "did not finish" in rows["lost-last"].last_error


class OutOfTimeBackend(BaseEmailBackend):
    """The worker's soft time limit strikes during the first delivery."""

    def send_messages(self, email_messages):
        from celery.exceptions import SoftTimeLimitExceeded

        raise SoftTimeLimitExceeded()


@pytest.mark.django_db
@override_settings(EMAIL_BACKEND="tests.core.test_outbox.OutOfTimeBackend")
def test_a_relay_out_of_time_counts_the_interrupted_attempt_and_gives_back_the_rest():
    from celery.exceptions import SoftTimeLimitExceeded

    for i in range(3):
        _enqueue(key=f"late-{i}")
    with pytest.raises(SoftTimeLimitExceeded):
        outbox_relay()
    rows = {row.idempotency_key: row for row in OutboxMessage.objects.all()}
    assert (rows["late-0"].status, rows["late-0"].attempts) == (Status.PENDING, 1)
    assert "ran out of time" in rows["late-0"].last_error
    assert {(rows[k].status, rows[k].attempts, rows[k].lease_until) for k in ("late-1", "late-2")} == {
        (Status.PENDING, 0, None)}
