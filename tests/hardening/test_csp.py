"""Content-Security-Policy: strict on the portal's pages (which carry no inline script, style or handler), relaxed
for the Django admin; the brand colours arrive as a stylesheet."""

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

TEMPLATES = Path(django_settings.BASE_DIR) / "templates"
RELAXED_TEMPLATES = {"core/api_docs.html"}  # served under /api/ (settings.CSP_RELAXED_PATHS)
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "<style> block"),
    (re.compile(r"\sstyle\s*=", re.I), "style= attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "on*= handler"),
    (re.compile(r"\shx-on", re.I), "hx-on (needs eval)"),
]


def test_no_template_carries_inline_script_style_or_handler():
    found = []
    for path in TEMPLATES.rglob("*.html"):
        if "emails" in path.parts:  # emails are read in mail clients, not under the portal's policy
            continue
        if path.relative_to(TEMPLATES).as_posix() in RELAXED_TEMPLATES:
            continue
        text = path.read_text()
        found += [f"{path.relative_to(TEMPLATES)}: {what}" for pattern, what in INLINE if pattern.search(text)]
    assert found == []


def test_portal_pages_get_the_strict_policy(cast, login_as):
    client = login_as(cast.partner_a_user)
    for url in (reverse("reports:home"), reverse("leads:list"), reverse("opportunities:list")):
        policy = client.get(url)["Content-Security-Policy"]
        assert "script-src 'self';" in policy and "style-src 'self';" in policy
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
        assert "unsafe-inline" not in policy


def test_anonymous_pages_get_the_strict_policy(client):
    for url in (reverse("account_login"), reverse("leads:web_form")):
        assert "script-src 'self';" in client.get(url)["Content-Security-Policy"]


def test_the_admin_gets_the_relaxed_policy(vendor_admin, login_as):
    vendor_admin.is_staff = True
    vendor_admin.save(update_fields=["is_staff"])
    policy = login_as(vendor_admin).get("/admin/")["Content-Security-Policy"]
    assert "'unsafe-inline'" in policy and "frame-ancestors 'none'" in policy


def test_pages_link_the_partners_brand_colour_as_a_stylesheet(cast, login_as):
    cast.partner_a.primary_color = "#123abc"
    cast.partner_a.save(update_fields=["primary_color"])
    html = login_as(cast.partner_a_user).get(reverse("leads:list")).content.decode()
    assert "/brand.css?primary=%23123abc&amp;accent=%23f59e0b" in html
    assert '<meta name="htmx-config" content=\'{"includeIndicatorStyles": false}\'>' in html


def test_brand_css_serves_the_colours_and_nothing_else(client):
    css = client.get("/brand.css?primary=%23123ABC&accent=teal")
    assert css["Content-Type"].startswith("text/css")
    assert css.content.decode().strip() == ":root { --brand: #123abc; --accent: teal; }"
    hostile = client.get("/brand.css", {"primary": "red;}body{background:url(//evil)}", "accent": "#zzz"})
    assert "evil" not in hostile.content.decode()
    assert "--brand: #1f5fbf" in hostile.content.decode() and "--accent: #f59e0b" in hostile.content.decode()
