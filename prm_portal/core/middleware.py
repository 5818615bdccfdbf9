"""Portal-wide gates: a temporary password must be changed first (B4); partner pages wait for PRM (A1)."""

from django.shortcuts import redirect, render
from django.urls import reverse

# Paths a signed-in user may reach whatever the gates say.
_ALWAYS_OPEN = ("/auth/", "/static/", "/media/", "/healthz", "/i18n/", "/admin/", "/api/")


class PortalAccessMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or request.path.startswith(_ALWAYS_OPEN):
            return None
        if user.must_change_password:
            return redirect(reverse("account_change_password"))
        if user.is_partner and not getattr(view_func, "prm_always_open", False):
            from accounts.selectors import prm_is_enabled

            if not prm_is_enabled():
                return render(request, "core/prm_not_enabled.html", status=503)
        return None
