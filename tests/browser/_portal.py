"""Helpers shared by the browser tests of issue 15: a signed-in browser context without the sign-in form, and the
pages of the authorization matrix a role can open."""

from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.authz.test_matrix import EXPECTATIONS

MAIN_ROLES = ("partner_a_user", "partner_a_admin", "channel_manager", "vendor_admin")
SKIP_PREFIXES = ("/api/", "/admin/", "/static/", "/media/", "/healthz", "/readyz", "/brand.css")


def signed_in_context(browser, live_server, user, *, language="en", width=1366, height=900, **options):
    """A browser context with `user`'s session (and the language switcher's cookie) already set."""
    context = browser.new_context(viewport={"width": width, "height": height}, locale="en-US", **options)
    cookies = [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    if user is not None:
        client = Client()
        client.force_login(user)
        cookies.append({"name": settings.SESSION_COOKIE_NAME,
                        "value": client.cookies[settings.SESSION_COOKIE_NAME].value, "url": live_server.url})
    context.add_cookies(cookies)
    return context


def page_urls(cast):
    """{url name: path} of every GET page of the matrix (arguments built once from the cast)."""
    urls = {}
    for name, entry in sorted(EXPECTATIONS.items()):
        if entry.method != "get":
            continue
        try:
            kwargs = entry.kwargs(cast) if entry.kwargs else {}
            url = reverse(name, kwargs=kwargs) + (f"?{entry.query}" if entry.query else "")
        except Exception:  # a URL another change has renamed: the matrix test reports it
            continue
        if not url.startswith(SKIP_PREFIXES):
            urls[name] = url
    return urls


def pages_of(role, urls):
    return [(name, url) for name, url in urls.items() if EXPECTATIONS[name].expected(role) == 200]
