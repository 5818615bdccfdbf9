"""Deal registration and channel conflict pages (H3, H4): thin views over selectors and services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import access
from accounts.views import staff_required
from prm_portal.core.errors import InvalidTransition
from prm_portal.core.selectors import activity_list_for
from prm_portal.core.services import recent_item_touch
from prm_portal.core.versioning import StaleVersion, form_version_refresh

from . import services
from .forms import ConflictResolveForm, ExtendForm, RegistrationForm, ReviewForm, StatusFilterForm
from .models import Registration
from .selectors import (
    conflict_evidence,
    conflict_get_for_user,
    conflict_list_open_for,
    conflict_sides,
    registration_get_for_user,
    registration_list_visible_to,
)


@login_required
def registration_list(request):
    form = StatusFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    page = Paginator(registration_list_visible_to(user=request.user, status=status), 50).get_page(
        request.GET.get("page"))
    return render(request, "registrations/registration_list.html", {
        "page": page, "filter_form": form, "can_register": request.user.is_partner,
        "open_conflicts": conflict_list_open_for(user=request.user).count() if request.user.is_vendor_staff else 0,
    })


@login_required
def registration_new(request):
    if not request.user.is_partner:
        raise Http404
    form = RegistrationForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            values = {k: v for k, v in form.cleaned_data.items() if k in services.FIELDS}
            try:
                registration = services.registration_submit(actor=request.user, **values)
            except InvalidTransition as exc:
                messages.error(request, str(exc))
            else:
                if services.record_is_under_review(registration):
                    messages.warning(request, str(services.UNDER_REVIEW_MESSAGE))
                messages.success(request, _("Deal registered. Your channel manager will review it."))
                return redirect("registrations:detail", pk=registration.pk)
        else:
            messages.error(request, _("Please correct the errors below."))
        return render(request, "registrations/registration_form.html", {"form": form}, status=400)
    return render(request, "registrations/registration_form.html", {"form": form})


def _detail_context(request, registration, **forms):
    user = request.user
    is_reviewer = access.registration_can_review(user, registration)
    can_change = access.registration_can_change(user, registration)
    context = {
        "registration": registration,
        "is_reviewer": is_reviewer,
        "can_change": can_change,
        "under_review": services.record_is_under_review(registration),
        "events": activity_list_for(target=registration, viewer=user)[:200],
        "review_form": forms.get("review_form") or ReviewForm(initial={"version": registration.version},
                                                              prefix="review"),
        "extend_form": forms.get("extend_form") or ExtendForm(initial={"version": registration.version},
                                                              prefix="extend"),
        "resubmit_form": forms.get("resubmit_form") or RegistrationForm(
            instance=registration, initial={"version": registration.version}, prefix="reg"),
        "open_form": forms.get("open_form", ""),
    }
    if is_reviewer:
        context["conflicts"] = services.conflicts_open_for(registration)
    return context


@login_required
def registration_detail(request, pk):
    registration = registration_get_for_user(user=request.user, pk=pk)
    recent_item_touch(user=request.user, target=registration, label=registration.customer_name,
                      url=reverse("registrations:detail", kwargs={"pk": registration.pk}))
    return render(request, "registrations/registration_detail.html", _detail_context(request, registration))


def _run(request, registration, call, success, **forms):
    """Call a service: a refusal is shown where the user is (400, or 409 when the registration changed since the
    page was read, the form kept at the current version); success redirects to the registration."""
    try:
        call()
    except StaleVersion as exc:
        messages.error(request, str(exc))
        for form in forms.values():
            if hasattr(form, "add_prefix") and form.is_bound:
                form_version_refresh(form, exc.current_version)
        registration = registration_get_for_user(user=request.user, pk=registration.pk)
        return render(request, "registrations/registration_detail.html",
                      _detail_context(request, registration, **forms), status=409)
    except InvalidTransition as exc:
        messages.error(request, str(exc))
        return render(request, "registrations/registration_detail.html",
                      _detail_context(request, registration, **forms), status=400)
    messages.success(request, success)
    return redirect("registrations:detail", pk=registration.pk)


def _invalid(request, registration, **forms):
    messages.error(request, _("Please correct the errors below."))
    return render(request, "registrations/registration_detail.html", _detail_context(request, registration, **forms),
                  status=400)


@login_required
@require_POST
def registration_review(request, pk):
    registration = registration_get_for_user(user=request.user, pk=pk)
    if not request.user.is_vendor_staff:
        raise Http404
    form = ReviewForm(request.POST, prefix="review")
    if not form.is_valid():
        return _invalid(request, registration, review_form=form, open_form="review")
    d = form.cleaned_data
    return _run(request, registration, lambda: services.registration_review(
        actor=request.user, registration=registration, decision=d["decision"], comment=d["comment"],
        protection_days=d["protection_days"], expected_version=d["version"]),
        _("Review recorded. The partner can see the outcome."), review_form=form, open_form="review")


@login_required
@require_POST
def registration_extend(request, pk):
    registration = registration_get_for_user(user=request.user, pk=pk)
    if not request.user.is_vendor_staff:
        raise Http404
    form = ExtendForm(request.POST, prefix="extend")
    if not form.is_valid():
        return _invalid(request, registration, extend_form=form, open_form="extend")
    return _run(request, registration, lambda: services.registration_extend(
        actor=request.user, registration=registration, days=form.cleaned_data["days"],
        expected_version=form.cleaned_data["version"]),
        _("Protection extended."), extend_form=form, open_form="extend")


@login_required
@require_POST
def registration_resubmit(request, pk):
    registration = registration_get_for_user(user=request.user, pk=pk)
    if not access.registration_can_change(request.user, registration):
        raise Http404
    form = RegistrationForm(request.POST, instance=Registration.objects.get(pk=registration.pk), prefix="reg")
    if not form.is_valid():
        return _invalid(request, registration, resubmit_form=form, open_form="resubmit")
    values = {k: v for k, v in form.cleaned_data.items() if k in services.FIELDS}
    return _run(request, registration, lambda: services.registration_resubmit(
        actor=request.user, registration=registration, expected_version=form.cleaned_data["version"], **values),
        _("Registration sent for review again."), resubmit_form=form, open_form="resubmit")


@login_required
@require_POST
def registration_renewal(request, pk):
    registration = registration_get_for_user(user=request.user, pk=pk)
    if not access.registration_can_change(request.user, registration):
        raise Http404
    return _run(request, registration, lambda: services.registration_request_renewal(
        actor=request.user, registration=registration), _("Your channel manager was asked to extend the protection."))


@staff_required
def conflict_list(request):
    """Open conflicts by age, oldest first: the vendor's queue of decisions."""
    page = Paginator(conflict_list_open_for(user=request.user), 50).get_page(request.GET.get("page"))
    for conflict in page.object_list:
        conflict.matched = sorted({str(row["label"]) for row in conflict_evidence(conflict)})
    return render(request, "registrations/conflict_list.html", {"page": page})


