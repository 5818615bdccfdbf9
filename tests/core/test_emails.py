import pytest
from django.core import mail
from django.db import transaction

from prm_portal.core.emails import email_enqueue
from prm_portal.core.models import EmailTemplate, OutboxMessage
from prm_portal.core.outbox import outbox_relay


def _enqueue(key="k-1", to="rep@alpha.example"):
    email_enqueue(
        template_key="test_ping",
        to=to,
        context={"name": "Adam"},
        idempotency_key=key,
    )


@pytest.mark.django_db(transaction=True)
def test_email_enqueued_inside_a_transaction_is_written_with_it_and_sent_only_after_commit():
    with transaction.atomic():
        _enqueue()
        assert mail.outbox == [], "the email was sent before the transaction committed"
        assert OutboxMessage.objects.get().status == OutboxMessage.Status.PENDING
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["rep@alpha.example"]


@pytest.mark.django_db(transaction=True)
def test_email_enqueued_in_a_rolled_back_transaction_is_never_sent():
    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        _enqueue()
        raise Boom
    assert mail.outbox == [] and not OutboxMessage.objects.exists()


@pytest.mark.django_db
def test_same_idempotency_key_sends_one_email():
    _enqueue(key="x", to="a@b.example")
    outbox_relay()
    _enqueue(key="x", to="a@b.example")
    outbox_relay()
    assert len(mail.outbox) == 1
    assert OutboxMessage.objects.get(idempotency_key="x").status == OutboxMessage.Status.SENT


@pytest.mark.django_db
def test_admin_edited_template_wins_over_the_file_template_in_the_recipients_language():
    EmailTemplate.objects.create(key="test_ping", language="cs", subject="Ahoj {{ name }}", body_text="Text")
    email_enqueue(template_key="test_ping", to="a@b.example", context={"name": "Adam"}, idempotency_key="y",
                  language="cs")
    email_enqueue(template_key="test_ping", to="a@b.example", context={"name": "Adam"}, idempotency_key="z",
                  language="en")
    outbox_relay()
    assert mail.outbox[0].subject == "Ahoj Adam"
    assert mail.outbox[1].subject == "Ping for Adam"
    assert "Adam" in mail.outbox[1].alternatives[0][0]


@pytest.mark.django_db(transaction=True)
def test_many_emails_queued_together_are_sent_after_commit_each_once():
    from prm_portal.core.emails import email_enqueue_many

    messages = [
        {"template_key": "test_ping", "to": f"rep{i}@alpha.example", "context": {"name": f"Rep {i}"},
         "idempotency_key": f"many-{i}", "language": "en"}
        for i in range(3)
    ]
    with transaction.atomic():
        email_enqueue_many(messages)
        email_enqueue_many(messages[:1])  # the same event queued twice still sends once
        assert mail.outbox == []
    assert sorted(m.to[0] for m in mail.outbox) == ["rep0@alpha.example", "rep1@alpha.example", "rep2@alpha.example"]


@pytest.mark.django_db(transaction=True)
def test_a_failed_doorbell_drops_nothing_of_the_batch_and_the_sweep_sends_it(monkeypatch):
    from prm_portal.core import emails
    from prm_portal.core.tasks import outbox_relay_task

    def broker_unreachable():
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(outbox_relay_task, "delay", broker_unreachable)
    with transaction.atomic():
        emails.email_enqueue_many(
            {"template_key": "test_ping", "to": f"r{i}@x.example", "context": {"name": "R"},
             "idempotency_key": f"flaky-{i}", "language": "en"}
            for i in range(3)
        )
    assert mail.outbox == [] and OutboxMessage.objects.count() == 3
    outbox_relay()
    assert sorted(m.to[0] for m in mail.outbox) == ["r0@x.example", "r1@x.example", "r2@x.example"]


@pytest.mark.django_db
def test_an_email_to_a_list_is_refused_when_queued_not_when_delivered():
    """One address per email (its recipient's time zone, preference and unsubscribe link): a list is a caller's
    mistake, said at once, instead of an email the relay could never send (as `make cluster-check` once queued)."""
    with pytest.raises(TypeError, match="one address"):
        email_enqueue(template_key="test_ping", to=["rep@alpha.example"], context={"name": "Adam"},
                      idempotency_key="list-1")
    assert not OutboxMessage.objects.exists()
