"""Claims (C3) under claim limits (C4): the database settles who gets a queue lead."""

import functools

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts import access
from prm_portal.core.errors import InvalidTransition
from prm_portal.core.events import require_registered
from prm_portal.core.listeners import event_listeners_notify_bulk
from prm_portal.core.services import activity_record, recent_item_touch
from prm_portal.core.sql import execute_prepared, model_columns, model_from_row
from prm_portal.core.versioning import version_check

from ..events import LeadEvent
from ..models import (
    ClaimLimitSettings,
    Lead,
    PartnerClaimQuota,
    UserClaimQuota,
)
from .sla import sla_claim_block_until, sla_clock_start

ALREADY_CLAIMED = gettext_noop("This lead was already accepted by another partner")


class ClaimLimitReached(InvalidTransition):  # noqa: N818 - a domain refusal, shown to the user
    pass


# --- Claim limits (C4) ----------------------------------------------------------------------------------------


# The limits in force (the partner's override, else the portal-wide values, else the defaults) and how many open
# queue leads a user and their partner hold: one statement, portable (the Leads tab asks on every page).
_LIMITS_AND_USAGE_SQL = """
SELECT COALESCE(o.max_open_per_user, s.max_open_per_user, %s),
       COALESCE(o.max_open_per_partner, s.max_open_per_partner, %s),
       COALESCE(uq.open_count, 0), COALESCE(pq.open_count, 0)
FROM (SELECT 1 AS one) AS one
LEFT JOIN leads_claimlimitsettings s ON s.id = 1
LEFT JOIN leads_partnerclaimlimit o ON o.partner_account_id = %s
LEFT JOIN leads_userclaimquota uq ON uq.user_id = %s
LEFT JOIN leads_partnerclaimquota pq ON pq.partner_account_id = %s
"""


def _limits_and_usage(*, user_id, partner_account_id) -> tuple[int, int, int, int]:
    defaults = ClaimLimitSettings()
    with connection.cursor() as cursor:
        cursor.execute(_LIMITS_AND_USAGE_SQL, [defaults.max_open_per_user, defaults.max_open_per_partner,
                                               partner_account_id, user_id, partner_account_id])
        return tuple(cursor.fetchone())


def claim_limits_for(*, partner_account_id) -> tuple[int, int]:
    """(per user, per partner account) in force for one partner: its override, else the portal-wide values."""
    per_user, per_partner, _mine, _ours = _limits_and_usage(user_id=None, partner_account_id=partner_account_id)
    return per_user, per_partner


def _quota_take(model, key_column, key_id, limit) -> bool:
    """Add one to a holder's quota row if it stays within `limit`, creating the row on first use: one statement.

    The upsert locks the row until commit, so concurrent claims by the same user (or partner) queue up here and
    each sees the count the previous one left; the WHERE refuses the claim past the limit (no row returned).
    """
    if limit <= 0:
        return False
    table = connection.ops.quote_name(model._meta.db_table)  # identifiers from the model, values as parameters
    sql = (
        f"INSERT INTO {table} ({key_column}, open_count, ceiling) VALUES (%s, 1, %s) "  # noqa: S608
        f"ON CONFLICT ({key_column}) DO UPDATE SET open_count = {table}.open_count + 1, ceiling = EXCLUDED.ceiling "
        f"WHERE {table}.open_count < EXCLUDED.ceiling RETURNING open_count"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [key_id, limit])
        return cursor.fetchone() is not None


def _user_limit_reached(n):
    return ClaimLimitReached(
        _("You already hold %(n)s open queue leads, the limit per partner user. "
          "Convert or close one before accepting another.") % {"n": n},
        code="user_limit",
    )


def _partner_limit_reached(n):
    return ClaimLimitReached(
        _("Your company already holds %(n)s open queue leads, the limit per partner account. "
          "Convert or close one before accepting another.") % {"n": n},
        code="partner_limit",
    )


