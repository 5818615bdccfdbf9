"""Service levels of leads (issue 13): each lead's clock, and the ladder that acts when a clock runs out.

A queue's service levels (QueueServiceLevel) are in business hours of its calendar: accept within N hours (a lead
waiting in the queue), first touch within M hours and progress within D days (a lead accepted from the queue; a
status change, an edit or a note is a touch). When a clock starts, its reminder, deadline and recall moments are
worked out once in business time and kept on the LeadClock row, so the ladder itself only compares timestamps:

1. reminder, at `remind_at_percent` of the limit: to the owner (accepted lead) or the queue's members (waiting);
2. escalation, at the limit: to the channel manager who owns the lead's partner, else the queue's manager;
3. recall, a grace period later: an accepted lead goes back to its queue (its claim-limit slot freed, its former
   owner told why and kept from accepting it again for the queue's cool-down); a waiting lead is re-routed by the
   assignment rules to another queue, partner or person.

`sla_ladder_run` is set-based: per batch, one statement moves every due clock to its highest due step and, in the
same statement, recalls the leads, frees their quota, blocks their former owners and writes the timeline events
(the set-based form of activity_record, as the referral expiry does); the emails (one per person and step,
listing their leads) go to the outbox in the same transaction. Clocks and leads are taken with
FOR UPDATE SKIP LOCKED, so two workers at once, or a run repeated, do each step and send each email once; a lead
being edited right now is left for the next run, and the edit restarts its clock (an edit before the deadline
stops the ladder). The claim-limit rows of the owners about to be recalled are locked first, in the order a
claim locks them, so the ladder and a claim or an edit never wait for each other in a circle.
"""

import hashlib
import time
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from prm_portal.core.emails import email_enqueue_many
from prm_portal.core.events import require_registered
from prm_portal.core.services import activity_record
from prm_portal.core.versioning import version_bump

from ..calendar import WorkingTime, business_add, business_between
from ..events import LeadEvent
from ..models import Lead, LeadClock, QueueServiceLevel

Kind = LeadClock.Kind
Step = LeadClock.Step
CLOSED = tuple(str(s) for s in Lead.CLOSED_STATUSES)
LEVEL_CACHE_SECONDS = 30
EMAIL_LIST_LENGTH = 20  # leads listed in one email; the rest are counted ("and 12 more")


# --- Service levels, read through a short process cache (a claim must not pay for them) --------------------------


@dataclass(frozen=True)
class Level:
    queue_id: int
    queue_name: str
    accept_hours: int | None
    first_touch_hours: int | None
    progress_days: int | None
    remind_percent: int
    grace_hours: int
    cooldown_hours: int
    manager_id: int | None
    working: WorkingTime

    def limit_for(self, kind):
        """(the limit as people read it: hours or days, the same in business hours) or None: no clock."""
        if kind == Kind.ACCEPT:
            value = self.accept_hours
            return None if value is None else (value, float(value))
        if kind == Kind.FIRST_TOUCH:
            value = self.first_touch_hours
            return None if value is None else (value, float(value))
        value = self.progress_days
        return None if value is None else (value, value * self.working.hours_per_day)


_levels: dict[int, tuple[float, Level | None]] = {}


def service_levels_forget(**kwargs):
    """Drop this process's cached service levels (a calendar, holiday or service level was saved)."""
    _levels.clear()


def service_level_for(queue_id) -> Level | None:
    """The queue's service levels with its calendar, cached for LEVEL_CACHE_SECONDS in this process (saving a level
    clears this process's cache at once; other processes follow within the period)."""
    if queue_id is None:
        return None
    cached = _levels.get(queue_id)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    row = QueueServiceLevel.objects.select_related("calendar", "queue").filter(queue_id=queue_id).first()
    level = None
    if row is not None:
        level = Level(
            queue_id=queue_id, queue_name=row.queue.name, accept_hours=row.accept_within_hours,
            first_touch_hours=row.first_touch_within_hours, progress_days=row.progress_within_days,
            remind_percent=row.remind_at_percent, grace_hours=row.grace_hours, cooldown_hours=row.cooldown_hours,
            manager_id=row.manager_id, working=WorkingTime.of(row.calendar),
        )
    _levels[queue_id] = (time.monotonic() + LEVEL_CACHE_SECONDS, level)
    return level


