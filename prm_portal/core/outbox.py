"""The transactional outbox (F1, F3): what the portal owes the outside world, delivered at least once, never lost.

A service writes its messages with `outbox_enqueue_many(...)` inside its own transaction, so a rolled-back change
leaves nothing, and the same call rings a doorbell on commit (`outbox_relay_task.delay()`). The doorbell is only a
shortcut: if the broker is down it is logged and dropped, and the beat sweep runs the same relay every minute.

`outbox_relay()` works batch by batch, and holds no lock and no transaction across the network:

1. claim: one `UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED)` marks due rows Sending, leases them
   for OUTBOX_LEASE_SECONDS and counts the attempt; then commits;
2. deliver each row with the function registered for its kind (`@outbox_deliverer("email")`);
3. record each outcome: Sent; or Pending again after an exponential backoff; or Failed after the last attempt
   (or at once when the deliver function raises PermanentDeliveryError), the error kept on the row.

A relay that dies mid-delivery leaves its rows Sending; when the lease ends they are due again and the next relay
takes them. Delivery is therefore at least once, never zero times: an email carries the same Message-ID on every
attempt, so a receiving server (or person) can tell a repeat. Two relays never take the same row (SKIP LOCKED, and
a claim moves the row out of the due set before its transaction commits).

A new kind (webhooks) is one more `OutboxMessage.Kind` and one more `@outbox_deliverer(kind)` function.
"""

import logging
import time
from collections import Counter
from datetime import timedelta
from email.utils import make_msgid

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .events import INTERNAL, EventType, register
from .models import ActivityEvent, OutboxMessage

logger = logging.getLogger(__name__)

Status = OutboxMessage.Status

DELIVERERS = {}
RETRY_POLICIES = {}  # kind -> {"max_attempts", "backoff_seconds", "backoff_max_seconds"}; else the OUTBOX_* settings
INSERT_BATCH_SIZE = 1000
ERROR_MAX_LENGTH = 4000
EXHAUSTED_ERROR = "No attempts left: the last one did not finish (its worker stopped or ran out of time)."
OUT_OF_TIME_ERROR = "The relay ran out of time during this delivery."


@register
class OutboxEvent(EventType):
    RETRIED = "core.outbox_retried", INTERNAL, _("%(actor)s put the failed message back in the queue")

    def shows_changes(self):
        return False


class PermanentDeliveryError(Exception):
    """A deliver function raises this when trying again cannot help: the row goes to Failed at once."""


def outbox_deliverer(kind, *, max_attempts=None, backoff_seconds=None, backoff_max_seconds=None):
    """Register the function that delivers messages of `kind`. It takes the OutboxMessage, raises on failure, and
    may return a short summary to keep on the row (an email's subject). It runs outside any transaction.
    A kind may have its own retry policy (webhooks retry for about a day); unset values are the OUTBOX_* settings."""

    def register(func):
        DELIVERERS[kind] = func
        policy = {"max_attempts": max_attempts, "backoff_seconds": backoff_seconds,
                  "backoff_max_seconds": backoff_max_seconds}
        RETRY_POLICIES[str(kind)] = {key: value for key, value in policy.items() if value is not None}
        return func

    return register


def outbox_max_attempts(kind=None) -> int:
    """How many attempts a message of `kind` gets before it is Failed."""
    return RETRY_POLICIES.get(str(kind), {}).get("max_attempts", settings.OUTBOX_MAX_ATTEMPTS)


def _kinds_with_own_attempts():
    return {kind: policy["max_attempts"] for kind, policy in RETRY_POLICIES.items() if "max_attempts" in policy}


def outbox_enqueue_many(*, kind, messages):
    """Write messages, [(idempotency_key, payload), ...], in the caller's transaction and ring the doorbell once on
    commit. One `INSERT ... ON CONFLICT DO NOTHING` per thousand messages: a key already in the outbox (or twice in
    the list) stays one row, so an event queued twice is delivered once. Each row gets its Message-ID here, once."""
    domain = settings.OUTBOX_MESSAGE_ID_DOMAIN
    if connection.vendor == "postgresql":
        messages = list(messages)
        if not messages:
            return
        _enqueue_unnest(kind=kind, messages=messages, domain=domain)
        outbox_ring_doorbell()
        return
    rows = [
        OutboxMessage(kind=kind, idempotency_key=key, payload=payload, message_id=make_msgid(domain=domain))
        for key, payload in messages
    ]
    if not rows:
        return
    OutboxMessage.objects.bulk_create(rows, batch_size=INSERT_BATCH_SIZE, ignore_conflicts=True)
    outbox_ring_doorbell()


