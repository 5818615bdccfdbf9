"""The portal's gates for pages (the API's are accounts.api_permissions): a temporary password must be changed
first (B4); partner pages wait for PRM (A1). Both rules are the access policy's (`access.gate_for`)."""

from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from . import access

# Paths a signed-in user may reach whatever the gates say.
_ALWAYS_OPEN = ("/static/", "/media/", "/healthz", "/readyz", "/i18n/")
# Paths a user who must change their password may still reach (signing out; the password pages themselves).
_OPEN_DURING_PASSWORD_CHANGE = ("/auth/logout/",)
# Paths partner users reach before PRM is enabled (signing in and out, their own password).
_OPEN_BEFORE_PRM = ("/auth/", "/admin/")


class PortalAccessMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or request.path.startswith(_ALWAYS_OPEN):
            return None
        gate = access.gate_for(user)
        if gate == access.GATE_PASSWORD and not getattr(view_func, "password_change_view", False):
            if request.path.startswith(_OPEN_DURING_PASSWORD_CHANGE):
                return None
            return redirect(reverse("accounts:password_required"))
        if (
            gate == access.GATE_PRM_OFF
            and not getattr(view_func, "prm_always_open", False)
            and not request.path.startswith(_OPEN_BEFORE_PRM)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": _("The partner portal is not enabled yet.")}, status=503)
            return render(request, "core/prm_not_enabled.html", status=503)
        return None