def _conflict_context(request, conflict, form=None):
    return {"conflict": conflict, "sides": conflict_sides(conflict), "evidence": conflict_evidence(conflict),
            "can_resolve": access.conflict_can_resolve(request.user, conflict),
            "form": form or ConflictResolveForm(),
            "events": activity_list_for(target=conflict, viewer=request.user)}


@staff_required
def conflict_detail(request, pk):
    conflict = conflict_get_for_user(user=request.user, pk=pk)
    return render(request, "registrations/conflict_detail.html", _conflict_context(request, conflict))


@staff_required
@require_POST
def conflict_resolve(request, pk):
    conflict = conflict_get_for_user(user=request.user, pk=pk)
    form = ConflictResolveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a decision."))
        return render(request, "registrations/conflict_detail.html", _conflict_context(request, conflict, form),
                      status=400)
    try:
        services.conflict_resolve(actor=request.user, conflict=conflict, decision=form.cleaned_data["decision"],
                                  note=form.cleaned_data["note"])
    except InvalidTransition as exc:
        messages.error(request, str(exc))
        return render(request, "registrations/conflict_detail.html", _conflict_context(request, conflict, form),
                      status=400)
    messages.success(request, _("Conflict decided. The partners see that the review is over."))
    return redirect("registrations:conflict_detail", pk=conflict.pk)