# PostgreSQL: the keys and payloads travel as two arrays and an INSERT ... SELECT FROM unnest writes each thousand
# (no model instance, no per-row SQL built in Python: a set-based service's emails cost about what their JSON
# costs). The Message-ID is made by the statement in make_msgid's shape, <time.process.random@domain>; every other
# column gets its default.
_MESSAGE_ID_SQL = (
    "'<' || (extract(epoch FROM clock_timestamp()) * 100)::bigint || '.' || pg_backend_pid() || '.' "
    "|| (random() * 9007199254740991)::bigint || '@' || {domain} || '>'"
)
_ENQUEUE_UNNEST = """INSERT INTO {table} (kind, idempotency_key, payload, message_id{other_columns})
SELECT %s, m.key, m.payload::jsonb, {message_id}{other_values}
FROM unnest(%s::text[], %s::text[]) AS m(key, payload)
ON CONFLICT DO NOTHING
"""
_INSERT_SELECT = """INSERT INTO {table} (kind, idempotency_key, payload, message_id{other_columns})
SELECT %(outbox_kind)s, m.idempotency_key, m.payload, {message_id}{other_values}
FROM ({rows_sql}) AS m
ON CONFLICT DO NOTHING
RETURNING id"""


def _other_columns():
    """The columns an enqueued row takes the default of, and those defaults as SQL parameters (now, for the
    timestamps)."""
    given = {"kind", "idempotency_key", "payload", "message_id"}
    others = [f for f in OutboxMessage._meta.concrete_fields if not f.primary_key and f.name not in given]
    now = timezone.now()
    defaults = [
        f.get_db_prep_save(now if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
                           else f.get_default(), connection)
        for f in others
    ]
    return [connection.ops.quote_name(f.column) for f in others], defaults


def _enqueue_unnest(*, kind, messages, domain):
    import json

    from django.core.serializers.json import DjangoJSONEncoder

    columns, defaults = _other_columns()
    sql = _ENQUEUE_UNNEST.format(
        table=_table(), message_id=_MESSAGE_ID_SQL.format(domain="%s"),
        other_columns="".join(f", {column}" for column in columns), other_values=", %s" * len(columns),
    )
    with connection.cursor() as cursor:
        for start in range(0, len(messages), INSERT_BATCH_SIZE):
            batch = messages[start:start + INSERT_BATCH_SIZE]
            keys = [key for key, _payload in batch]
            payloads = [json.dumps(payload, cls=DjangoJSONEncoder) for _key, payload in batch]
            cursor.execute(sql, [kind, domain, *defaults, keys, payloads])


def outbox_insert_sql(*, kind, rows_sql):
    """PostgreSQL, for a set-based service that writes its messages in its own statement: the SQL of an INSERT
    that writes one message of `kind` per row of `rows_sql` (a SELECT of `idempotency_key` and `payload` jsonb),
    each with its Message-ID and every other column's default, ON CONFLICT DO NOTHING (a key already in the outbox
    stays one row), RETURNING the id of each row written. Returns (sql, params): named parameters `outbox_*` to
    merge with the caller's, so the INSERT can be one data-modifying CTE of the caller's statement (the change, its
    events and its messages in one statement, one round trip, no row through Python).

    The caller runs it in its transaction and then rings the doorbell (`outbox_ring_doorbell()`) if it wrote any."""
    columns, defaults = _other_columns()
    params = {"outbox_kind": str(kind), "outbox_domain": settings.OUTBOX_MESSAGE_ID_DOMAIN}
    params.update({f"outbox_default_{index}": value for index, value in enumerate(defaults)})
    sql = _INSERT_SELECT.format(
        table=_table(), rows_sql=rows_sql, message_id=_MESSAGE_ID_SQL.format(domain="%(outbox_domain)s"),
        other_columns="".join(f", {column}" for column in columns),
        other_values="".join(f", %(outbox_default_{index})s" for index in range(len(columns))),
    )
    return sql, params


