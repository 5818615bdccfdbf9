"""Webhook endpoint pages (H5): vendor admins and partner admins register endpoints, see each one's delivery log
with the response codes, and send a delivery again. Everybody else: 404."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import access
from prm_portal.core.errors import InvalidTransition
from prm_portal.core.selectors import activity_list_for

from . import services
from .catalogue import NAMES
from .forms import EndpointForm
from .selectors import (
    delivery_get_for_user,
    delivery_log_for,
    delivery_rows,
    endpoint_get_for_user,
    endpoint_list_visible_to,
)


def webhook_admin_required(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not access.webhook_endpoint_can_create(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


@webhook_admin_required
def endpoint_list(request):
    return render(request, "webhooks/endpoint_list.html", {"endpoints": endpoint_list_visible_to(user=request.user),
                                                           "names": NAMES})


@webhook_admin_required
def endpoint_new(request):
    form = EndpointForm(request.POST or None, user=request.user)
    if request.method == "POST":
        if form.is_valid():
            try:
                endpoint = services.webhook_endpoint_create(actor=request.user, **form.cleaned_data)
            except InvalidTransition as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("Endpoint added. Verify each delivery with its signing secret."))
                return redirect("webhooks:detail", pk=endpoint.pk)
        else:
            messages.error(request, _("Please correct the errors below."))
        return render(request, "webhooks/endpoint_form.html", {"form": form}, status=400)
    return render(request, "webhooks/endpoint_form.html", {"form": form})


def _detail(request, endpoint, form=None, status=200):
    page = Paginator(delivery_log_for(endpoint=endpoint), 50).get_page(request.GET.get("page"))
    owner = endpoint.created_by if endpoint.partner_account_id and endpoint.created_by else request.user
    form = form or EndpointForm(user=owner, initial={"url": endpoint.url, "description": endpoint.description,
                                                     "event_types": endpoint.event_types})
    return render(request, "webhooks/endpoint_detail.html", {
        "endpoint": endpoint, "form": form, "page": page, "deliveries": delivery_rows(page.object_list),
        "event_names": [NAMES.get(code, code) for code in endpoint.event_types],
        "events": activity_list_for(target=endpoint, viewer=request.user)[:50],
        # The secret is its own side's: a vendor admin's endpoints to vendor admins, a partner's to its admins.
        "show_secret": endpoint.partner_account_id == (request.user.partner_account_id if request.user.is_partner
                                                       else None),
    }, status=status)


@webhook_admin_required
def endpoint_detail(request, pk):
    return _detail(request, endpoint_get_for_user(user=request.user, pk=pk))


@webhook_admin_required
@require_POST
def endpoint_edit(request, pk):
    endpoint = endpoint_get_for_user(user=request.user, pk=pk)
    owner = endpoint.created_by if endpoint.partner_account_id and endpoint.created_by else request.user
    form = EndpointForm(request.POST, user=owner)
    if not form.is_valid():
        messages.error(request, _("Please correct the errors below."))
        return _detail(request, endpoint, form, status=400)
    try:
        services.webhook_endpoint_update(actor=request.user, endpoint=endpoint, **form.cleaned_data)
    except InvalidTransition as exc:
        messages.error(request, str(exc))
        return _detail(request, endpoint, form, status=400)
    messages.success(request, _("Endpoint saved."))
    return redirect("webhooks:detail", pk=endpoint.pk)


@webhook_admin_required
@require_POST
def endpoint_active(request, pk):
    endpoint = endpoint_get_for_user(user=request.user, pk=pk)
    active = request.POST.get("active") == "1"
    services.webhook_endpoint_set_active(actor=request.user, endpoint=endpoint, active=active)
    messages.success(request, _("Endpoint enabled.") if active else _("Endpoint disabled."))
    return redirect("webhooks:detail", pk=endpoint.pk)


@webhook_admin_required
@require_POST
def delivery_resend(request, pk, delivery_pk):
    delivery = delivery_get_for_user(user=request.user, endpoint_pk=pk, pk=delivery_pk)
    try:
        services.webhook_delivery_resend(actor=request.user, delivery=delivery)
    except InvalidTransition as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Delivery queued again."))
    return redirect("webhooks:detail", pk=pk)
