"""The API's throttles (DRF): per API token for token clients, per user for session clients, per address for
anonymous requests. The rates are REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], read on each request. Counts live in the
default cache, whose outage is a miss (prm_portal.core.cache): the API then goes on unthrottled rather than failing.
A refusal is 429 with Retry-After.

Imported while DRF's APIView class is being built: this module imports no model at load time.
"""

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle


class _PortalRateThrottle(SimpleRateThrottle):
    """Counts per API token for token clients, per user for session clients; anonymous requests are the
    anonymous throttle's."""

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view):
        from .models import ApiToken

        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        token = getattr(request, "auth", None)
        ident = f"token-{token.pk}" if isinstance(token, ApiToken) else f"user-{user.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class ApiSustainedRateThrottle(_PortalRateThrottle):
    scope = "user"


class ApiBurstRateThrottle(_PortalRateThrottle):
    scope = "burst"


class ApiAnonRateThrottle(AnonRateThrottle):
    """Per client address."""

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
