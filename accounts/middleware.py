"""The portal's gates for pages (the API's are accounts.api_permissions): a temporary password must be changed
first (B4); partner pages wait for PRM (A1). Both rules are the access policy's (`access.gate_for`)."""

from django.contrib.auth import middleware as auth_middleware
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


class AuthenticationMiddleware(auth_middleware.AuthenticationMiddleware):
    """Django's, with `request.user` the person themselves rather than a lazy proxy of them. Django defers reading the
    user until a view asks; here every request that gets this far asks at once (the language and time zone
    middleware read the user's own), so the proxy saved nothing, and every attribute read through it cost a
    LazyObject lookup: a rows poll reads the user's attributes for each of its fifty rows (`make bench-claims`).
    The session and the authentication backend are Django's, unchanged; `request.auser` too."""

    def process_request(self, request):
        super().process_request(request)
        request.user = auth_middleware.get_user(request)


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