def _quota_acquire(*, user_id, partner_account_id):
    per_user, per_partner = claim_limits_for(partner_account_id=partner_account_id)
    if not _quota_take(UserClaimQuota, "user_id", user_id, per_user):
        raise _user_limit_reached(per_user)
    if not _quota_take(PartnerClaimQuota, "partner_account_id", partner_account_id, per_partner):
        raise _partner_limit_reached(per_partner)


def _quota_lock(*, user_id, partner_account_id):
    """Lock the holder's quota rows (user, then partner: the claim's order) before touching its leads."""
    list(UserClaimQuota.objects.select_for_update().filter(user_id=user_id).values_list("pk"))
    list(PartnerClaimQuota.objects.select_for_update().filter(partner_account_id=partner_account_id)
         .values_list("pk"))


def _quota_release(*, user_id, partner_account_id):
    UserClaimQuota.objects.filter(user_id=user_id, open_count__gt=0).update(open_count=F("open_count") - 1)
    PartnerClaimQuota.objects.filter(partner_account_id=partner_account_id, open_count__gt=0).update(
        open_count=F("open_count") - 1
    )


@transaction.atomic
def claim_limits_set(*, actor, max_open_per_user, max_open_per_partner) -> ClaimLimitSettings:
    """The vendor admin's claim limits (C4). Lowering a limit refuses new claims; leads already held stay."""
    if not actor.is_vendor_admin:
        raise InvalidTransition(_("Only vendor admins set the claim limits."))
    if max_open_per_user < 0 or max_open_per_partner < 0:
        raise InvalidTransition(_("A limit cannot be negative."))
    limits, _created = ClaimLimitSettings.objects.select_for_update().get_or_create(id=1)
    changes = {}
    for field, value in (("max_open_per_user", max_open_per_user), ("max_open_per_partner", max_open_per_partner)):
        if getattr(limits, field) != value:
            changes[field] = [getattr(limits, field), value]
            setattr(limits, field, value)
    if changes:
        limits.save()
        activity_record(target=limits, event=LeadEvent.CLAIM_LIMITS_CHANGED, actor=actor, changes=changes)
    return limits


def claim_usage_for(*, user) -> dict:
    """What the Leads tab shows a partner: how many open queue leads they (and their company) hold."""
    per_user, per_partner, mine, ours = _limits_and_usage(user_id=user.pk,
                                                          partner_account_id=user.partner_account_id)
    return {"user_open": mine, "user_limit": per_user, "partner_open": ours, "partner_limit": per_partner}


# --- Queues a user belongs to -----------------------------------------------------------------------------------


def queue_ids_for(*, user) -> list[int]:
    return access.queue_ids_for(user)


# --- Claim (C3) --------------------------------------------------------------------------------------------------


def _claim_refusal(*, actor, lead_id, current=None, looked=False):
    """Why a claim did not take the lead: already the actor's, taken by someone else, or never claimable.
    `current` is the lead's owner_id, partner_account_id and source_queue_id (or from_my_queue, as the claim
    statement reads it); with `looked`, a None `current` means the lead does not exist (it is not read again)."""
    if current is None and not looked:
        current = Lead.objects.filter(pk=lead_id).values("owner_id", "source_queue_id", "partner_account_id").first()
    if current is None:
        return Lead.DoesNotExist()
    if current["owner_id"] == actor.pk:
        return InvalidTransition(_("You have already accepted this lead."), code="already_yours")
    if current["owner_id"] is not None and (
        current["partner_account_id"] == actor.partner_account_id
        or (current["from_my_queue"] if "from_my_queue" in current
            else current["source_queue_id"] in queue_ids_for(user=actor))
    ):
        return InvalidTransition(_(ALREADY_CLAIMED), code="already_claimed")
    cooling = sla_claim_block_until(user=actor, lead_id=lead_id) if current["owner_id"] is None else None
    if cooling is not None:
        return InvalidTransition(
            _("This lead was taken back from you because its time ran out. You can accept it again after "
              "%(when)s.") % {"when": formats.date_format(timezone.localtime(cooling), "SHORT_DATETIME_FORMAT")},
            code="cooling_down")
    return Lead.DoesNotExist()


