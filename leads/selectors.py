"""Reads for leads: what a user may see, scoped in the query (never filtered in Python)."""

import functools

from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet, Value
from django.db.models.signals import post_migrate
from django.http import Http404

from accounts import access
from accounts.models import PartnerAccount
from prm_portal.core.sql import execute_prepared, model_columns, model_from_row

from .models import Lead, LeadImport

VIEWS = ("all", "mine", "queue")


ORDER = ("-created_at", "-id")


def lead_list_visible_to(*, user, view="all", queue_ids=None, with_offered=False) -> QuerySet[Lead]:
    """The leads `user` may see (the access policy decides), optionally one view: "mine" or "queue".
    `with_offered` marks each row `offered`: waiting for `user` to accept it (the list's Accept buttons), in the same
    statement as the rows."""
    qs = Lead.objects.select_related("owner", "queue", "partner_account", "sla_clock").filter(
        access.lead_visible_q(user, view=view if view in VIEWS else "all", queue_ids=queue_ids)
    )
    return _with_offered(qs, user) if with_offered else qs


def _with_offered(qs, user):
    offered = access.lead_offered_q(user)
    return qs.annotate(offered=ExpressionWrapper(offered, output_field=BooleanField()) if offered != access.NOTHING
                       else Value(False))


@functools.cache
def _page_rows_statement():
    """The page's leads with their owner, queue and service-level clock (what `select_related("owner", "queue",
    "sla_clock")` reads), newest first. Hand-written: the ORM took longer to build it and its instances than
    PostgreSQL to run it (`make bench-inbox`); `tests/leads/test_inbox_list.py` holds its rows to the ORM's."""
    owner, queue = Lead._meta.get_field("owner"), Lead._meta.get_field("queue")
    clock = Lead._meta.get_field("sla_clock").related_model
    return (
        f"SELECT {model_columns(Lead, 'l')}, {model_columns(owner.related_model, 'o')}, "  # noqa: S608 - names only
        f"{model_columns(queue.related_model, 'q')}, {model_columns(clock, 'c')} "
        f'FROM "{Lead._meta.db_table}" l '
        f'LEFT JOIN "{owner.related_model._meta.db_table}" o ON o."id" = l."{owner.column}" '
        f'LEFT JOIN "{queue.related_model._meta.db_table}" q ON q."id" = l."{queue.column}" '
        f'LEFT JOIN "{clock._meta.db_table}" c ON c."{clock._meta.pk.column}" = l."id" '
        f'WHERE l."id" = ANY(%s) ORDER BY l."created_at" DESC, l."id" DESC'
    )


def _page_rows(ids):
    owner, queue = Lead._meta.get_field("owner").related_model, Lead._meta.get_field("queue").related_model
    clock_model = Lead._meta.get_field("sla_clock").related_model
    with connection.cursor() as cursor:
        execute_prepared(cursor, _page_rows_statement(), [list(ids)])  # planned once per kept connection
        found = cursor.fetchall()
    rows, using, known = [], connection.alias, {}
    # Related objects go straight into each lead's cache, as select_related puts them (their ids are the lead's own
    # columns already); the descriptors' setters would only check again what the statement's joins say.
    for row in found:
        lead, start = model_from_row(Lead, row, 0, using)
        cache = lead._state.fields_cache
        cache["owner"], start = model_from_row(owner, row, start, using, known)  # a page's leads share a few owners
        cache["queue"], start = model_from_row(queue, row, start, using, known)  # and queues: one instance each
        clock, _ = model_from_row(clock_model, row, start, using)
        cache["sla_clock"] = clock  # None: the lead has no clock (as select_related says it)
        if clock is not None:
            clock._state.fields_cache["lead"] = lead
        rows.append(lead)
    return rows


