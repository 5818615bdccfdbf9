"""Expiry of referrals left in Received, and the reminder before it (E4): set-based, batched, idempotent."""


import json
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from prm_portal.core import emails as core_emails
from prm_portal.core.events import require_registered
from prm_portal.core.listeners import event_listeners_notify_bulk
from prm_portal.core.models import ActivityEvent

from .. import emails
from ..events import ReferralEvent
from ..models import (
    Referral,
)
from ._common import inquiries_expired

# --- expiry (E4) -------------------------------------------------------------------------------------------------

# PostgreSQL: a batch is ONE statement. The due rows are taken oldest first over the partial index of received
# referrals (locked, skipping those another worker or a partner answering holds), and found again by primary key
# (`= ANY(ARRAY(...))`, never a join the planner could turn into a scan of the whole table on every batch); the
# UPDATE's `status = 'received'` settles any race; the activity events and the senders' emails (the outbox rows,
# payloads built here, one per referral by its idempotency key) are written from its RETURNING. Only the ids of the
# expired referrals and of the emails written come back.
_EXPIRE_PG = """
WITH expired AS (
    UPDATE referrals_referral AS r
    SET status = 'expired', closed_at = %(now)s, updated_at = %(now)s, version = r.version + 1
    WHERE r.id = ANY(ARRAY(
        SELECT id FROM referrals_referral
        WHERE status = 'received' AND received_at < %(cutoff)s{only_ids}
        ORDER BY received_at
        LIMIT %(batch)s
        FOR UPDATE SKIP LOCKED
    )) AND r.status = 'received'
    RETURNING r.id, r.partner_account_id, r.sender_id, r.sender_email, r.sender_name, r.customer_name, r.name,
              r.referral_type, r.version
), events AS (
    INSERT INTO core_activityevent (content_type_id, object_id, verb, actor_id, partner_account_id, data, created_at)
    SELECT %(ct)s, id, %(verb)s, NULL, partner_account_id,
           %(data)s::jsonb || jsonb_build_object('version', version), %(now)s
    FROM expired
), emails AS (
    {emails}
)
SELECT ARRAY(SELECT id FROM expired), ARRAY(SELECT id FROM emails)
"""

# The email to each expired referral's sender, in their account's language (F1-F3): what
# referrals.emails.email_referral_expired_rows builds in Python on SQLite, here as the rows of email_enqueue_sql.
_EXPIRED_EMAILS = """
SELECT 'referral-expired-' || x.id AS idempotency_key, 'referral_expired' AS template_key, x.sender_email AS "to",
       COALESCE(u.language, 'en') AS language,
       jsonb_build_object(
           'referral_id', x.id, 'title', COALESCE(NULLIF(x.name, ''), x.customer_name),
           'customer_name', x.customer_name, 'partner_name', COALESCE(p.name, ''),
           'is_customer_inquiry', x.referral_type = %(customer_inquiry)s, 'sender_name', x.sender_name,
           'days', %(days)s
       ) AS context
FROM expired AS x
LEFT JOIN accounts_user AS u ON u.id = x.sender_id
LEFT JOIN accounts_partneraccount AS p ON p.id = x.partner_account_id
WHERE x.sender_email <> ''
"""

_EXPIRE_PORTABLE = """
UPDATE referrals_referral
SET status = 'expired', closed_at = %(now)s, updated_at = %(now)s, version = version + 1
WHERE id IN (
    SELECT id FROM referrals_referral WHERE status = 'received' AND received_at < %(cutoff)s LIMIT %(batch)s
) AND status = 'received'
RETURNING id, partner_account_id, sender_id, sender_email, sender_name, customer_name, name, referral_type,
    version
"""

_REMIND_PORTABLE = """
UPDATE referrals_referral SET expiry_reminder_sent_at = %s WHERE id IN (
    SELECT id FROM referrals_referral WHERE status = 'received' AND received_at < %s AND received_at >= %s
    AND expiry_reminder_sent_at IS NULL LIMIT %s
) AND expiry_reminder_sent_at IS NULL RETURNING id
"""
_REMIND_PG = _REMIND_PORTABLE.replace("LIMIT %s\n", "LIMIT %s FOR UPDATE SKIP LOCKED\n")

EXPIRED_EVENT_DATA = {"changes": {"status": ["received", "expired"]}}


def _expire_batch(*, now, cutoff, batch_size, content_type_id, ids=None):
    """One set-based batch in the caller's transaction; returns the ids of the referrals it expired. `ids`: only
    these referrals. On PostgreSQL one statement writes the change, the events and the emails (see _EXPIRE_PG)."""
    # The same code activity_record would write: the event type's value, a parameter, never a literal.
    verb = require_registered(ReferralEvent.EXPIRED)
    params = {"now": now, "cutoff": cutoff, "batch": batch_size, "ct": content_type_id, "verb": verb,
              "data": json.dumps(EXPIRED_EVENT_DATA), "ids": list(ids or [])}
    if connection.vendor == "postgresql":
        emails_sql, emails_params = core_emails.email_enqueue_sql(rows_sql=_EXPIRED_EMAILS)
        sql = _EXPIRE_PG.format(only_ids="" if ids is None else " AND id = ANY(%(ids)s)", emails=emails_sql)
        params.update(emails_params, customer_inquiry=Referral.Type.CUSTOMER_INQUIRY.value,
                      days=settings.REFERRAL_EXPIRY_DAYS)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            expired_ids, email_ids = cursor.fetchone()
        core_emails.email_enqueued(email_ids)
        return expired_ids
    # SQLite (make run): RETURNING, then the events in one bulk insert and the emails built in Python; writers are
    # serialised anyway.
    sql = _EXPIRE_PORTABLE if ids is None else _EXPIRE_PORTABLE.replace(
        "LIMIT %(batch)s", "AND id IN ({}) LIMIT %(batch)s".format(",".join(str(int(i)) for i in ids)), 1)
    sql = sql.replace("%(now)s", "%s").replace("%(cutoff)s", "%s").replace("%(batch)s", "%s")
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, now, cutoff, batch_size])
        rows = cursor.fetchall()
    ActivityEvent.objects.bulk_create([
        ActivityEvent(content_type_id=content_type_id, object_id=row[0], verb=verb,
                      partner_account_id=row[1], data={**EXPIRED_EVENT_DATA, "version": row[8]})
        for row in rows
    ])
    if rows:
        _email_senders(rows)
    return [row[0] for row in rows]