def lead_claim(*, actor, lead_id, remember=False, expected_version=None) -> Lead:
    """Accept a queue lead (or one given to the actor's partner account): first come, first served.

    On PostgreSQL one statement does the whole claim (`_claim_statement`): it locks the claimer's quota rows, then
    the lead, takes the lead only if nobody owns it and both limits allow, counts it against both quotas and writes
    the timeline event, all or nothing. Whatever else a claim must write goes into that statement, or beside it
    in `_claim_statement`'s transaction (and into `_claim`, the ORM form of the same claim).
    Elsewhere (SQLite), and for an API claim with `expected_version` (an
    If-Match: a claimable lead changed since is refused with what changed, StaleVersion), the same claim runs as
    a transaction of ORM statements (`_claim`). Either way the database settles who wins.
    Raises Lead.DoesNotExist when the actor could never have claimed this lead (the view answers 404).
    With `remember` (the Accept button) the lead also goes to the top of the rep's Recent Items (C5).
    """
    if not actor.is_partner:
        raise InvalidTransition(_("Only partner users accept leads."))
    if expected_version is None and connection.vendor == "postgresql" and actor.partner_account_id is not None:
        lead = _claim_statement(actor=actor, lead_id=lead_id)
    else:
        lead = _claim_transaction(actor=actor, lead_id=lead_id, expected_version=expected_version)
    if remember:  # after the claim's commit: the quota locks are held no longer than the claim needs
        recent_item_touch(user=actor, target=lead, label=lead.company, url=reverse("leads:detail", args=[lead.pk]))
    return lead


def _claim_transaction(*, actor, lead_id, expected_version=None) -> Lead:
    """The claim as ORM statements in one transaction: quota rows taken first (C4: locked until commit), then one
    conditional UPDATE takes the lead only if nobody owns it; its row count says who won, and a loser's
    transaction rolls back, quota included. A lead already taken is refused before any lock (a fast path)."""
    current = Lead.objects.filter(pk=lead_id).values("owner_id", "source_queue_id", "partner_account_id").first()
    if current is None:
        raise Lead.DoesNotExist
    if current["owner_id"] is not None:
        raise _claim_refusal(actor=actor, lead_id=lead_id, current=current)
    with transaction.atomic():
        lead = _claim(actor=actor, lead_id=lead_id, expected_version=expected_version)
    if lead is None:
        raise _claim_refusal(actor=actor, lead_id=lead_id)
    return lead


