"""The user's own language and time zone for the portal (G5). The access gates are accounts.middleware's."""

import zoneinfo

from django.conf import settings
from django.utils import timezone, translation


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


def time_zone_for(user):
    """The zone a person reads times in: their own (User.time_zone), else the portal's TIME_ZONE."""
    name = getattr(user, "time_zone", "") or ""
    if name:
        try:
            return zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


class UserTimeZoneMiddleware:
    """Pages show dates and times in the signed-in person's time zone (templates convert aware datetimes to the
    active zone); everyone else sees the portal's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            timezone.activate(time_zone_for(user))
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
