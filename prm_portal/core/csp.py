"""Content-Security-Policy for every response, and the brand colours as a stylesheet the policy allows.

The portal's pages carry no inline script, no inline style and no `on*=` handler (static/js/portal.js wires the
few behaviours; htmx is told not to inject its indicator styles), so they get the strict settings.CSP_POLICY.
The Django admin and the API's reference page are third-party templates with inline scripts and styles: paths
under settings.CSP_RELAXED_PATHS get settings.CSP_RELAXED_POLICY instead.

A small middleware rather than django-csp: one header, two policies chosen by path, no nonces, nothing to
configure per view; a dependency would bring its own settings format and reporting machinery for that.
"""

import re

from django.conf import settings
from django.http import HttpResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET

HEADER = "Content-Security-Policy"


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if HEADER not in response:  # a view that sets its own policy keeps it
            relaxed = request.path.startswith(tuple(settings.CSP_RELAXED_PATHS))
            response[HEADER] = settings.CSP_RELAXED_POLICY if relaxed else settings.CSP_POLICY
        return response


# A colour is a hex value (#1f5fbf, 1f5fbf, #abc) or a CSS colour name (teal): nothing else reaches the CSS.
_HEX = re.compile(r"#?([0-9a-fA-F]{3}|[0-9a-fA-F]{4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})")
_NAME = re.compile(r"[a-zA-Z]{3,20}")


def css_color(value, default):
    value = (value or "").strip()
    if match := _HEX.fullmatch(value):
        return f"#{match.group(1).lower()}"
    if _NAME.fullmatch(value):
        return value.lower()
    return default


@require_GET
def brand_css(request):
    """`:root { --brand; --accent }` for the colours in the query (the page links the partner's own, so the
    address changes with them and the file is cached for long). Replaces an inline <style> the CSP forbids."""
    brand = settings.PORTAL_BRAND
    primary = css_color(request.GET.get("primary"), brand["primary_color"])
    accent = css_color(request.GET.get("accent"), brand["accent_color"])
    response = HttpResponse(f":root {{ --brand: {primary}; --accent: {accent}; }}\n", content_type="text/css")
    patch_cache_control(response, public=True, max_age=86400)
    return response


brand_css.prm_always_open = True