def _email_senders(rows):
    """SQLite: the expiry emails of the rows the portable UPDATE returned, built in Python."""
    from accounts.models import PartnerAccount

    sender_ids = {row[2] for row in rows if row[2]}
    languages = dict(User.objects.filter(pk__in=sender_ids).values_list("pk", "language")) if sender_ids else {}
    partner_names = dict(PartnerAccount.objects.filter(pk__in={row[1] for row in rows}).values_list("pk", "name"))
    emails.email_referral_expired_rows(
        {
            "pk": pk, "to": sender_email, "language": languages.get(sender_id, "en"),
            "title": name or customer_name, "customer_name": customer_name,
            "partner_name": partner_names.get(partner_id, ""),
            "is_customer_inquiry": rtype == Referral.Type.CUSTOMER_INQUIRY, "sender_name": sender_name,
        }
        for pk, partner_id, sender_id, sender_email, sender_name, customer_name, name, rtype, _version in rows
        if sender_email
    )


def referral_expire_overdue(*, now=None, batch_size=10000, ids=None) -> int:
    """Close every referral left in Received past the expiry period as Expired and email its sender (E4, F1-F3).

    Works in batches, each its own transaction and, on PostgreSQL, one statement: the UPDATE of the oldest overdue
    referrals over the partial index of received ones (rows locked by another worker or by a partner answering are
    skipped, not waited for), their activity events, and one email per referral written to the outbox with the
    key `referral-expired-<pk>` (the sender's preference applied, the relay's doorbell rung on commit). The
    queries per batch do not grow with its size, and no referral passes through Python. Running it twice, or on
    two workers at once, expires and emails each once. Returns how many referrals this call expired. `ids` limits
    it to those referrals (a page or an API call that reads or acts on an overdue referral expires it then and
    there, the same way: referral_expire_if_overdue).
    """
    if ids is not None and not ids:
        return 0
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.REFERRAL_EXPIRY_DAYS)
    content_type_id = ContentType.objects.get_for_model(Referral).pk
    total = 0
    while True:
        with transaction.atomic():
            expired_ids = _expire_batch(now=now, cutoff=cutoff, batch_size=batch_size,
                                        content_type_id=content_type_id, ids=ids)
            # Listeners above the record apps (webhooks) hear of the batch's events, set-based, in this transaction.
            event_listeners_notify_bulk(event=ReferralEvent.EXPIRED, model=Referral, object_ids=expired_ids)
        total += len(expired_ids)
        if len(expired_ids) < batch_size:
            break
    if ids is None or total:  # the public finder offers its expired customers' inquiries on
        inquiries_expired(now=now)
    return total


def referral_is_overdue(referral, *, now=None) -> bool:
    """Still Received after the expiry period: it expires as soon as anyone reads it or acts on it."""
    if referral.status != Referral.Status.RECEIVED:
        return False
    now = now or timezone.now()
    return referral.received_at < now - timedelta(days=settings.REFERRAL_EXPIRY_DAYS)


def referral_expire_if_overdue(*, referral, now=None) -> bool:
    """Expire this referral now if it is overdue, exactly as the beat's set-based run would (the same event, the
    same email with the same idempotency key; twice, or racing the beat, expires and emails it once). Returns
    whether this call expired it; the caller re-reads the referral to see its status."""
    if not referral_is_overdue(referral, now=now):
        return False
    return referral_expire_overdue(now=now, ids=[referral.pk]) > 0


def referrals_expire_overdue_among(queryset, *, now=None, limit=1000) -> int:
    """Expire the overdue referrals of a queryset someone is about to read (a list page, the API's list)."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.REFERRAL_EXPIRY_DAYS)
    ids = list(queryset.filter(status=Referral.Status.RECEIVED, received_at__lt=cutoff)
               .order_by().values_list("pk", flat=True)[:limit])
    return referral_expire_overdue(now=now, ids=ids) if ids else 0


def referral_remind_expiring(*, now=None, batch_size=1000) -> int:
    """Email the partner two days (a setting) before a received referral expires; once per referral."""
    now = now or timezone.now()
    expiry_days = settings.REFERRAL_EXPIRY_DAYS
    remind_after = now - timedelta(days=expiry_days - settings.REFERRAL_REMINDER_DAYS_BEFORE)
    cutoff = now - timedelta(days=expiry_days)
    sql = _REMIND_PG if connection.vendor == "postgresql" else _REMIND_PORTABLE
    total = 0
    while True:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, [now, remind_after, cutoff, batch_size])
                ids = [row[0] for row in cursor.fetchall()]
            referrals = Referral.objects.filter(pk__in=ids).select_related("partner_account", "location")
            for referral in referrals.prefetch_related("team_members__user"):
                emails.email_referral_expiry_reminder(referral)
            total += len(ids)
        if len(ids) < batch_size:
            return total