def clock_times(level: Level, kind, start) -> dict | None:
    """When a clock of `kind` started at `start` reminds, is due and recalls (business time), or None."""
    found = level.limit_for(kind)
    if found is None:
        return None
    limit, hours = found
    working = level.working
    return {
        "limit": limit,
        "remind_at": business_add(working, start, hours * level.remind_percent / 100),
        "due_at": business_add(working, start, hours),
        "recall_at": business_add(working, start, hours + level.grace_hours),
    }


# --- Starting, restarting and stopping a lead's clock (called by the lead services, in their transaction) -------

_UPSERT = """
INSERT INTO leads_leadclock (lead_id, queue_id, kind, "limit", started_at, remind_at, due_at, recall_at, step,
                             next_at, generation)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 0, %s, 1)
ON CONFLICT (lead_id) DO UPDATE SET queue_id = EXCLUDED.queue_id, kind = EXCLUDED.kind, "limit" = EXCLUDED."limit",
    started_at = EXCLUDED.started_at, remind_at = EXCLUDED.remind_at, due_at = EXCLUDED.due_at,
    recall_at = EXCLUDED.recall_at, step = 0, next_at = EXCLUDED.next_at,
    generation = leads_leadclock.generation + 1
"""


def sla_clock_start(*, lead, kind, now=None):
    """(Re)start `lead`'s clock of `kind` from `now`: the queue it waits in (accept) or was accepted from. With no
    such service level the lead's clock stops. One statement (the levels are cached)."""
    queue_id = lead.queue_id if kind == Kind.ACCEPT else lead.source_queue_id
    level = service_level_for(queue_id)
    now = now or timezone.now()
    times = clock_times(level, kind, now) if level is not None and lead.status not in CLOSED else None
    if times is None:
        if level is not None:  # a queue with levels but none for this stage: any older clock ends here
            sla_clock_stop(lead=lead)
        return None
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT, [lead.pk, queue_id, str(kind), times["limit"], now, times["remind_at"],
                                 times["due_at"], times["recall_at"], times["remind_at"]])
    return times


def sla_clock_stop(*, lead):
    LeadClock.objects.filter(lead_id=lead.pk).delete()


def sla_lead_touched(*, lead, now=None):
    """A status change, an edit or a note: a lead accepted from a queue starts its progress clock again (wherever
    its ladder was); a closed lead's clock stops. A lead waiting in a queue keeps its accept clock."""
    if lead.status in CLOSED:
        sla_clock_stop(lead=lead)
    elif lead.owner_id is not None and lead.source_queue_id is not None and lead.queue_id is None:
        sla_clock_start(lead=lead, kind=Kind.PROGRESS, now=now)


# --- The ladder ------------------------------------------------------------------------------------------------

_CONSISTENT = """l.status NOT IN ('unqualified', 'converted') AND (
        (c.kind = 'accept' AND l.owner_id IS NULL AND l.queue_id = c.queue_id)
        OR (c.kind <> 'accept' AND l.owner_id IS NOT NULL AND l.source_queue_id = c.queue_id))"""

# A clock whose lead moved on without it (closed, reassigned, accepted from a queue without levels) ends here.
_STALE = f"""
DELETE FROM leads_leadclock c USING leads_lead l
WHERE l.id = c.lead_id AND c.next_at <= %(now)s AND NOT ({_CONSISTENT})
"""  # noqa: S608 - fixed SQL; values are parameters

# The claim-limit rows of the owners about to be recalled, locked first (users, then partners: a claim's order).
_LOCK_QUOTAS = f"""
WITH r AS (
    SELECT l.owner_id, l.partner_account_id FROM leads_leadclock c JOIN leads_lead l ON l.id = c.lead_id
    WHERE c.next_at <= %(now)s AND c.recall_at <= %(now)s AND c.kind <> 'accept' AND l.holds_claim
          AND {_CONSISTENT}
), u AS (
    SELECT user_id FROM leads_userclaimquota WHERE user_id IN (SELECT owner_id FROM r) ORDER BY user_id FOR UPDATE
), p AS (
    SELECT partner_account_id FROM leads_partnerclaimquota
    WHERE partner_account_id IN (SELECT partner_account_id FROM r) ORDER BY partner_account_id FOR UPDATE
)
SELECT (SELECT count(*) FROM u), (SELECT count(*) FROM p)
"""  # noqa: S608 - fixed SQL; values are parameters

