import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from prm_portal.core.errors import InvalidTransition
from prm_portal.core.events import event_sentence
from prm_portal.core.models import Resource
from prm_portal.core.selectors import activity_list_for, resource_list_for
from prm_portal.core.services import recent_item_touch
from prm_portal.core.versioning import StaleVersion, form_version_refresh

from . import permissions, services
from .forms import ClaimLimitsForm, ConvertForm, CsvImportForm, LeadForm, ReassignForm, ResourceForm, WebToLeadForm
from .models import ClaimLimitSettings, Lead
from .selectors import (
    VIEWS,
    lead_claimable_ids,
    lead_get_for_user,
    lead_import_get_for_user,
    lead_list_visible_to,
    lead_owner_choices_for,
    lead_page_list_visible_to,
    lead_preview_get_for_user,
    queue_choices_for,
    sla_breach_list_visible_to,
)

PAGE_SIZE = 50


def _back(request, default="leads:list"):
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


def _list_context(request):
    view = request.GET.get("view", "all")
    view = view if view in VIEWS else "all"
    status = request.GET.get("status", "")
    status = status if status in Lead.Status.values else ""
    leads = lead_page_list_visible_to(user=request.user, view=view, status=status, page_size=PAGE_SIZE,
                                      page_number=request.GET.get("page"))
    page = Paginator(leads, PAGE_SIZE).get_page(request.GET.get("page"))
    return {"page": page, "view": view, "status": status, "can_manage": permissions.can_manage(request.user),
            "claimable": lead_claimable_ids(leads=page.object_list),
            "clocks": services.sla_clocks_for(leads=page.object_list)}  # time left on each lead (issue 13)


@login_required
def lead_list(request):
    """The Leads tab: leads assigned to the user and open leads in their queues (C2), Accept on queue leads."""
    context = _list_context(request)
    user = request.user
    if user.is_partner:
        context["usage"] = services.claim_usage_for(user=user)
    if context["can_manage"]:
        context["reassign_form"] = ReassignForm(owners=lead_owner_choices_for(user=user),
                                                queues=queue_choices_for(user=user))
    context["statuses"] = Lead.Status.choices
    return render(request, "leads/lead_list.html", context)


@login_required
def lead_rows(request):
    """The list's rows alone: the Leads tab polls it so claimed leads leave every other member's view (C3).
    Rendered without the page's context processors (no sidebar, no brand): it is asked for every few seconds."""
    context = {**_list_context(request), "csrf_token": get_token(request)}
    return HttpResponse(render_to_string("leads/_rows.html", context))


@login_required
def lead_detail(request, pk):
    lead = lead_get_for_user(user=request.user, pk=pk)
    user = request.user
    as_of = None
    until = None
    if permissions.can_manage(user, lead) and request.GET.get("as_of"):
        try:
            as_of = datetime.date.fromisoformat(request.GET["as_of"])
            until = timezone.make_aware(datetime.datetime.combine(as_of, datetime.time.max))
        except ValueError:
            messages.error(request, _("Enter the date as YYYY-MM-DD."))
    recent_item_touch(user=user, target=lead, label=lead.company, url=reverse("leads:detail", args=[lead.pk]))
    context = {
        "lead": lead,
        "events": activity_list_for(target=lead, until=until, viewer=user)[:200],
        "as_of": as_of,
        "resources": resource_list_for(target=lead),
        "can_edit": permissions.can_edit(user, lead),
        "can_claim": permissions.can_claim(user, lead),
        "can_convert": permissions.can_convert(user, lead),
        "can_manage": permissions.can_manage(user, lead),
        "clock": services.sla_clocks_for(leads=[lead]).get(lead.pk),  # the queue's service level, if one runs
    }
    if context["can_manage"]:
        context["reassign_form"] = ReassignForm(owners=lead_owner_choices_for(user=user),
                                                queues=queue_choices_for(user=user), initial={"version": lead.version})
        context["resource_form"] = ResourceForm()
    opportunity = getattr(lead, "opportunity", None) if lead.status == Lead.Status.CONVERTED else None
    context["opportunity"] = opportunity
    return render(request, "leads/lead_detail.html", context)


@login_required
def lead_preview(request, pk):
    """A queue lead before Accept: company, country, industry, size, source and need; the contact details come with
    the lead once accepted. Members of the lead's queue only (anyone else: 404)."""
    lead = lead_preview_get_for_user(user=request.user, pk=pk)
    return render(request, "leads/lead_preview.html", {"lead": lead})