# The claim in one statement. Locks are taken in the order every quota-touching service uses (the claimer's quota
# row, their partner's, then the lead), each only if the step before found something to claim:
#   cand  the lead as the access policy's claimable Q sees it in the statement's snapshot (no lock: the fast path
#         that refuses a lead taken before we looked);
#   uq/pq the user's and the partner's quota rows, locked (FOR UPDATE reads their latest committed count);
#   mk_*  on a holder's first claim its missing quota row is created (count 0) and the statement is run again;
#   c     the lead locked, the claimable condition re-checked on its latest version (a claimer who won meanwhile
#         leaves nothing here);
#   ok    the lead, if both counts are under their limits (portal-wide, or the partner's override);
#   u/p/l the two quota counts + 1 and the lead taken, only for `ok`: nothing is written unless all of it is;
#   e     the timeline event (LeadEvent.CLAIMED / CLAIMED_DIRECT, the data activity_record would write).
# The last SELECT says what happened, and the lead as it is now when the claim took it.
_CLAIM_SQL = """
WITH lim AS (
    SELECT COALESCE(o.max_open_per_user, s.max_open_per_user, %s) AS per_user,
           COALESCE(o.max_open_per_partner, s.max_open_per_partner, %s) AS per_partner
    FROM (SELECT 1) AS one
    LEFT JOIN leads_claimlimitsettings s ON s.id = 1
    LEFT JOIN leads_partnerclaimlimit o ON o.partner_account_id = %s
), cand(id) AS ({claimable}),
uq AS (
    SELECT q.open_count FROM leads_userclaimquota q
    WHERE q.user_id = %s AND EXISTS (SELECT 1 FROM cand) FOR UPDATE
), pq AS (
    SELECT q.open_count FROM leads_partnerclaimquota q
    WHERE q.partner_account_id = %s AND EXISTS (SELECT 1 FROM uq) FOR UPDATE
), mk_u AS (
    INSERT INTO leads_userclaimquota (user_id, open_count, ceiling)
    SELECT %s, 0, 0 FROM cand WHERE NOT EXISTS (SELECT 1 FROM uq) ON CONFLICT DO NOTHING
), mk_p AS (
    INSERT INTO leads_partnerclaimquota (partner_account_id, open_count, ceiling)
    SELECT %s, 0, 0 FROM cand WHERE NOT EXISTS (SELECT 1 FROM pq) ON CONFLICT DO NOTHING
), c(id) AS ({claimable} AND EXISTS (SELECT 1 FROM pq) FOR UPDATE),
ok AS (
    SELECT c.id FROM c, uq, pq, lim WHERE uq.open_count < lim.per_user AND pq.open_count < lim.per_partner
), u AS (
    UPDATE leads_userclaimquota q SET open_count = q.open_count + 1, ceiling = lim.per_user
    FROM ok, lim WHERE q.user_id = %s RETURNING 1
), p AS (
    UPDATE leads_partnerclaimquota q SET open_count = q.open_count + 1, ceiling = lim.per_partner
    FROM ok, lim WHERE q.partner_account_id = %s RETURNING 1
), l AS (
    UPDATE leads_lead SET owner_id = %s, partner_account_id = %s, source_queue_id = leads_lead.queue_id,
        queue_id = NULL, claimed_at = %s, first_response_at = NULL, holds_claim = true, updated_at = %s,
        version = leads_lead.version + 1
    FROM ok WHERE leads_lead.id = ok.id
    RETURNING {columns}
), e AS (
    INSERT INTO core_activityevent (content_type_id, object_id, verb, actor_id, partner_account_id, data, created_at)
    SELECT %s, l.id, CASE WHEN l.source_queue_id IS NULL THEN %s ELSE %s END, %s, %s,
           jsonb_build_object('queue', qu.name, 'changes',
                              jsonb_build_object('owner', jsonb_build_array(COALESCE(qu.name, ''), %s::text)),
                              'version', l.version),
           %s
    FROM l LEFT JOIN leads_queue qu ON qu.id = l.source_queue_id
)
SELECT (SELECT count(*) FROM cand), (SELECT count(*) FROM uq), (SELECT count(*) FROM pq), (SELECT count(*) FROM c),
       (SELECT open_count FROM uq), (SELECT open_count FROM pq), lim.per_user, lim.per_partner,
       cur.id, cur.owner_id, cur.partner_account_id, cur.source_queue_id IN ({my_queues}), l.*
FROM lim LEFT JOIN l ON true LEFT JOIN leads_lead cur ON cur.id = %s
"""


@functools.lru_cache(maxsize=16)
def _claim_sql(claimable_sql, my_queues_sql):
    """_CLAIM_SQL with the access policy's claimable and queue subqueries in it (their text is the same for every
    partner person; their values are parameters), built once per process."""
    return _CLAIM_SQL.format(claimable=claimable_sql, my_queues=my_queues_sql,
                             columns=model_columns(Lead, "leads_lead"))