_NAME = "COALESCE(NULLIF(TRIM({u}.first_name || ' ' || {u}.last_name), ''), {u}.email)"

_STEP = f"""
WITH due AS (
    SELECT c.lead_id, c.kind, c."limit", c.queue_id, c.generation, c.due_at,
           CASE WHEN c.recall_at <= %(now)s THEN 3 WHEN c.due_at <= %(now)s THEN 2 ELSE 1 END AS target
    FROM leads_leadclock c JOIN leads_lead l ON l.id = c.lead_id
    WHERE c.next_at <= %(now)s AND {_CONSISTENT}
    ORDER BY c.lead_id
    LIMIT %(batch)s
    FOR UPDATE OF c, l SKIP LOCKED
), acc (queue_id, lim, remind_at, due_at, recall_at) AS (
    SELECT * FROM unnest(%(acc_queue)s::bigint[], %(acc_limit)s::int[], %(acc_remind)s::timestamptz[],
                         %(acc_due)s::timestamptz[], %(acc_recall)s::timestamptz[])
), stepped AS (
    -- Each clock to its step; a recalled lead's clock starts again at once as its queue's accept clock (or
    -- ends, step 3, when the queue has no accept limit).
    UPDATE leads_leadclock c SET
        step = CASE WHEN r.restart THEN 0 ELSE d.target END,
        kind = CASE WHEN r.restart THEN 'accept' ELSE c.kind END,
        "limit" = CASE WHEN r.restart THEN acc.lim ELSE c."limit" END,
        started_at = CASE WHEN r.restart THEN %(now)s ELSE c.started_at END,
        remind_at = CASE WHEN r.restart THEN acc.remind_at ELSE c.remind_at END,
        due_at = CASE WHEN r.restart THEN acc.due_at ELSE c.due_at END,
        recall_at = CASE WHEN r.restart THEN acc.recall_at ELSE c.recall_at END,
        next_at = CASE WHEN r.restart THEN acc.remind_at WHEN d.target = 1 THEN c.due_at
                       WHEN d.target = 2 THEN c.recall_at END,
        generation = c.generation + CASE WHEN r.restart THEN 1 ELSE 0 END
    FROM due d LEFT JOIN acc ON acc.queue_id = d.queue_id,
         LATERAL (SELECT d.target = 3 AND d.kind <> 'accept' AND acc.queue_id IS NOT NULL AS restart) r
    WHERE c.lead_id = d.lead_id
    RETURNING c.lead_id
), old AS (
    SELECT s.lead_id, s.target, s.kind, s."limit", s.queue_id, s.generation, s.due_at,
           s.kind <> 'accept' AND s.target = 3 AS recall,
           l.owner_id, l.partner_account_id, l.holds_claim, l.version, l.company, q.name AS queue_name,
           COALESCE(sl.cooldown_hours, 0) AS cooldown_hours,
           COALESCE(pa.owner_id, sl.manager_id) AS escalate_to,
           {_NAME.format(u="o")} AS owner_name, {_NAME.format(u="m")} AS manager_name
    FROM due s
    JOIN stepped USING (lead_id)
    JOIN leads_lead l ON l.id = s.lead_id
    JOIN leads_queue q ON q.id = s.queue_id
    LEFT JOIN leads_queueservicelevel sl ON sl.queue_id = s.queue_id
    LEFT JOIN accounts_partneraccount pa ON pa.id = l.partner_account_id
    LEFT JOIN accounts_user o ON o.id = l.owner_id
    LEFT JOIN accounts_user m ON m.id = COALESCE(pa.owner_id, sl.manager_id)
), recalled AS (
    UPDATE leads_lead l SET owner_id = NULL, queue_id = old.queue_id, partner_account_id = NULL,
        holds_claim = false, claimed_at = NULL, first_response_at = NULL, updated_at = %(now)s, version = l.version + 1
    FROM old WHERE l.id = old.lead_id AND old.recall
    RETURNING l.id
), user_quota AS (
    UPDATE leads_userclaimquota q SET open_count = GREATEST(q.open_count - r.n, 0)
    FROM (SELECT owner_id, count(*) AS n FROM old WHERE recall AND holds_claim GROUP BY owner_id) r
    WHERE q.user_id = r.owner_id
    RETURNING q.user_id
), partner_quota AS (
    UPDATE leads_partnerclaimquota q SET open_count = GREATEST(q.open_count - r.n, 0)
    FROM (SELECT partner_account_id, count(*) AS n FROM old WHERE recall AND holds_claim
          GROUP BY partner_account_id) r
    WHERE q.partner_account_id = r.partner_account_id
    RETURNING q.partner_account_id
), blocks AS (
    INSERT INTO leads_leadclaimblock (lead_id, user_id, until)
    SELECT lead_id, owner_id, %(now)s + make_interval(hours => cooldown_hours) FROM old WHERE recall
    ON CONFLICT (lead_id, user_id) DO UPDATE SET until = EXCLUDED.until
    RETURNING lead_id
), events AS (
    INSERT INTO core_activityevent (content_type_id, object_id, verb, actor_id, partner_account_id, data,
                                    created_at)
    SELECT %(ct)s, lead_id,
           CASE target WHEN 1 THEN %(reminded)s WHEN 2 THEN %(escalated)s ELSE %(recalled)s END,
           NULL, partner_account_id,
           jsonb_build_object('sla', kind, 'limit', "limit", 'queue', queue_name,
                              'version', version + CASE WHEN recall THEN 1 ELSE 0 END)
           || CASE target
                WHEN 1 THEN jsonb_build_object('due', to_jsonb(due_at))
                WHEN 2 THEN jsonb_build_object('manager', COALESCE(manager_name, ''))
                ELSE jsonb_build_object('changes', jsonb_build_object(
                    'owner', jsonb_build_array(COALESCE(owner_name, ''), queue_name)))
              END,
           %(now)s
    FROM old WHERE target < 3 OR recall
    RETURNING id
)
SELECT lead_id, target, kind, "limit", queue_id, generation, due_at, recall, owner_id, partner_account_id,
       company, queue_name, escalate_to
FROM old
"""  # noqa: S608 - fixed SQL; values are parameters