class _MergedLeadList:
    """A partner person's leads, newest first, for a Paginator: each part of what they may see (`access.
    lead_visible_parts`: their own leads, their partner's, one queue's, ...) gives its newest rows through its own
    index, and the page is the newest of those, with the count of the whole list in the same statement. What a page
    costs is then what the person's inbox holds, whatever the table holds (`make bench-inbox`)."""

    def __init__(self, *, user, parts, queue_ids, page_size, page_number=1):
        """`parts`: each part's compiled (sql, params), from `_compiled_parts`."""
        self.user, self.queue_ids, self.page_size, self.parts = user, queue_ids, page_size, parts
        try:
            self.first = max(int(page_number) - 1, 0) * page_size
        except (TypeError, ValueError):
            self.first = 0
        self.total = None
        self.rows = {}

    # The statement below is made of the parts' compiled SQL (Django querysets: their values travel as parameters);
    # nothing a person typed is pasted into it.

    def _fetch(self, start, stop):
        """Rows [start:stop] of the list, and the count of all of it. One statement counts each part's rows and takes
        the newest `stop` of each (the parts share no lead: UNION ALL, nothing to remove), all from their indexes;
        a second reads the page's rows."""
        params = tuple(p for _sql, ps in self.parts for p in ps)
        everything = " UNION ALL ".join(sql for sql, _p in self.parts)
        newest = " UNION ALL ".join(f"({sql} ORDER BY 2 DESC, 1 DESC LIMIT {int(stop)})" for sql, _p in self.parts)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT (SELECT COUNT(*) FROM ({everything}) AS everything), "  # noqa: S608
                f"ARRAY(SELECT id FROM ({newest}) AS newest ORDER BY created_at DESC, id DESC LIMIT %s OFFSET %s)",
                (*params, *params, stop - start, start),
            )
            self.total, ids = cursor.fetchone()
        rows = _page_rows(ids) if ids else []
        # The partner account is nearly always the person's own (already loaded with them); joining the table
        # for it made PostgreSQL hash every partner account for each page. Others are read at once, if any.
        own = self.user.partner_account
        others = {lead.partner_account_id for lead in rows} - {own.pk, None}
        partners = {own.pk: own, **PartnerAccount.objects.in_bulk(others)} if others else {own.pk: own}
        for lead in rows:
            if lead.partner_account_id is not None:
                lead._state.fields_cache["partner_account"] = partners[lead.partner_account_id]
            lead.offered = access.lead_can_claim(self.user, lead, queue_ids=self.queue_ids)
        self.rows[(start, stop)] = rows
        return rows

    def count(self):
        if self.total is None:
            if self.parts:
                self._fetch(self.first, self.first + self.page_size)
            else:
                self.total = 0
        return self.total

    def __len__(self):
        return self.count()

    def __getitem__(self, window):
        if not isinstance(window, slice):
            raise TypeError("a page of leads is a slice")
        if not self.parts:
            return []
        start, stop = window.start or 0, window.stop
        for (fetched_start, fetched_stop), rows in self.rows.items():  # the last page ends at the count
            if fetched_start == start and stop <= fetched_stop:
                return rows[: stop - start]
        return self._fetch(start, stop)


# Each part of a person's visibility compiled to SQL, kept per process: building them (a Q per queue, the sharing
# subquery) took the ORM longer than PostgreSQL took to run the page. What they are made of is all in the key: the
# person, their partner, their role, their queues, the view and the status filter; everything else in them (the
# sharing tables, the claim blocks) is read by the statement itself. Forgotten when migrate or flush runs (the
# permission ids in the sharing subquery are made again then), and wholesale when it grows past its bound.
_compiled = {}
_COMPILED_MAX = 4096


def _compiled_parts(user, view, status, queue_ids):
    if not getattr(user, "is_authenticated", False):
        return None
    key = (user.pk, user.partner_account_id, user.role, user.is_active, view, status, tuple(queue_ids))
    found = _compiled.get(key, _compiled)  # the dict itself: not kept yet (None is kept: not a partner person)
    if found is _compiled:
        parts = access.lead_visible_parts(user, view=view, queue_ids=queue_ids)
        found = None if parts is None else tuple(
            Lead.objects.filter(part & Q(status=status) if status else part).order_by().values("id", "created_at")
            .query.sql_with_params() for part in parts)
        if len(_compiled) >= _COMPILED_MAX:
            _compiled.clear()
        _compiled[key] = found
    return found


