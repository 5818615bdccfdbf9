"""The Opportunities tab (D1, D2) and the deal page channel managers watch (D3). Views stay thin."""

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from prm_portal.core.csvutil import csv_row as _row
from prm_portal.core.errors import InvalidTransition
from prm_portal.core.models import Resource
from prm_portal.core.selectors import resource_list_for
from prm_portal.core.services import recent_item_touch
from prm_portal.core.versioning import StaleVersion, form_version_refresh

from . import services
from .forms import OpportunityCreateForm, OpportunityForm, ResourceForm, StageMoveForm
from .selectors import (
    VIEW_LABELS,
    customer_account_names_for,
    list_query_parse,
    opportunity_can_change,
    opportunity_get_for_user,
    opportunity_list_for_query,
    opportunity_owner_choices,
    opportunity_timeline,
    opportunity_views_for,
    stage_list,
)

PAGE_SIZE = 25
LIVE_POLL_SECONDS = 4


def _next_url(request, fallback=None):
    """Where Save returns: the list view the user came from, if it is one of ours."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback or reverse("opportunities:list")


COLUMNS = [
    ("name", gettext_lazy("Name")),
    ("customer", gettext_lazy("Customer account")),
    ("stage", gettext_lazy("Stage")),
    ("amount", gettext_lazy("Amount")),
    ("close_date", gettext_lazy("Close date")),
    ("owner", gettext_lazy("Owner")),
    ("partner", gettext_lazy("Partner account")),
]


def _columns(request, query, *, show_partner):
    """The sortable column headers: a click sorts by the column, a second click reverses it."""
    columns = []
    for key, label in COLUMNS:
        if key == "partner" and not show_partner:
            continue
        params = request.GET.copy()
        params.pop("page", None)
        descending = query.sort == key and not query.descending
        params["sort"] = f"-{key}" if descending else key
        state = ("desc" if query.descending else "asc") if query.sort == key else ""
        columns.append({"key": key, "label": label, "url": "?" + params.urlencode(), "state": state})
    return columns


@login_required
@require_GET
def opportunity_list(request):
    stages = stage_list()
    query = list_query_parse(user=request.user, params=request.GET, stages=stages)
    qs = opportunity_list_for_query(user=request.user, query=query)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    views = [(key, VIEW_LABELS[key]) for key in opportunity_views_for(user=request.user)]
    return render(
        request,
        "opportunities/opportunity_list.html",
        {
            "page": page,
            "query": query,
            "views": views,
            "view_label": VIEW_LABELS[query.view],
            "stages": stages,
            "columns": _columns(request, query, show_partner=not request.user.is_partner),
            "can_create": request.user.is_partner,
            "show_partner": not request.user.is_partner,
            "export_query": request.GET.urlencode(),
        },
    )




class _Echo:
    def write(self, value):
        return value


@login_required
@require_GET
def opportunity_export(request):
    """The list view as filtered, as CSV (every page, streamed)."""
    query = list_query_parse(user=request.user, params=request.GET, stages=stage_list())
    qs = opportunity_list_for_query(user=request.user, query=query)
    writer = csv.writer(_Echo())
    header = ["id", "name", "customer_account", "stage", "probability", "amount", "currency", "close_date",
              "next_step", "owner", "owner_email", "partner_account", "source_lead_id", "created_at"]

    def rows():
        yield writer.writerow(header)
        for o in qs.iterator(chunk_size=2000):
            yield writer.writerow(_row([
                o.pk, o.name, o.customer_account.name, o.stage.name, o.stage.probability,
                o.amount if o.amount is not None else "", o.currency,
                o.close_date.isoformat() if o.close_date else "", o.next_step, str(o.owner), o.owner.email,
                o.partner_account.name, o.source_lead_id or "", o.created_at.isoformat(),
            ]))

    stamp = timezone.now().strftime("%Y%m%d")
    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="opportunities-{query.view}-{stamp}.csv"'
    return response


@login_required
def opportunity_create(request):
    if not request.user.is_partner:
        raise PermissionDenied(_("Opportunities are created by partner users."))
    partner = request.user.partner_account
    can_change_owner = request.user.is_partner_admin
    owners = opportunity_owner_choices(partner_account=partner)
    form = OpportunityCreateForm(
        request.POST or None, owners=owners, can_change_owner=can_change_owner,
        initial={"owner": request.user, "currency": "EUR"},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            opportunity = services.opportunity_create(
                actor=request.user,
                name=data["name"],
                partner_account=partner,
                owner=data["owner"] if can_change_owner else request.user,
                customer_name=data["customer_name"],
                contact_first_name=data["contact_first_name"],
                contact_last_name=data["contact_last_name"],
                contact_email=data["contact_email"],
                contact_phone=data["contact_phone"],
                amount=data["amount"],
                currency=data["currency"],
                close_date=data["close_date"],
                stage=data["stage"],
                next_step=data["next_step"],
                description=data["description"],
            )
        except InvalidTransition as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Opportunity “%(name)s” created.") % {"name": opportunity.name})
            return redirect(_next_url(request))
    return render(
        request,
        "opportunities/opportunity_form.html",
        {"form": form, "opportunity": None, "next": _next_url(request),
         "customer_names": customer_account_names_for(partner_account=partner)},
    )


@login_required
def opportunity_edit(request, pk):
    opportunity = opportunity_get_for_user(user=request.user, pk=pk, for_change=True)
    can_change_owner = not (request.user.is_partner and not request.user.is_partner_admin)
    form = OpportunityForm(
        request.POST or None,
        owners=opportunity_owner_choices(partner_account=opportunity.partner_account),
        can_change_owner=can_change_owner,
        initial={
            "name": opportunity.name,
            "customer_name": opportunity.customer_account.name,
            "amount": opportunity.amount,
            "currency": opportunity.currency,
            "close_date": opportunity.close_date,
            "stage": opportunity.stage,
            "next_step": opportunity.next_step,
            "description": opportunity.description,
            "owner": opportunity.owner,
            "version": opportunity.version,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.opportunity_update(
                actor=request.user,
                opportunity=opportunity,
                name=data["name"],
                customer_name=data["customer_name"],
                amount=data["amount"],
                currency=data["currency"],
                close_date=data["close_date"],
                stage=data["stage"],
                next_step=data["next_step"],
                description=data["description"],
                owner=data["owner"] if can_change_owner else None,
                expected_version=data["version"],
            )
        except StaleVersion as exc:
            form.add_error(None, str(exc))
            form_version_refresh(form, exc.current_version)
        except InvalidTransition as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Opportunity “%(name)s” saved.") % {"name": data["name"]})
            return redirect(_next_url(request))
    return render(
        request,
        "opportunities/opportunity_form.html",
        {"form": form, "opportunity": opportunity, "next": _next_url(request),
         "customer_names": customer_account_names_for(partner_account=opportunity.partner_account)},
    )


def _until(request):
    from datetime import datetime, time

    value = request.GET.get("until") or ""
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        return None, ""
    return timezone.make_aware(datetime.combine(day, time.max)), value


def _live_context(request, opportunity):
    until, until_value = _until(request)
    live_url = reverse("opportunities:live", kwargs={"pk": opportunity.pk})
    if until_value:
        live_url += f"?until={until_value}"
    return {
        "opportunity": opportunity,
        "events": opportunity_timeline(opportunity=opportunity, until=until, viewer=request.user),
        "resources": resource_list_for(target=opportunity),
        "until": until_value,
        "live_url": live_url,
        "poll_seconds": LIVE_POLL_SECONDS,
    }


def _lead_url(lead_id):
    try:
        return reverse("leads:detail", kwargs={"pk": lead_id})
    except NoReverseMatch:
        return ""


def _stage_form(opportunity):
    """The Move stage box as read now: the current stage and the version it is at."""
    return StageMoveForm(initial={"stage": opportunity.stage, "version": opportunity.version})


def _detail_context(request, opportunity, *, stage_form=None):
    context = _live_context(request, opportunity)
    context.update(
        {
            "stage_form": stage_form or _stage_form(opportunity),
            "resource_form": ResourceForm(),
            "lead_url": _lead_url(opportunity.source_lead_id) if opportunity.source_lead_id else "",
            "can_change": opportunity_can_change(user=request.user, opportunity=opportunity),
            "list_url": _next_url(request),
        }
    )
    return context


@login_required
@require_GET
def opportunity_detail(request, pk):
    opportunity = opportunity_get_for_user(user=request.user, pk=pk)
    url = reverse("opportunities:detail", kwargs={"pk": opportunity.pk})
    recent_item_touch(user=request.user, target=opportunity, label=opportunity.name, url=url)
    return render(request, "opportunities/opportunity_detail.html", _detail_context(request, opportunity))


@login_required
@require_GET
def opportunity_live(request, pk):
    """The part of the deal page that refreshes itself (htmx polling): stage, amounts, timeline, resources.

    The poll sends the version the page's Move stage box was read at; when the deal has moved on since, the box
    comes along (out of band) with the current stage and version, so the common case is never stale."""
    opportunity = opportunity_get_for_user(user=request.user, pk=pk)
    context = _live_context(request, opportunity)
    seen = request.GET.get("version", "")
    if seen.isdigit() and int(seen) != opportunity.version \
            and opportunity_can_change(user=request.user, opportunity=opportunity):
        context.update({"stage_form": _stage_form(opportunity), "oob": True})
    return render(request, "opportunities/_live_response.html", context)


@login_required
@require_POST
def opportunity_stage_move(request, pk):
    opportunity = opportunity_get_for_user(user=request.user, pk=pk, for_change=True)
    form = StageMoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a stage."))
    else:
        try:
            services.opportunity_stage_change(actor=request.user, opportunity=opportunity,
                                              stage=form.cleaned_data["stage"],
                                              expected_version=form.cleaned_data["version"])
        except StaleVersion as exc:
            # Stay on the deal as it is now, the refusal in the Move stage box, the chosen stage kept.
            form.add_error(None, str(exc))
            form_version_refresh(form, exc.current_version)
            opportunity = opportunity_get_for_user(user=request.user, pk=pk)
            return render(request, "opportunities/opportunity_detail.html",
                          _detail_context(request, opportunity, stage_form=form), status=409)
        except InvalidTransition as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Stage changed to %(stage)s.") % {"stage": form.cleaned_data["stage"].name})
    return redirect("opportunities:detail", pk=opportunity.pk)


@login_required
@require_POST
def opportunity_resource_add(request, pk):
    opportunity = opportunity_get_for_user(user=request.user, pk=pk)
    form = ResourceForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    else:
        data = form.cleaned_data
        try:
            services.opportunity_resource_add(
                actor=request.user, opportunity=opportunity, kind=data["kind"], title=data["title"],
                body=data["body"], url=data["url"], file=data["file"],
            )
        except InvalidTransition as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Added to the opportunity; the partner and the channel manager see it."))
    return redirect("opportunities:detail", pk=opportunity.pk)


@login_required
@require_GET
def opportunity_resource_file(request, pk, resource_pk):
    """Serve an attached file to whoever may see the deal: no public media URL."""
    opportunity = opportunity_get_for_user(user=request.user, pk=pk)
    resource = resource_list_for(target=opportunity).filter(pk=resource_pk, kind=Resource.Kind.FILE).first()
    if resource is None or not resource.file:
        raise Http404("No such file.")
    return FileResponse(resource.file.open("rb"), as_attachment=True,
                        filename=resource.file.name.rsplit("/", 1)[-1])


