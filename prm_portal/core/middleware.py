"""Portal-wide gates: a temporary password must be changed first (B4); partner pages wait for PRM (A1)."""

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation

# Paths a signed-in user may reach whatever the gates say.
_ALWAYS_OPEN = ("/static/", "/media/", "/healthz", "/i18n/")
# Paths a user who must change their password may still reach (signing out; the password pages themselves).
_OPEN_DURING_PASSWORD_CHANGE = ("/auth/logout/",)
_NOT_ENABLED = "The partner portal is not enabled yet."
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
        if user.must_change_password and not getattr(view_func, "password_change_view", False):
            if request.path.startswith(_OPEN_DURING_PASSWORD_CHANGE):
                return None
            return redirect(reverse("accounts:password_required"))
        if (
            user.is_partner
            and not getattr(view_func, "prm_always_open", False)
            and not request.path.startswith(_OPEN_BEFORE_PRM)
        ):
            from accounts.access import prm_is_enabled

            if not prm_is_enabled():
                if request.path.startswith("/api/"):
                    return JsonResponse({"detail": _NOT_ENABLED}, status=503)
                return render(request, "core/prm_not_enabled.html", status=503)
        return None


class UserLanguageMiddleware:
    """Signed-in people whose browser asks for no language of ours see the portal in their own language
    (User.language); the language switcher (a cookie) and the browser's own choice come first (G5)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES
            and request.LANGUAGE_CODE == settings.LANGUAGE_CODE
            and user.language
            and user.language != request.LANGUAGE_CODE
        ):
            translation.activate(user.language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