def _claim_statement(*, actor, lead_id) -> Lead:
    """The claim as one statement (_CLAIM_SQL), run twice on a holder's very first claim (its quota rows are created
    by the first run), then the event's listeners, in one transaction. Refusals as `_claim`'s."""
    claimable_sql, claimable_params = access.lead_claimable_sql(actor, lead_id)
    my_queues_sql, my_queues_params = access.queue_ids_sql(actor)
    sql = _claim_sql(claimable_sql, my_queues_sql)
    defaults = ClaimLimitSettings()
    now = timezone.now()
    user_id, partner_id = actor.pk, actor.partner_account_id
    params = [
        defaults.max_open_per_user, defaults.max_open_per_partner, partner_id, *claimable_params,
        user_id, partner_id, user_id, partner_id, *claimable_params,
        user_id, partner_id, user_id, partner_id, now, now,
        ContentType.objects.get_for_model(Lead).pk, require_registered(LeadEvent.CLAIMED_DIRECT),
        require_registered(LeadEvent.CLAIMED), user_id, partner_id, str(actor), now,
        *my_queues_params, lead_id,
    ]
    with transaction.atomic():  # the statement and whoever listens to its event (webhooks): one transaction
        for _attempt in range(2):
            with connection.cursor() as cursor:
                execute_prepared(cursor, sql, params)  # parsed and planned once per kept connection
                row = cursor.fetchone()
            (found, has_user_row, has_partner_row, locked, user_open, _partner_open, per_user, per_partner,
             current_id, owner_id, owner_partner_id, from_my_queue) = row[:12]
            lead, _stop = model_from_row(Lead, row, 12, connection.alias)  # None: nothing was claimed
            if lead is not None:
                event = LeadEvent.CLAIMED if lead.source_queue_id else LeadEvent.CLAIMED_DIRECT
                event_listeners_notify_bulk(event=event, model=Lead, object_ids=[lead.pk])
                sla_clock_start(lead=lead, kind="first_touch")  # the queue's first-touch clock (issue 13)
                return lead
            if not found:
                current = None if current_id is None else {
                    "owner_id": owner_id, "partner_account_id": owner_partner_id,
                    "from_my_queue": bool(from_my_queue)}
                raise _claim_refusal(actor=actor, lead_id=lead_id, current=current, looked=True)
            if has_user_row and has_partner_row:
                break
        else:  # the quota rows vanished between the two runs (a holder deleted meanwhile): the transactional claim
            return _claim_transaction(actor=actor, lead_id=lead_id)
    if not locked:  # taken between our snapshot and our lock: whoever won, say why as the slow path would
        raise _claim_refusal(actor=actor, lead_id=lead_id)
    if user_open >= per_user:
        raise _user_limit_reached(per_user)
    raise _partner_limit_reached(per_partner)


def _claim(*, actor, lead_id, expected_version=None):
    partner_id = actor.partner_account_id
    _quota_acquire(user_id=actor.pk, partner_account_id=partner_id)
    now = timezone.now()
    claimable = Q(pk=lead_id) & access.lead_claimable_q(actor)
    same_version = Q(version=expected_version) if expected_version is not None else Q()
    taken = Lead.objects.filter(claimable & same_version).update(
        owner=actor, partner_account_id=partner_id, source_queue=F("queue"), queue=None, claimed_at=now,
        first_response_at=None, holds_claim=True, updated_at=now, version=F("version") + 1,
    )
    if taken != 1:
        if expected_version is not None:  # still claimable, but changed since the client read it: StaleVersion
            changed = Lead.objects.filter(claimable).first()  # (its raise rolls the quota back too)
            if changed is not None:
                version_check(changed, expected_version)
        transaction.set_rollback(True)  # give the quota back
        return None
    lead = Lead.objects.select_related("source_queue", "partner_account").get(pk=lead_id)
    activity_record(
        target=lead, event=LeadEvent.CLAIMED if lead.source_queue else LeadEvent.CLAIMED_DIRECT, actor=actor,
        partner_account=lead.partner_account,
        queue=lead.source_queue.name if lead.source_queue else None,
        changes={"owner": [str(lead.source_queue or ""), str(actor)]},
    )
    sla_clock_start(lead=lead, kind="first_touch")  # the queue's first-touch clock (issue 13)
    return lead
