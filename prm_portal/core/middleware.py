"""The user's own language for the portal (G5). The access gates are accounts.middleware's."""

from django.conf import settings
from django.utils import translation


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