@login_required
def lead_edit(request, pk):
    lead = lead_get_for_user(user=request.user, pk=pk)
    if not permissions.can_edit(request.user, lead):
        messages.error(request, _("You cannot edit this lead."))
        return redirect("leads:detail", pk=lead.pk)
    form = LeadForm(request.POST or None, instance=Lead.objects.get(pk=lead.pk), initial={"version": lead.version})
    if request.method == "POST" and form.is_valid():
        try:
            services.lead_update(actor=request.user, lead=lead, expected_version=form.cleaned_data["version"],
                                 **{f: form.cleaned_data[f] for f in form.Meta.fields})
        except StaleVersion as exc:
            form.add_error(None, str(exc))
            form_version_refresh(form, exc.current_version)
        except InvalidTransition as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("%(lead)s saved.") % {"lead": lead.company})
            return redirect("leads:list")
    return render(request, "leads/lead_form.html", {"lead": lead, "form": form})


@login_required
@require_POST
def lead_claim(request, pk):
    """Accept (C3): the database decides who wins; the losers get the message, nothing else changes."""
    try:
        lead = services.lead_claim(actor=request.user, lead_id=pk, remember=True)
    except Lead.DoesNotExist:
        raise Http404("No such lead.")
    except InvalidTransition as exc:
        messages.error(request, str(exc))
        return _back(request)
    messages.success(request, _("You accepted %(lead)s. It is yours now.") % {"lead": lead.company})
    return _back(request)


@login_required
@require_POST
def lead_reassign(request):
    """Change owner of one lead or many (C6, C7), from the list or the detail page. Vendor staff only."""
    user = request.user
    if not permissions.can_manage(user):
        raise Http404
    form = ReassignForm(request.POST, owners=lead_owner_choices_for(user=user), queues=queue_choices_for(user=user))
    ids = [i for i in request.POST.getlist("lead") if i.isdigit()]
    leads = list(lead_list_visible_to(user=user).filter(pk__in=ids))
    if not form.is_valid():
        for error in form.errors.get("__all__", []) + form.errors.get("owner", []) + form.errors.get("queue", []):
            messages.error(request, error)
        return _back(request)
    if not leads:
        messages.error(request, _("Select at least one lead."))
        return _back(request)
    try:
        done = services.lead_reassign(actor=user, leads=leads, owner=form.cleaned_data["owner"],
                                      queue=form.cleaned_data["queue"], notify=form.cleaned_data["notify"],
                                      expected_version=form.cleaned_data["version"] if len(leads) == 1 else None)
    except InvalidTransition as exc:
        messages.error(request, str(exc))
        return _back(request)
    target = form.cleaned_data["owner"] or form.cleaned_data["queue"]
    text = _("%(n)s lead(s) reassigned to %(target)s.") % {"n": len(done), "target": target}
    if form.cleaned_data["notify"]:
        text += " " + _("Notification sent.")
    messages.success(request, text)
    return _back(request)


@login_required
def lead_convert(request, pk):
    lead = lead_get_for_user(user=request.user, pk=pk)
    if not permissions.can_convert(request.user, lead):
        messages.error(request, _("Only the owner of a qualified lead can convert it."))
        return redirect("leads:detail", pk=lead.pk)
    form = ConvertForm(request.POST or None, initial={"opportunity_name": lead.company, "version": lead.version})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            opportunity = services.lead_convert(actor=request.user, lead=lead,
                                                expected_version=data.pop("version"), **data)
        except StaleVersion as exc:
            form.add_error(None, str(exc))
            form_version_refresh(form, exc.current_version)
        except InvalidTransition as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("%(lead)s converted into the opportunity %(opp)s.")
                             % {"lead": lead.company, "opp": opportunity.name})
            try:
                return redirect(reverse("opportunities:detail", args=[opportunity.pk]))
            except NoReverseMatch:
                return redirect("opportunities:list")
    return render(request, "leads/lead_convert.html", {"lead": lead, "form": form})


@login_required
@require_POST
def lead_resource_add(request, pk):
    lead = lead_get_for_user(user=request.user, pk=pk)
    if not permissions.can_manage(request.user):
        raise Http404
    form = ResourceForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.lead_resource_add(actor=request.user, lead=lead, **form.cleaned_data)
        except InvalidTransition as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Resource added for the partner."))
    else:
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))
    return redirect("leads:detail", pk=lead.pk)


