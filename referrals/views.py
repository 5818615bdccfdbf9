"""Referral pages: thin views over selectors and services (E1-E13)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from accounts import access
from prm_portal.core.errors import InvalidTransition
from prm_portal.core.selectors import activity_list_for
from prm_portal.core.services import recent_item_touch
from prm_portal.core.versioning import StaleVersion, form_version_refresh

from . import services
from .forms import (
    AcceptForm,
    DeclineForm,
    EditForm,
    FilterForm,
    LostForm,
    OutboundForm,
    RegistrationForm,
    ReviewForm,
    SendForm,
    StageForm,
    TeamMemberForm,
    WonForm,
)
from .models import SALES_STAGE_ORDER, SALES_STAGE_PERCENT, DealRegistration, SalesStage
from .selectors import (
    TABS,
    customer_suggestions_for,
    deal_registration_list_to_review,
    partner_match_for_inquiry,
    referral_get_for_user,
    referral_is_favorite,
    referral_list_for_tab,
    referral_tab_counts,
    team_member_recent_for,
)

TAB_LABELS = {
    "marketplace": gettext_lazy("Marketplace"),
    "qualified": pgettext_lazy("referral tab", "Qualified"),
    "favorites": gettext_lazy("Favorites"),
    "outbound": gettext_lazy("Outbound"),
    "closed": gettext_lazy("Closed"),
}


def _vendor_staff_only(request):
    if not request.user.is_vendor_staff:
        raise Http404("Not found.")


@login_required
def referral_list(request):
    """The Referrals tab (E2): Marketplace, Qualified, Favorites, Outbound, Closed, with filters."""
    tab = request.GET.get("tab", "marketplace")
    if tab not in TABS:
        tab = "marketplace"
    filters = FilterForm(request.GET or None, user=request.user)
    cleaned = filters.cleaned_data if filters.is_valid() else {}
    qs = referral_list_for_tab(
        user=request.user, tab=tab, deal_type=cleaned.get("deal_type", ""), status=cleaned.get("status", ""),
        location=cleaned["location"].pk if cleaned.get("location") else "",
        date_from=cleaned.get("date_from"), date_to=cleaned.get("date_to"),
        q=request.GET.get("q", "").replace("\x00", "").strip()[:100],
    )
    page = Paginator(qs.prefetch_related("solutions"), 25).get_page(request.GET.get("page"))
    now = timezone.now()
    for referral in page.object_list:
        referral.flame_state = referral.flame(now)
    query = request.GET.copy()
    query.pop("page", None)
    tabs = [{"key": key, "label": TAB_LABELS[key], "count": count}
            for key, count in referral_tab_counts(user=request.user).items()]
    return render(request, "referrals/referral_list.html", {
        "tab": tab, "tabs": tabs, "page": page, "filters": filters, "querystring": query.urlencode(),
    })


def _detail_context(request, referral, **forms):
    now = timezone.now()
    marked = {m.stage: m for m in referral.stage_marks.all()}
    stages = []
    for key in SALES_STAGE_ORDER:
        stages.append({"key": key, "label": SalesStage(key).label, "percent": SALES_STAGE_PERCENT[key],
                       "done": key in marked, "marked_at": marked[key].marked_at if key in marked else None})
    next_stage = next((s for s in stages if s["key"] not in ("created", "accepted", "won") and not s["done"]), None)
    registration = DealRegistration.objects.filter(referral=referral).first()
    # Only the referral's own people work it; a partner who sees it through a sharing rule reads it (A3).
    is_member = access.referral_can_change(request.user, referral)
    is_reviewer = False
    if request.user.is_vendor_staff:
        is_reviewer = access.referral_can_review(request.user, referral)
    can_register = is_member and services.referral_needs_registration(referral) and (
        registration is None or registration.status == DealRegistration.Status.MORE_INFO)
    ctx = {
        "referral": referral,
        "flame": referral.flame(now),
        "is_member": is_member,
        "shared_read_only": request.user.is_partner and not is_member,
        "is_reviewer": is_reviewer,
        "is_favorite": referral_is_favorite(user=request.user, referral=referral),
        "team": referral.team_members.all(),
        "solutions": referral.solutions.all(),
        "stages": stages,
        "next_stage": next_stage,
        "can_win": services.referral_can_win(referral),
        "registration": registration,
        "can_register": can_register,
        "events": activity_list_for(target=referral, viewer=request.user),
        "accept_form": AcceptForm(prefix="accept", initial={"version": referral.version}),
        "decline_form": DeclineForm(prefix="decline", initial={"version": referral.version}),
        "edit_form": EditForm(prefix="edit", initial={**{f: getattr(referral, f) for f in services.EDITABLE_FIELDS},
                                                      "version": referral.version}),
        "team_form": TeamMemberForm(prefix="team"),
        "lost_form": LostForm(prefix="lost", initial={"version": referral.version}),
        "registration_form": RegistrationForm(prefix="reg", instance=registration if can_register else None,
                                              initial={"contract_value": referral.estimated_value,
                                                       "version": registration.version if registration else None}),
        "review_form": ReviewForm(prefix="review", initial={"version": registration.version if registration else None}),
    }
    ctx.update(forms)
    return ctx


@login_required
def referral_detail(request, pk):
    referral = referral_get_for_user(user=request.user, pk=pk)
    recent_item_touch(user=request.user, target=referral, label=referral.title,
                      url=reverse("referrals:detail", kwargs={"pk": referral.pk}))
    return render(request, "referrals/referral_detail.html", _detail_context(request, referral))


def _run(request, referral, call, success, stale_ctx=None, **form_ctx):
    """Call a service; on InvalidTransition show its message where the user is.

    A StaleVersion (the referral changed since the page was read) shows the referral as it is now, with what
    changed, and the user's form still open and filled in (`form_ctx`, else `stale_ctx`) at the current version.
    """
    try:
        call()
    except StaleVersion as exc:
        messages.error(request, str(exc))
        ctx = form_ctx or stale_ctx
        if not ctx:
            return redirect("referrals:detail", pk=referral.pk)
        for form in ctx.values():
            if hasattr(form, "add_prefix") and form.is_bound:
                form_version_refresh(form, exc.current_version)
        referral = referral_get_for_user(user=request.user, pk=referral.pk)
        return render(request, "referrals/referral_detail.html", _detail_context(request, referral, **ctx),
                      status=409)
    except InvalidTransition as exc:
        messages.error(request, str(exc))
        if form_ctx:
            return render(request, "referrals/referral_detail.html", _detail_context(request, referral, **form_ctx),
                          status=400)
        return redirect("referrals:detail", pk=referral.pk)
    messages.success(request, success)
    return redirect("referrals:detail", pk=referral.pk)


def _invalid(request, referral, **form_ctx):
    messages.error(request, _("Please correct the errors below."))
    return render(request, "referrals/referral_detail.html", _detail_context(request, referral, **form_ctx),
                  status=400)


@login_required
@require_POST
def referral_accept(request, pk):
    referral = referral_get_for_user(user=request.user, pk=pk)
    form = AcceptForm(request.POST, prefix="accept")
    if not form.is_valid():
        return _invalid(request, referral, accept_form=form, open_form="accept")
    d = form.cleaned_data
    return _run(request, referral, lambda: services.referral_accept(
        actor=request.user, referral=referral, name=d["name"], estimated_value=d["estimated_value"],
        estimated_close_date=d["estimated_close_date"], notes=d["notes"], crm_id=d["crm_id"],
        campaign_id=d["campaign_id"], team_members=form.team_members(), expected_version=d["version"],
    ), _("Referral accepted."), accept_form=form, open_form="accept")


@login_required
@require_POST
def referral_decline(request, pk):
    referral = referral_get_for_user(user=request.user, pk=pk)
    form = DeclineForm(request.POST, prefix="decline")
    if not form.is_valid():
        return _invalid(request, referral, decline_form=form, open_form="decline")
    return _run(request, referral, lambda: services.referral_decline(
        actor=request.user, referral=referral, reason=form.cleaned_data["reason"], notes=form.cleaned_data["notes"],
        expected_version=form.cleaned_data["version"],
    ), _("Referral declined. The sender has been told."), stale_ctx={"decline_form": form, "open_form": "decline"})


@login_required
@require_POST
def referral_edit(request, pk):
    referral = referral_get_for_user(user=request.user, pk=pk)
    form = EditForm(request.POST, prefix="edit")
    if not form.is_valid():
        return _invalid(request, referral, edit_form=form, open_form="edit")
    fields = dict(form.cleaned_data)
    version = fields.pop("version")
    return _run(request, referral, lambda: services.referral_update(
        actor=request.user, referral=referral, expected_version=version, **fields), _("Deal updated."),
        edit_form=form, open_form="edit")


@login_required
@require_POST
def referral_team_add(request, pk):
    referral = referral_get_for_user(user=request.user, pk=pk)
    form = TeamMemberForm(request.POST, prefix="team")
    if not form.is_valid():
        return _invalid(request, referral, team_form=form, open_form="team")
    return _run(request, referral, lambda: services.referral_team_member_add(
        actor=request.user, referral=referral, **form.cleaned_data), _("Team member added."))


@login_required
@require_POST
def referral_stage(request, pk):
    referral = referral_get_for_user(user=request.user, pk=pk)
    form = StageForm(request.POST)
    valid = form.is_valid()
    stage = form.cleaned_data["stage"] if valid else ""
    version = form.cleaned_data["version"] if valid else None
    return _run(request, referral, lambda: services.referral_stage_mark(
        actor=request.user, referral=referral, stage=stage, expected_version=version), _("Sales stage marked done."))


@login_required
@require_POST
def referral_won(request, pk):
    referral = referral_get_for_user(user=request.user, pk=pk)
    form = WonForm(request.POST)
    version = form.cleaned_data["version"] if form.is_valid() else None
    return _run(request, referral, lambda: services.referral_win(actor=request.user, referral=referral,
                                                                 expected_version=version),
                _("Marked as won. Congratulations!"))


@login_required
@require_POST
def referral_lost(request, pk):
    referral = referral_get_for_user(user=request.user, pk=pk)
    form = LostForm(request.POST, prefix="lost")
    if not form.is_valid():
        return _invalid(request, referral, lost_form=form, open_form="lost")
    return _run(request, referral, lambda: services.referral_lose(
        actor=request.user, referral=referral, reason=form.cleaned_data["reason"],
        expected_version=form.cleaned_data["version"]), _("Marked as lost."),
        stale_ctx={"lost_form": form, "open_form": "lost"})


@login_required
@require_POST
def referral_favorite(request, pk):
    referral = referral_get_for_user(user=request.user, pk=pk)
    is_favorite = services.referral_favorite_toggle(user=request.user, referral=referral)
    if request.htmx:
        return render(request, "referrals/_heart.html", {"referral": referral, "is_favorite": is_favorite})
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        next_url = reverse("referrals:detail", kwargs={"pk": referral.pk})
    return redirect(next_url)


@login_required
@require_POST
def referral_register(request, pk):
    referral = referral_get_for_user(user=request.user, pk=pk)
    registration = DealRegistration.objects.filter(referral=referral).first()
    form = RegistrationForm(request.POST, prefix="reg", instance=registration)
    if not form.is_valid():
        return _invalid(request, referral, registration_form=form, open_form="register")
    d = form.cleaned_data
    return _run(request, referral, lambda: services.deal_registration_submit(
        actor=request.user, referral=referral, contract_value=d["contract_value"],
        contract_signed_on=d["contract_signed_on"], details=d["details"], customer_po=d["customer_po"],
        expected_version=d["version"],
    ), _("Registration sent for review."), registration_form=form, open_form="register")


@login_required
@require_POST
def referral_review(request, pk):
    referral = referral_get_for_user(user=request.user, pk=pk)
    _vendor_staff_only(request)
    registration = DealRegistration.objects.filter(referral=referral).first()
    if registration is None:
        raise Http404("No registration.")
    form = ReviewForm(request.POST, prefix="review")
    if not form.is_valid():
        return _invalid(request, referral, review_form=form)
    return _run(request, referral, lambda: services.deal_registration_review(
        actor=request.user, registration=registration, decision=form.cleaned_data["decision"],
        comment=form.cleaned_data["comment"], expected_version=form.cleaned_data["version"]),
        _("Review recorded. The partner can see the outcome."),
        review_form=form)


@login_required
@require_POST
def referral_offer_next(request, pk):
    """Vendor staff: offer a declined or expired inquiry to the next best-matching partner (E13)."""
    referral = referral_get_for_user(user=request.user, pk=pk)
    _vendor_staff_only(request)
    try:
        new = services.referral_offer_next(actor=request.user, referral=referral)
    except InvalidTransition as exc:
        messages.error(request, str(exc))
        return redirect("referrals:detail", pk=referral.pk)
    messages.success(request, _("Offered to %(partner)s (%(location)s).") % {
        "partner": new.partner_account, "location": new.location})
    return redirect("referrals:detail", pk=new.pk)


@login_required
def referral_new(request):
    """The guided New deal form (E9)."""
    if not request.user.is_partner:
        raise Http404("Not found.")
    form = OutboundForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            referral = services.referral_create_outbound(
                actor=request.user, location=d["location"], customer_name=d["customer_name"],
                customer_duns=d["customer_duns"], customer_city=d["customer_city"],
                customer_country=d["customer_country"], contact_name=d["contact_name"],
                contact_phone=d["contact_phone"], contact_email=d["contact_email"], contact_notes=d["contact_notes"],
                contact_consent=d["contact_consent"], name=d["name"], estimated_value=d["estimated_value"],
                estimated_close_date=d["estimated_close_date"], notes=d["notes"], crm_id=d["crm_id"],
                campaign_id=d["campaign_id"], team_members=form.team_members(), solutions=form.solutions(),
                consent=d["consent"],
            )
        except InvalidTransition as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Deal created. It is in the Outbound tab."))
            return redirect("referrals:detail", pk=referral.pk)
    elif request.method == "POST":
        messages.error(request, _("Please correct the errors below."))
    return render(request, "referrals/referral_new.html", {
        "form": form, "recent_people": team_member_recent_for(user=request.user)})


@login_required
def customer_suggestions(request):
    """Suggestions for the customer name in the New deal form (E9): JSON, or an htmx partial."""
    q = (request.GET.get("q") or request.GET.get("customer_name") or "").replace("\x00", "")
    country = (request.GET.get("country") or request.GET.get("customer_country") or "").replace("\x00", "")
    rows = customer_suggestions_for(user=request.user, q=q.strip()[:100], country=country.strip()[:2])
    if request.htmx:
        return render(request, "referrals/_customer_suggestions.html", {"rows": rows})
    return JsonResponse({"results": rows})


@login_required
def referral_send(request):
    """Vendor staff: send an inbound referral to a chosen partner or the best match (E13)."""
    _vendor_staff_only(request)
    form = SendForm(request.POST or None, user=request.user)
    matches = []
    if request.method == "POST" and form.is_valid():
        inquiry = form.inquiry()
        matches = partner_match_for_inquiry(  # among the partners this person manages, as Send itself does
            keywords=inquiry["keywords"], need=inquiry["need"], company_size=inquiry["customer_size"],
            industry=inquiry["customer_industry"], city=inquiry["customer_city"],
            country=inquiry["customer_country"], among=form.fields["partner"].queryset)
        if "preview" not in request.POST:
            partner = form.cleaned_data.get("partner")
            try:
                referral = services.referral_offer(actor=request.user, partner_account=partner, **inquiry)
            except InvalidTransition as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("Referral sent to %(partner)s (%(location)s).") % {
                    "partner": referral.partner_account, "location": referral.location})
                return redirect("referrals:detail", pk=referral.pk)
    elif request.method == "POST":
        messages.error(request, _("Please correct the errors below."))
    return render(request, "referrals/referral_send.html", {"form": form, "matches": matches})


@login_required
def registration_list(request):
    """Vendor staff: deal registrations to review (E11)."""
    _vendor_staff_only(request)
    page = Paginator(deal_registration_list_to_review(user=request.user), 50).get_page(request.GET.get("page"))
    return render(request, "referrals/registration_list.html", {"page": page})
