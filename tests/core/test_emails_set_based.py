"""Emails written by a set-based statement (email_enqueue_sql + email_enqueued, issue 12): the same outbox row as
email_enqueue's, once per key, sent only after commit, and the recipients' preferences applied by the same router."""

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from prm_portal.core import emails
from prm_portal.core.emails import email_enqueue, email_enqueue_sql, email_enqueued
from prm_portal.core.models import OutboxMessage
from prm_portal.core.outbox import outbox_relay

ROWS = """
SELECT 'set-' || n AS idempotency_key, 'test_ping' AS template_key, 'p' || n || '@example.com' AS "to",
       'en' AS language, jsonb_build_object('name', 'Person ' || n) AS context
FROM generate_series(1, %(count)s) AS n
"""


def _write(count):
    """One statement writes `count` emails; returns the ids of the rows it wrote, as email_enqueued takes them."""
    sql, params = email_enqueue_sql(rows_sql=ROWS)
    with connection.cursor() as cursor:
        cursor.execute(f"WITH emails AS ({sql}) SELECT ARRAY(SELECT id FROM emails)", {**params, "count": count})
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_a_statement_writes_the_row_email_enqueue_would_write():
    ids = _write(1)
    email_enqueued(ids)
    written = OutboxMessage.objects.get(pk=ids[0])
    written.delete()
    email_enqueue(template_key="test_ping", to="p1@example.com", context={"name": "Person 1"},
                  idempotency_key="set-1")
    python = OutboxMessage.objects.get(idempotency_key="set-1")
    for field in ("kind", "idempotency_key", "payload", "status", "attempts", "summary", "last_error", "lease_until",
                  "sent_at"):
        assert getattr(written, field) == getattr(python, field), field
    assert written.message_id.startswith("<") and written.message_id.endswith(">")
    assert written.message_id.split("@")[1] == python.message_id.split("@")[1]
    assert written.message_id != python.message_id


@pytest.mark.django_db
def test_a_key_already_in_the_outbox_stays_one_row_and_is_not_returned():
    first = _write(2)
    again = _write(3)
    assert len(first) == 2 and len(again) == 1
    assert OutboxMessage.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_the_emails_go_only_after_commit_with_one_doorbell():
    with transaction.atomic():
        email_enqueued(_write(3))
        assert mail.outbox == []
    assert sorted(m.to[0] for m in mail.outbox) == ["p1@example.com", "p2@example.com", "p3@example.com"]
    assert {m.subject for m in mail.outbox} == {"Ping for Person 1", "Ping for Person 2", "Ping for Person 3"}


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_statement_leaves_nothing():
    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        email_enqueued(_write(2))
        raise Boom
    assert not OutboxMessage.objects.exists() and mail.outbox == []


@pytest.mark.django_db
def test_without_preferences_the_router_costs_one_query_and_reads_no_row():
    ids = _write(50)
    with CaptureQueriesContext(connection) as queries:
        email_enqueued(ids)
    assert len(queries) == 1 and "core_outboxmessage" not in queries[0]["sql"]


@pytest.mark.django_db
def test_what_the_router_does_not_keep_leaves_the_outbox(monkeypatch):
    seen = []

    def route(messages):
        seen.extend(messages)
        return [m for m in messages if m["to"] != "p2@example.com"]

    monkeypatch.setattr(emails, "notification_route", route)
    email_enqueued(_write(3))
    assert sorted(OutboxMessage.objects.values_list("idempotency_key", flat=True)) == ["set-1", "set-3"]
    # The router saw each message as email_enqueue_many hands them to it.
    assert seen[0] == {"idempotency_key": "set-1", "template_key": "test_ping", "to": "p1@example.com",
                       "context": {"name": "Person 1"}, "language": "en", "kind": None, "user": None}


@pytest.mark.django_db
def test_a_router_that_drops_everything_without_reading_still_empties_the_outbox(monkeypatch):
    monkeypatch.setattr(emails, "notification_route", lambda messages: [])
    email_enqueued(_write(2))
    assert not OutboxMessage.objects.exists()
    outbox_relay()
    assert mail.outbox == []