@dataclass
class Stepped:
    lead_id: int
    target: int
    kind: str
    limit: int
    queue_id: int
    generation: int
    due_at: object
    recall: bool
    owner_id: int | None
    partner_account_id: int | None
    company: str
    queue_name: str
    escalate_to: int | None


def sla_ladder_run(*, now=None, batch_size=50000) -> dict:
    """Run the ladder for every clock that is due: each step once, each email once. Returns the counts, e.g.
    {"reminded": 3, "escalated": 1, "recalled": 1, "rerouted": 0, "emails": 4}."""
    now = now or timezone.now()
    counts = {"reminded": 0, "escalated": 0, "recalled": 0, "rerouted": 0, "emails": 0}
    with connection.cursor() as cursor:
        cursor.execute(_STALE, {"now": now})
    params = {
        "now": now, "batch": batch_size, "ct": ContentType.objects.get_for_model(Lead).pk,
        "reminded": require_registered(LeadEvent.SLA_REMINDED),
        "escalated": require_registered(LeadEvent.SLA_ESCALATED),
        "recalled": require_registered(LeadEvent.SLA_RECALLED),
        **_accept_clocks(now),
    }
    while True:
        with transaction.atomic():
            rows = _step_batch(params)
            if rows:
                _after_step(rows, now=now, counts=counts)
        if len(rows) < batch_size:
            return counts