def outbox_ring_doorbell():
    """After the current transaction commits (at once outside one), ask a worker to relay now."""
    transaction.on_commit(_ring)


def _ring():
    from .tasks import outbox_relay_task

    try:
        outbox_relay_task.delay()
    except Exception:  # the broker is down or refuses: the rows are safe, the beat sweep delivers them
        logger.warning("Outbox doorbell could not reach the broker; the periodic sweep will deliver.", exc_info=True)


def outbox_relay(*, batch_size=None, max_seconds=None):
    """Deliver due messages until none is left or `max_seconds` (OUTBOX_RELAY_MAX_SECONDS) have passed; returns
    the count of each outcome, e.g. {"sent": 3, "retry": 1, "failed": 0}. Call it outside any transaction."""
    batch_size = batch_size or settings.OUTBOX_BATCH_SIZE
    max_seconds = settings.OUTBOX_RELAY_MAX_SECONDS if max_seconds is None else max_seconds
    # A row's delivery starts only in the first half of its lease; the second half is the delivery's own margin.
    delivery_margin = timedelta(seconds=settings.OUTBOX_LEASE_SECONDS / 2)
    started = time.monotonic()
    counts = Counter(sent=0, retry=0, failed=0)
    while True:
        _fail_exhausted()
        messages = _claim(batch_size)
        for index, message in enumerate(messages):
            if timezone.now() >= message.lease_until - delivery_margin:
                counts["released"] += _release(messages[index:])
                return dict(counts)
            try:
                counts[_deliver(message)] += 1
            except SoftTimeLimitExceeded:
                _record_failure(message, OUT_OF_TIME_ERROR)
                _release(messages[index + 1:])
                raise
        if len(messages) < batch_size or time.monotonic() - started >= max_seconds:
            return dict(counts)


def _table():
    return connection.ops.quote_name(OutboxMessage._meta.db_table)


def _fail_exhausted():
    """Rows whose last attempt never reported back (lease over, no attempts left) become Failed, not retried."""
    own = _kinds_with_own_attempts()
    due = OutboxMessage.objects.filter(status__in=[Status.PENDING, Status.SENDING], next_attempt_at__lte=timezone.now())
    for kind, max_attempts in own.items():
        due.filter(kind=kind, attempts__gte=max_attempts).update(
            status=Status.FAILED, lease_until=None, last_error=EXHAUSTED_ERROR)
    due.exclude(kind__in=list(own)).filter(attempts__gte=settings.OUTBOX_MAX_ATTEMPTS).update(
        status=Status.FAILED, lease_until=None, last_error=EXHAUSTED_ERROR)


def _claim(batch_size):
    """Lease up to `batch_size` due rows (Pending and due, or Sending with an expired lease) in one statement and
    commit; returns them with their attempt counted. Rows another relay is claiming right now are skipped."""
    now = timezone.now()
    lease = now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    lock = " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    table = _table()
    own = _kinds_with_own_attempts()  # a kind with its own policy: CASE kind WHEN ... THEN its max ... ELSE default
    max_sql = f"CASE kind {'WHEN %s THEN %s ' * len(own)}ELSE %s END" if own else "%s"
    max_params = [value for item in own.items() for value in item] + [settings.OUTBOX_MAX_ATTEMPTS]
    sql = (
        f"UPDATE {table} SET status = %s, attempts = attempts + 1, lease_until = %s, next_attempt_at = %s "  # noqa: S608
        f"WHERE id IN (SELECT id FROM {table} WHERE status IN (%s, %s) AND next_attempt_at <= %s "
        f"AND attempts < {max_sql} ORDER BY next_attempt_at, id LIMIT %s{lock}) RETURNING id"
    )
    adapt = connection.ops.adapt_datetimefield_value
    params = [Status.SENDING, adapt(lease), adapt(lease), Status.PENDING, Status.SENDING, adapt(now),
              *max_params, batch_size]
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            ids = [row[0] for row in cursor.fetchall()]
        return list(OutboxMessage.objects.filter(pk__in=ids).order_by("id")) if ids else []


