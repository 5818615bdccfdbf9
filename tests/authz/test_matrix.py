"""Every URL of the portal × every member of the cast gets the status its entry names.

A new view without an entry in tests/authz/expect_<app>.py fails `test_every_url_has_an_entry`.
"""

import importlib
import pkgutil

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from . import matrix

# URL patterns that belong to third parties and are tested by them.
SKIP_MODULE_PREFIXES = ("allauth.", "django.contrib.admin", "django.views.i18n", "django.contrib.auth")


def _collect_expectations():
    entries = {}
    package = importlib.import_module("tests.authz")
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("expect_"):
            module = importlib.import_module(f"tests.authz.{info.name}")
            for name, entry in module.EXPECTATIONS.items():
                assert name not in entries, f"{name} is listed twice"
                entry.name = name
                entries[name] = entry
    return entries


def _walk(patterns, namespace=None):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace or namespace
            if ns == "admin":
                continue
            if namespace and p.namespace:
                ns = f"{namespace}:{p.namespace}"
            yield from _walk(p.url_patterns, ns)
        elif isinstance(p, URLPattern):
            module = getattr(p.callback, "__module__", "") or ""
            if module.startswith(SKIP_MODULE_PREFIXES):
                continue
            if not p.name:
                yield None, str(p.pattern)
                continue
            yield (f"{namespace}:{p.name}" if namespace else p.name), str(p.pattern)


EXPECTATIONS = _collect_expectations()
CASES = [(name, role) for name in sorted(EXPECTATIONS) for role in matrix.ROLES]


def test_every_url_has_an_entry():
    names = list(_walk(get_resolver().url_patterns))
    unnamed = [pattern for name, pattern in names if name is None]
    assert not unnamed, f"URL patterns without a name: {unnamed}"
    missing = sorted({name for name, _ in names} - set(EXPECTATIONS))
    assert not missing, f"URLs with no entry in tests/authz/expect_*.py: {missing}"


def _sign_in(role, cast, client, monkeypatch):
    """Session roles sign in; token roles send partner A's rep's token (in the state the role names)."""
    if role == "anonymous":
        return {}
    if role not in matrix.TOKEN_ROLES:
        client.force_login(getattr(cast, role))
        return {}
    from prm_portal.core.apitokens import api_token_create

    user = cast.partner_a_user
    if role == "token_must_change_password":
        user.must_change_password = True
        user.save(update_fields=["must_change_password"])
    if role == "token_prm_off":  # PRM cannot be switched off once on: this portal reports it never was
        from accounts import access

        monkeypatch.setattr(access, "prm_is_enabled", lambda: False)
    _token, secret = api_token_create(actor=user, name="Authorization matrix")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.mark.parametrize(("url_name", "role"), CASES, ids=[f"{n}-{r}" for n, r in CASES])
def test_status(url_name, role, cast, client, monkeypatch, request):
    entry = EXPECTATIONS[url_name]
    kwargs = entry.kwargs(cast) if entry.kwargs else {}
    url = reverse(url_name, kwargs=kwargs) + (f"?{entry.query}" if entry.query else "")
    if role == "read_only_partner":  # share what the entry just built (some of it bypassed the services)
        from sharing.services import sharing_grants_rebuild

        cast.read_only_partner = request.getfixturevalue("read_only_partner")
        sharing_grants_rebuild()
    headers = _sign_in(role, cast, client, monkeypatch)
    if entry.method == "post":
        response = client.post(url, entry.data(cast) if entry.data else {}, **entry.extra, **headers)
    else:
        response = getattr(client, entry.method)(url, **entry.extra, **headers)
    expected = entry.expected(role, api=url.startswith("/api/"))
    assert response.status_code == expected, (
        f"{role} {entry.method.upper()} {url}: got {response.status_code}, expected {expected}"
    )
    if (role == "anonymous" or role in matrix.TOKEN_ROLES) and expected == matrix.LOGIN:
        assert reverse("account_login") in response["Location"]
