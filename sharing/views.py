"""A3/A4: the external user access wizard. The draft lives in the session until Done; views stay thin."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.selectors import partner_account_list_visible_to, portal_settings_get
from accounts.views import vendor_admin_required
from prm_portal.core.errors import InvalidTransition

from .forms import SharingRuleForm, SharingTypesForm
from .models import RecordType
from .selectors import RuleDraft, sharing_dry_run, sharing_rule_list
from .services import sharing_apply

WIZARD_KEY = "sharing_wizard"
STEPS = (1, 2, 3)


def _posted(request):
    """Bound form data on POST (even an empty POST: an unticked box is an answer), None on GET."""
    return request.POST if request.method == "POST" else None


def _draft(request):
    return request.session.get(WIZARD_KEY)


def _save_draft(request, draft):
    request.session[WIZARD_KEY] = draft
    request.session.modified = True


def _rules(draft):
    return [RuleDraft(**r) for r in draft["rules"]]


@vendor_admin_required
def sharing_start(request):
    settings_row = portal_settings_get()
    if request.method == "POST":
        if not settings_row.prm_enabled:
            messages.error(request, _("Enable partner relationship management first."))
            return redirect("accounts:prm_settings")
        _save_draft(request, {
            "types": settings_row.shared_record_types(),
            "rules": [RuleDraft.from_rule(r).to_dict() for r in sharing_rule_list()],
            "reached": 1,
        })
        return redirect("sharing:step", step=1)
    return render(request, "sharing/sharing_start.html", {"settings_row": settings_row})


@vendor_admin_required
def sharing_step(request, step):
    if step not in STEPS:
        raise Http404
    draft = _draft(request)
    if draft is None:
        messages.error(request, _("Start the external user access wizard from its first page."))
        return redirect("sharing:start")
    if step > draft["reached"]:
        messages.error(request, _("Finish step %(step)s first: the wizard's steps go in order.")
                       % {"step": draft["reached"]})
        return redirect("sharing:step", step=draft["reached"])
    handler = {1: _step_types, 2: _step_rules, 3: _step_summary}[step]
    return handler(request, draft)


def _step_types(request, draft):
    form = SharingTypesForm(_posted(request), initial={"record_types": draft["types"]})
    if request.method == "POST" and form.is_valid():
        draft["types"] = form.cleaned_data["record_types"]
        draft["reached"] = max(draft["reached"], 2)
        _save_draft(request, draft)
        return redirect("sharing:step", step=2)
    return render(request, "sharing/sharing_step_types.html", {"form": form, "step": 1})


def _step_rules(request, draft):
    accounts = partner_account_list_visible_to(user=request.user).filter(is_partner=True)
    form = SharingRuleForm(record_types=draft["types"], accounts=accounts)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "add":
            form = SharingRuleForm(request.POST, record_types=draft["types"], accounts=accounts)
            if form.is_valid():
                account, queue = form.grantee_ids()
                draft["rules"].append(RuleDraft(
                    record_type=form.cleaned_data["record_type"], partner_account=account, queue=queue,
                    country=form.cleaned_data["country"], industry=form.cleaned_data["industry"].strip(),
                    access=form.cleaned_data["access"],
                ).to_dict())
                _save_draft(request, draft)
                messages.success(request, _("Rule added. It applies when you click Done."))
                return redirect("sharing:step", step=2)
        elif action == "remove":
            try:
                del draft["rules"][int(request.POST.get("index", ""))]
            except (ValueError, IndexError):
                messages.error(request, _("That rule is not in the list any more."))
            else:
                _save_draft(request, draft)
            return redirect("sharing:step", step=2)
        elif action == "next":
            draft["reached"] = 3
            _save_draft(request, draft)
            return redirect("sharing:step", step=3)
    rows = sharing_dry_run(record_types=draft["types"], rules=_rules(draft))
    return render(request, "sharing/sharing_step_rules.html", {
        "form": form, "rows": rows, "step": 2, "types": draft["types"],
    })


def _step_summary(request, draft):
    rows = sharing_dry_run(record_types=draft["types"], rules=_rules(draft))
    return render(request, "sharing/sharing_step_summary.html", {
        "rows": rows, "step": 3,
        "type_labels": [RecordType(t).label for t in draft["types"]],
    })


@require_POST
@vendor_admin_required
def sharing_done(request):
    draft = _draft(request)
    if draft is None or draft["reached"] < 3:
        messages.error(request, _("Review the summary (step 3) before clicking Done. Nothing was changed."))
        return redirect("sharing:step", step=draft["reached"]) if draft else redirect("sharing:start")
    try:
        sharing_apply(actor=request.user, record_types=draft["types"], rules=_rules(draft))
    except InvalidTransition as exc:
        messages.error(request, str(exc))
        return redirect("sharing:step", step=3)
    request.session.pop(WIZARD_KEY, None)
    messages.success(request, _("The sharing rules are saved. Partners get their access in a moment, once the "
                                "rules are applied to every record."))
    return redirect("accounts:prm_settings")


@require_POST
@vendor_admin_required
def sharing_cancel(request):
    request.session.pop(WIZARD_KEY, None)
    messages.info(request, _("The wizard was cancelled: the sharing rules are unchanged."))
    return redirect("accounts:prm_settings")