def _deliver(message):
    """Deliver one claimed row and record the outcome; returns "sent", "retry" or "failed"."""
    deliver = DELIVERERS.get(message.kind)
    try:
        if deliver is None:
            raise PermanentDeliveryError(f"Nothing delivers messages of kind {message.kind!r}.")
        summary = deliver(message)
    except SoftTimeLimitExceeded:
        raise
    except PermanentDeliveryError as exc:
        logger.warning("Outbox message %s failed for good: %s", message.pk, exc)
        return _record_failure(message, _describe(exc), permanent=True)
    except Exception as exc:  # any failure of the network or the far side: counted, retried later
        logger.warning("Outbox message %s, attempt %s failed: %s", message.pk, message.attempts, _describe(exc))
        return _record_failure(message, _describe(exc))
    now = timezone.now()
    # Sent wins even if this relay's lease ran out meanwhile: the message did go out.
    OutboxMessage.objects.filter(pk=message.pk).exclude(status=Status.SENT).update(
        status=Status.SENT, sent_at=now, lease_until=None, next_attempt_at=now, summary=str(summary or "")[:250]
    )
    return "sent"


def _describe(exc):
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return text[:ERROR_MAX_LENGTH]


def outbox_backoff(attempts, kind=None):
    """How long to wait after the `attempts`-th failed attempt: OUTBOX_BACKOFF_SECONDS (or the kind's own),
    doubling, capped at OUTBOX_BACKOFF_MAX_SECONDS (or the kind's own)."""
    policy = RETRY_POLICIES.get(str(kind), {})
    first = policy.get("backoff_seconds", settings.OUTBOX_BACKOFF_SECONDS)
    longest = policy.get("backoff_max_seconds", settings.OUTBOX_BACKOFF_MAX_SECONDS)
    return timedelta(seconds=min(first * 2 ** max(attempts - 1, 0), longest))


def _record_failure(message, error, *, permanent=False):
    """Pending again after the backoff, or Failed after the last attempt. Only while this relay still holds the
    row's lease (same attempt number): a relay that lost its lease to another one leaves the row alone."""
    final = permanent or message.attempts >= outbox_max_attempts(message.kind)
    now = timezone.now()
    OutboxMessage.objects.filter(pk=message.pk, status=Status.SENDING, attempts=message.attempts).update(
        status=Status.FAILED if final else Status.PENDING,
        next_attempt_at=now if final else now + outbox_backoff(message.attempts, message.kind),
        lease_until=None,
        last_error=error,
    )
    return "failed" if final else "retry"


def _release(messages):
    """Give back claimed rows this relay will not deliver (out of time): due at once, the attempt not counted."""
    released = 0
    now = timezone.now()
    for message in messages:
        released += OutboxMessage.objects.filter(pk=message.pk, status=Status.SENDING,
                                                 attempts=message.attempts).update(
            status=Status.PENDING, attempts=message.attempts - 1, next_attempt_at=now, lease_until=None
        )
    return released


@transaction.atomic
def outbox_retry(*, actor, ids):
    """Put Failed messages back to Pending with fresh attempts (a vendor admin's "Retry"); rows in any other state
    are left alone. Records who retried which row, and nothing of its content. Returns how many were retried."""
    if not (actor.is_authenticated and actor.is_vendor_admin):
        raise PermissionDenied
    failed = list(
        OutboxMessage.objects.select_for_update().filter(pk__in=ids, status=Status.FAILED).values_list("pk", flat=True)
    )
    if not failed:
        return 0
    OutboxMessage.objects.filter(pk__in=failed).update(
        status=Status.PENDING, attempts=0, next_attempt_at=timezone.now(), lease_until=None
    )
    content_type = ContentType.objects.get_for_model(OutboxMessage)
    ActivityEvent.objects.bulk_create(
        ActivityEvent(content_type=content_type, object_id=pk, verb=OutboxEvent.RETRIED.value, actor=actor,
                      data={"changes": {"status": [Status.FAILED.value, Status.PENDING.value]}})
        for pk in failed
    )
    outbox_ring_doorbell()
    return len(failed)