def _accept_clocks(now) -> dict:
    """Each queue's accept clock started `now` (a recalled lead waits in its queue again): the statement's arrays."""
    columns = {"acc_queue": [], "acc_limit": [], "acc_remind": [], "acc_due": [], "acc_recall": []}
    for queue_id in QueueServiceLevel.objects.filter(accept_within_hours__isnull=False).values_list("queue_id",
                                                                                                    flat=True):
        level = service_level_for(queue_id)
        times = clock_times(level, Kind.ACCEPT, now) if level is not None else None
        if times is None:
            continue
        columns["acc_queue"].append(queue_id)
        columns["acc_limit"].append(times["limit"])
        columns["acc_remind"].append(times["remind_at"])
        columns["acc_due"].append(times["due_at"])
        columns["acc_recall"].append(times["recall_at"])
    return columns


def _step_batch(params) -> list[Stepped]:
    with connection.cursor() as cursor:
        cursor.execute(_LOCK_QUOTAS, params)
        cursor.execute(_STEP, params)
        return [Stepped(*row) for row in cursor.fetchall()]


def _after_step(rows, *, now, counts):
    waiting_recalls = []
    for row in rows:
        if row.target == Step.REMINDED:
            counts["reminded"] += 1
        elif row.target == Step.ESCALATED:
            counts["escalated"] += 1
        elif row.recall:
            counts["recalled"] += 1
        else:
            waiting_recalls.append(row)
    counts["rerouted"] += _reroute(waiting_recalls, now=now)
    counts["emails"] += _emails(rows, now=now)


def _reroute(rows, *, now) -> int:
    """Leads nobody accepted in time go to the next queue, partner or person the assignment rules name (their
    current queue left out). With nowhere else to go a lead stays, its ladder at the end."""
    if not rows:
        return 0
    from .routing import _assignee_label, _route, routing_rules

    routing = routing_rules()
    by_id = {row.lead_id: row for row in rows}
    moved = 0
    for lead in Lead.objects.filter(pk__in=by_id).select_related("queue").order_by("pk"):  # locked by the step
        row = by_id[lead.pk]
        before = _assignee_label(lead)
        lead.queue = None
        _route(lead, routing, exclude_queue_ids={row.queue_id})
        if lead.queue_id is None and lead.owner_id is None and lead.partner_account_id is None:
            continue  # nowhere else: it stays where it was (no change was saved)
        version_bump(lead)
        lead.save()
        activity_record(
            target=lead, event=LeadEvent.SLA_REROUTED, actor=None, partner_account=lead.partner_account,
            sla=row.kind, limit=row.limit, queue=row.queue_name,
            changes={"assigned to": [before, _assignee_label(lead)]},
        )
        if lead.queue_id is None or sla_clock_start(lead=lead, kind=Kind.ACCEPT, now=now) is None:
            sla_clock_stop(lead=lead)
        moved += 1
    return moved


# --- Emails: one per person and step, listing their leads --------------------------------------------------------


def _lead_url_maker():
    """lead id -> the lead's address in the portal (one reverse() for a whole run's emails)."""
    prefix, suffix = (settings.PORTAL_BASE_URL.rstrip("/") + reverse("leads:detail", args=[0])).rsplit("0", 1)
    return lambda lead_id: f"{prefix}{lead_id}{suffix}"


def _queue_members(queue_ids) -> dict[int, set[int]]:
    from accounts.selectors import user_list_assignable_lead_owners

    members = defaultdict(set)
    for queue_id in queue_ids:
        people = user_list_assignable_lead_owners().filter(
            Q(queues=queue_id) | Q(partner_account__queues=queue_id)).values_list("pk", flat=True).distinct()
        members[queue_id].update(people)
    return members


