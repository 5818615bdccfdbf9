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