def _compiled_forget(**kwargs):
    _compiled.clear()


post_migrate.connect(_compiled_forget, dispatch_uid="leads_compiled_parts_forget")


def lead_page_list_visible_to(*, user, view="all", status="", page_size=50, page_number=1):
    """The Leads tab's list: what `lead_list_visible_to(..., with_offered=True)` holds, filtered by `status`, newest
    first, sliceable by a Paginator. For partner people on PostgreSQL, the newest rows of each part of their
    visibility merged (one count and one page statement whose cost follows the inbox, not the table)."""
    view = view if view in VIEWS else "all"
    if connection.features.supports_slicing_ordering_in_compound:
        queue_ids = access.queue_ids_for(user)
        parts = _compiled_parts(user, view, status, queue_ids)
        if parts is not None:
            return _MergedLeadList(user=user, parts=parts, queue_ids=queue_ids, page_size=page_size,
                                   page_number=page_number)
    qs = lead_list_visible_to(user=user, view=view, with_offered=True)
    return qs.filter(status=status) if status else qs


def lead_claimable_ids(*, leads) -> set[int]:
    """Of `leads` (a page of `lead_list_visible_to(..., with_offered=True)`), those waiting for the user to accept
    them: in their queues or given to their partner account. A lead they only see through a sharing rule is not
    theirs to accept."""
    return {lead.pk for lead in leads if lead.offered}


def sla_breach_list_visible_to(*, user):
    """Service-level breaches (escalations, recalls, re-routings) a vendor staff member may see: those of the
    partners they manage and of leads no partner held; newest first. Nothing for partner people."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import Q

    from prm_portal.core.models import ActivityEvent

    from .events import LeadEvent

    if not access.is_vendor_staff(user):
        return ActivityEvent.objects.none()
    codes = [LeadEvent.SLA_ESCALATED.value, LeadEvent.SLA_RECALLED.value, LeadEvent.SLA_REROUTED.value]
    return (
        ActivityEvent.objects.filter(content_type=ContentType.objects.get_for_model(Lead), verb__in=codes)
        .filter(access.staff_scope_q(user) | Q(partner_account__isnull=True))
        .select_related("actor")
        .order_by("-created_at", "-id")
    )


def lead_get_for_user(*, user, pk) -> Lead:
    try:
        return lead_list_visible_to(user=user).select_related("source_queue").get(pk=pk)
    except (Lead.DoesNotExist, ValueError):
        raise Http404("No such lead.")


def lead_preview_get_for_user(*, user, pk) -> Lead:
    """A lead waiting in one of the user's queues (or given to their partner), as far as a person may read it before
    accepting it: what the preview shows carries no contact details. Anyone else: 404."""
    try:
        return Lead.objects.filter(access.lead_claimable_q(user)).get(pk=pk)
    except (Lead.DoesNotExist, ValueError):
        raise Http404("No such lead.")


def lead_owner_choices_for(*, user):
    """Partner users `user` may give a lead to (B6): all assignable ones for admins, their partners' for CMs."""
    from accounts.selectors import user_list_assignable_lead_owners

    return user_list_assignable_lead_owners().filter(access.lead_owner_choices_q(user))


def queue_choices_for(*, user):
    from .models import Queue

    return Queue.objects.all() if user.is_vendor_staff else Queue.objects.none()


def lead_import_get_for_user(*, user, pk) -> LeadImport:
    try:
        if not user.is_vendor_staff:
            raise LeadImport.DoesNotExist
        qs = LeadImport.objects.all() if user.is_vendor_admin else LeadImport.objects.filter(created_by=user)
        return qs.get(pk=pk)
    except LeadImport.DoesNotExist:
        raise Http404("No such import.")