def _emails(rows, *, now) -> int:
    waiting_queues = {row.queue_id for row in rows if row.target == Step.REMINDED and row.kind == Kind.ACCEPT}
    members = _queue_members(waiting_queues) if waiting_queues else {}
    letters = defaultdict(list)  # (template, recipient id) -> rows
    for row in rows:
        if row.target == Step.REMINDED:
            recipients = members.get(row.queue_id, ()) if row.kind == Kind.ACCEPT else [row.owner_id]
            for recipient in recipients:
                letters[("lead_sla_reminder", recipient)].append(row)
        elif row.target == Step.ESCALATED and row.escalate_to:
            letters[("lead_sla_escalation", row.escalate_to)].append(row)
        elif row.recall and row.owner_id:
            letters[("lead_recalled", row.owner_id)].append(row)
    if not letters:
        return 0
    from accounts.models import User

    people = {u["pk"]: u for u in User.objects.filter(pk__in={r for _t, r in letters}, is_active=True).values(
        "pk", "email", "language", "first_name", "last_name")}
    kinds = {"lead_sla_reminder": "lead_sla_reminder", "lead_sla_escalation": "lead_sla_escalation",
             "lead_recalled": "lead_recalled"}
    breaches_url = settings.PORTAL_BASE_URL.rstrip("/") + reverse("leads:breaches")
    list_url = settings.PORTAL_BASE_URL.rstrip("/") + reverse("leads:list")
    lead_url = _lead_url_maker()
    messages = []
    for (template, recipient), items in letters.items():
        person = people.get(recipient)
        if person is None or not person["email"]:
            continue
        items.sort(key=lambda r: r.lead_id)
        fingerprint = hashlib.sha256(",".join(f"{r.lead_id}:{r.generation}" for r in items).encode()).hexdigest()[:20]
        listed = [{"company": r.company, "url": lead_url(r.lead_id), "sla": r.kind, "limit": r.limit,
                   "queue": r.queue_name, "due": r.due_at.isoformat()} for r in items[:EMAIL_LIST_LENGTH]]
        name = f"{person['first_name']} {person['last_name']}".strip() or person["email"]
        if len(items) == 1:
            url = listed[0]["url"]
        else:
            url = breaches_url if template == "lead_sla_escalation" else list_url
        messages.append({
            "template_key": template, "to": person["email"], "language": person["language"],
            "kind": kinds[template], "user": recipient,
            "context": {"name": name, "leads": listed, "count": len(items),
                        "more": max(len(items) - EMAIL_LIST_LENGTH, 0), "lead": listed[0], "url": url,
                        "breaches_url": breaches_url},
            "idempotency_key": f"{template}:{recipient}:{fingerprint}",
        })
    email_enqueue_many(messages)
    return len(messages)


# --- What pages show --------------------------------------------------------------------------------------------


def sla_clocks_for(*, leads, now=None) -> dict:
    """{lead id: {"css", "text", "rule", "due"}} for the leads of a page whose clock runs: the business time left,
    amber once the reminder time passed, red past the deadline; the deadline in the viewer's time. One query for the
    page."""
    from ..sla_text import sla_due_text, sla_rule_text, sla_time_left_text

    ids = [lead.pk for lead in leads if lead.status not in CLOSED]
    if not ids:
        return {}
    now = now or timezone.now()
    leads_by_id = {lead.pk: lead for lead in leads}
    clocks, unread = [], []
    for pk in ids:  # the list's query joins each lead's clock (select_related); a lead without it is read here
        cache = leads_by_id[pk]._state.fields_cache
        if "sla_clock" in cache:
            if cache["sla_clock"] is not None:
                clocks.append(cache["sla_clock"])
        else:
            unread.append(pk)
    if unread:
        clocks += list(LeadClock.objects.filter(lead_id__in=unread))
    shown = {}
    for clock in clocks:
        if clock.step >= Step.RECALLED:
            continue
        lead = leads_by_id[clock.lead_id]
        waiting = clock.kind == Kind.ACCEPT
        if waiting != (lead.owner_id is None) or clock.queue_id != (lead.queue_id if waiting else
                                                                     lead.source_queue_id):
            continue  # the lead moved on; the ladder clears this clock
        level = service_level_for(clock.queue_id)
        if level is None:
            continue
        left = business_between(level.working, now, clock.due_at)
        css = "sla-red" if now >= clock.due_at else "sla-amber" if now >= clock.remind_at else "sla-ok"
        shown[clock.lead_id] = {"css": css, "text": sla_time_left_text(left),
                                "rule": sla_rule_text(clock.kind, clock.limit), "due": sla_due_text(clock.due_at)}
    return shown


def sla_claim_block_until(*, user, lead_id):
    """Until when `user` may not accept this lead again (it was recalled from them), or None."""
    from ..models import LeadClaimBlock

    return (LeadClaimBlock.objects.filter(user=user, lead_id=lead_id, until__gt=timezone.now())
            .values_list("until", flat=True).first())