@login_required
def lead_resource_file(request, pk, resource_pk):
    """Serve an attached file to whoever may see the lead: no public media URL."""
    lead = lead_get_for_user(user=request.user, pk=pk)
    resource = resource_list_for(target=lead).filter(pk=resource_pk, kind=Resource.Kind.FILE).first()
    if resource is None or not resource.file:
        raise Http404
    return FileResponse(resource.file.open("rb"), as_attachment=True, filename=resource.file.name.rsplit("/", 1)[-1])


@login_required
def lead_import(request):
    if not permissions.can_manage(request.user):
        raise Http404
    form = CsvImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        filename, text = form.cleaned_data["file"]
        try:
            job = services.lead_import_start(actor=request.user, filename=filename, content=text)
        except services.ImportFileError as exc:
            form.add_error("file", exc.message)
        else:
            return redirect("leads:import_detail", pk=job.pk)
    return render(request, "leads/lead_import.html", {"form": form})


@login_required
def lead_import_detail(request, pk):
    """The import's progress: the page polls its own progress partial until the import is finished."""
    job = lead_import_get_for_user(user=request.user, pk=pk)
    done = services.lead_import_progress(job=job)
    percent = int(done * 100 / job.total_rows) if job.total_rows else 0
    context = {"job": job, "done": done, "percent": percent,
               "finished": job.status in (job.Status.DONE, job.Status.FAILED)}
    template = "leads/_import_progress.html" if request.htmx else "leads/lead_import_detail.html"
    return render(request, template, context)


def lead_web_form(request):
    """The public web-to-lead form (C12): the one page an anonymous visitor may use."""
    form = WebToLeadForm(request.POST or None)
    if request.method == "POST":
        if form.is_spam:
            return redirect("leads:web_form_thanks")  # a bot learns nothing
        if form.is_valid():
            fields = {k: v for k, v in form.cleaned_data.items() if k not in ("website", "token")}
            try:
                services.lead_web_form_submit(token=form.cleaned_data["token"],
                                              source_address=_client_address(request), fields=fields)
            except services.WebFormAlreadySent:
                pass  # the same form sent twice (a double click): its lead exists, the visitor is thanked again
            except services.WebFormRateLimited as exc:
                return render(request, "leads/web_form.html", {"form": form, "refusal": exc.message}, status=429)
            return redirect("leads:web_form_thanks")
        form.renew_expired_token()
    return render(request, "leads/web_form.html", {"form": form})


def _client_address(request):
    """The visitor's address as allauth's rate limits see it (ALLAUTH_TRUSTED_PROXY_COUNT behind a proxy)."""
    from allauth.account.adapter import get_adapter

    try:
        return get_adapter(request).get_client_ip(request)
    except PermissionDenied:
        return request.META.get("REMOTE_ADDR", "")


lead_web_form.prm_always_open = True


def lead_web_form_thanks(request):
    return render(request, "leads/web_form_thanks.html")


lead_web_form_thanks.prm_always_open = True


@login_required
def sla_breaches(request):
    """A channel manager's view of service-level breaches: escalations, recalls and re-routings of the leads of
    the partners they manage (and of leads waiting in queues), newest first."""
    if not permissions.can_manage(request.user):
        raise Http404
    page = Paginator(sla_breach_list_visible_to(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    leads = lead_list_visible_to(user=request.user).in_bulk([event.object_id for event in page.object_list])
    rows = [{"event": event, "lead": leads.get(event.object_id),
             "sentence": event_sentence(event, viewer=request.user)} for event in page.object_list]
    return render(request, "leads/sla_breaches.html", {"page": page, "rows": rows})


@login_required
def claim_limits(request):
    """Vendor admins set how many open queue leads a partner user / account may hold (C4)."""
    if not request.user.is_vendor_admin:
        raise Http404
    current = ClaimLimitSettings.objects.filter(id=1).first() or ClaimLimitSettings()
    form = ClaimLimitsForm(request.POST or None, initial={"max_open_per_user": current.max_open_per_user,
                                                          "max_open_per_partner": current.max_open_per_partner})
    if request.method == "POST" and form.is_valid():
        try:
            services.claim_limits_set(actor=request.user, **form.cleaned_data)
        except InvalidTransition as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Claim limits saved."))
            return redirect("leads:claim_limits")
    return render(request, "leads/claim_limits.html", {"form": form})
