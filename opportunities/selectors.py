"""Reads for opportunities. Scoping happens in the query, never in Python."""

from dataclasses import dataclass
from datetime import date

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from accounts import access
from accounts.models import User
from prm_portal.core.models import RecentItem
from prm_portal.core.selectors import activity_list_for

from .models import CustomerAccount, Opportunity, Stage


def _shared_q(user, action="view") -> Q:
    """Deals sharing rules (A3) open to this partner person; matches nothing otherwise."""
    return access.shared_q(user, Opportunity, action=action)


def _own_q(user) -> Q:
    """A partner person's own deals: a rep's, or the whole partner's for a partner admin."""
    return access.opportunity_own_q(user)


def opportunity_list_visible_to(*, user) -> QuerySet[Opportunity]:
    """The deals the access policy lets `user` see: partner users their own, partner admins their partner's,
    vendor staff those of the partners they manage; partner people also the deals shared with them."""
    return Opportunity.objects.select_related("stage", "customer_account", "owner", "partner_account").filter(
        access.opportunity_visible_q(user)
    )


def opportunity_get_for_user(*, user, pk, for_change=False) -> Opportunity:
    """The deal if the user may see it (404 otherwise); `for_change` also asks to edit it (403 when read-only)."""
    try:
        opportunity = (
            opportunity_list_visible_to(user=user).select_related("customer_contact", "source_lead").get(pk=pk)
        )
    except Opportunity.DoesNotExist:
        raise Http404("No such opportunity.")
    if for_change and not opportunity_can_change(user=user, opportunity=opportunity):
        raise PermissionDenied(_("This opportunity is shared with you read-only."))
    return opportunity


def opportunity_can_change(*, user, opportunity) -> bool:
    return access.opportunity_can_change(user, opportunity)


# --- List views (D1) -------------------------------------------------------------------------------------------

VIEW_MINE, VIEW_ALL, VIEW_RECENT, VIEW_SHARED = "mine", "all", "recent", "shared"
VIEW_LABELS = {
    VIEW_MINE: _("My Opportunities"),
    VIEW_ALL: _("All Opportunities"),
    VIEW_RECENT: _("Recently Viewed"),
    VIEW_SHARED: _("Shared with Me"),
}

# Sort key in the URL → ORDER BY. The id breaks ties so paging is stable.
SORTS = {
    "name": "name",
    "customer": "customer_account__name",
    "stage": "stage__order",
    "amount": "amount",
    "close_date": "close_date",
    "owner": "owner__last_name",
    "partner": "partner_account__name",
    "created": "created_at",
}


def opportunity_views_for(*, user) -> list[str]:
    """The list views this user's drop-down offers, the default first."""
    if user.is_partner_admin:
        return [VIEW_MINE, VIEW_ALL, VIEW_RECENT, VIEW_SHARED]
    if user.is_partner:
        return [VIEW_MINE, VIEW_RECENT, VIEW_SHARED]
    return [VIEW_ALL, VIEW_RECENT]


@dataclass
class ListQuery:
    """A parsed list-view request: the view, the filters and the sort, all validated."""

    view: str
    stage: Stage | None = None
    close_from: date | None = None
    close_to: date | None = None
    sort: str = ""
    descending: bool = False

    def order_by(self):
        if not self.sort:
            return None
        column = SORTS[self.sort]
        if self.descending:
            return [F(column).desc(nulls_last=True), "-id"]
        return [F(column).asc(nulls_last=True), "id"]


def _date(value):
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def list_query_parse(*, user, params, stages) -> ListQuery:
    views = opportunity_views_for(user=user)
    view = params.get("view") if params.get("view") in views else views[0]
    stage = None
    stage_id = params.get("stage") or ""
    if stage_id.isdigit():
        stage = next((s for s in stages if s.pk == int(stage_id)), None)
    sort = params.get("sort") or ""
    descending = sort.startswith("-")
    sort = sort.lstrip("-")
    if sort not in SORTS:
        sort, descending = "", False
    return ListQuery(
        view=view,
        stage=stage,
        close_from=_date(params.get("close_from")),
        close_to=_date(params.get("close_to")),
        sort=sort,
        descending=descending,
    )


def opportunity_list_for_query(*, user, query: ListQuery) -> QuerySet[Opportunity]:
    qs = opportunity_list_visible_to(user=user)
    default_order = ["-created_at", "-id"]
    if query.view == VIEW_MINE:
        qs = qs.filter(owner=user)
    elif query.view == VIEW_ALL and user.is_partner:
        qs = qs.filter(_own_q(user))  # the partner's pipeline; shared deals have their own view
    elif query.view == VIEW_SHARED:
        qs = qs.filter(_shared_q(user)).exclude(_own_q(user))
    elif query.view == VIEW_RECENT:
        touched = RecentItem.objects.filter(
            user=user, content_type=ContentType.objects.get_for_model(Opportunity), object_id=OuterRef("pk")
        ).values("touched_at")[:1]
        qs = qs.annotate(viewed_at=Subquery(touched)).filter(viewed_at__isnull=False)
        default_order = ["-viewed_at", "-id"]
    if query.stage is not None:
        qs = qs.filter(stage=query.stage)
    if query.close_from:
        qs = qs.filter(close_date__gte=query.close_from)
    if query.close_to:
        qs = qs.filter(close_date__lte=query.close_to)
    return qs.order_by(*(query.order_by() or default_order))


def stage_list() -> list[Stage]:
    return list(Stage.objects.order_by("order", "id"))


def opportunity_owner_choices(*, partner_account) -> QuerySet[User]:
    """Who may own a deal of this partner: its active partner users and admins."""
    return User.objects.filter(
        partner_account=partner_account, role__in=User.PARTNER_ROLES, is_active=True
    ).order_by("last_name", "first_name", "email")


def customer_account_names_for(*, partner_account, limit=200) -> list[str]:
    return list(
        CustomerAccount.objects.filter(partner_account=partner_account)
        .order_by("name")
        .values_list("name", flat=True)
        .distinct()[:limit]
    )


def opportunity_timeline(*, opportunity, until=None, viewer=None) -> list:
    """The deal's whole history back to its source lead (C10, D3): both timelines merged, newest first,
    as `viewer` may see them (core.selectors.activity_list_for)."""
    events = []
    for event in activity_list_for(target=opportunity, until=until, viewer=viewer):
        event.source = "opportunity"
        events.append(event)
    if opportunity.source_lead_id:
        from leads.models import Lead

        lead = Lead(pk=opportunity.source_lead_id)
        for event in activity_list_for(target=lead, until=until, viewer=viewer):
            event.source = "lead"
            events.append(event)
    events.sort(key=lambda e: (e.created_at, e.source == "opportunity", e.pk), reverse=True)
    return events
