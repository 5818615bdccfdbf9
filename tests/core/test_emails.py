import pytest
from django.core import mail
from django.db import transaction

from prm_portal.core.emails import email_enqueue, email_send
from prm_portal.core.models import EmailTemplate, OutboundEmail


def _enqueue(key="k-1", to="rep@alpha.example"):
    email_enqueue(
        template_key="test_ping",
        to=to,
        context={"name": "Adam"},
        idempotency_key=key,
    )


@pytest.mark.django_db(transaction=True)
def test_task_enqueued_inside_a_transaction_runs_only_after_commit():
    with transaction.atomic():
        _enqueue()
        assert mail.outbox == [], "the email task ran before the transaction committed"
        assert not OutboundEmail.objects.exists()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["rep@alpha.example"]


@pytest.mark.django_db(transaction=True)
def test_task_enqueued_in_a_rolled_back_transaction_never_runs():
    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        _enqueue()
        raise Boom
    assert mail.outbox == []


@pytest.mark.django_db
def test_same_idempotency_key_sends_one_email():
    assert email_send(template_key="test_ping", to="a@b.example", context={"name": "A"}, idempotency_key="x")
    assert not email_send(template_key="test_ping", to="a@b.example", context={"name": "A"}, idempotency_key="x")
    assert len(mail.outbox) == 1
    assert OutboundEmail.objects.get(idempotency_key="x").status == OutboundEmail.Status.SENT


@pytest.mark.django_db
def test_admin_edited_template_wins_over_the_file_template_in_the_recipients_language():
    EmailTemplate.objects.create(key="test_ping", language="cs", subject="Ahoj {{ name }}", body_text="Text")
    email_send(template_key="test_ping", to="a@b.example", context={"name": "Adam"}, idempotency_key="y",
               language="cs")
    email_send(template_key="test_ping", to="a@b.example", context={"name": "Adam"}, idempotency_key="z",
               language="en")
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
def test_one_failed_publish_does_not_drop_the_rest_of_the_batch(monkeypatch):
    from prm_portal.core import emails

    task = emails._send_task()
    real_delay = task.delay

    def flaky_delay(**kwargs):
        if kwargs["idempotency_key"] == "flaky-0":
            raise ConnectionError("broker unreachable")
        return real_delay(**kwargs)

    monkeypatch.setattr(task, "delay", flaky_delay)
    with transaction.atomic():
        emails.email_enqueue_many(
            {"template_key": "test_ping", "to": f"r{i}@x.example", "context": {"name": "R"},
             "idempotency_key": f"flaky-{i}", "language": "en"}
            for i in range(3)
        )
    assert sorted(m.to[0] for m in mail.outbox) == ["r1@x.example", "r2@x.example"]
