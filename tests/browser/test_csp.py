"""The Content-Security-Policy in a real browser: every role's main pages load with no violation reported, and the
htmx features still work under it (the leads table polls, a heart toggles, the deal's page refreshes itself)."""

import re

import pytest
from playwright.sync_api import expect

from opportunities.services import opportunity_create
from referrals.models import Referral
from tests.factories import PASSWORD, LeadFactory
from tests.referrals.factories import inbound

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(
    e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sourceFile + ":" + e.lineNumber);
});
"""


@pytest.fixture
def csp_page(page):
    """The page, recording every CSP violation the browser reports (console and securitypolicyviolation)."""
    page.csp_console = []
    page.add_init_script(WATCH)
    page.on("console", lambda msg: page.csp_console.append(msg.text)
            if "Content Security Policy" in msg.text or "Content-Security-Policy" in msg.text else None)
    return page


def _visit(page, url):
    response = page.goto(url)
    assert response.status == 200, url
    assert "script-src 'self'" in response.headers["content-security-policy"], url
    page.wait_for_load_state("load")
    _assert_clean(page, url)


def _assert_clean(page, where):
    violations = page.evaluate("window.__cspViolations || []")
    assert violations == [], f"{where}: {violations}"
    assert page.csp_console == [], f"{where}: {page.csp_console}"


def test_anonymous_pages_load_without_violations(csp_page, live_server):
    _visit(csp_page, f"{live_server.url}/auth/login/")
    _visit(csp_page, f"{live_server.url}/leads/web/")
    # The brand colours come from /brand.css: the header is styled with them.
    colour = csp_page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--brand').trim()")
    assert colour == "#1f5fbf"


def test_partner_pages_load_without_violations_and_htmx_still_works(csp_page, live_server, sign_in, cast):
    page = csp_page
    lead = LeadFactory(company="Polled Lead", owner=cast.partner_a_user, partner_account=cast.partner_a)
    deal = opportunity_create(actor=cast.partner_a_user, name="Live deal", partner_account=cast.partner_a,
                              owner=cast.partner_a_user, customer_name="Kovo Hradec")
    inbound(actor=cast.channel_manager, partner=cast.partner_a, customer_name="Heart Co",
            referral_type=Referral.Type.CUSTOMER_INQUIRY)
    cast.partner_a.primary_color = "#aa3300"
    cast.partner_a.save(update_fields=["primary_color"])
    sign_in(page, cast.partner_a_user.email, PASSWORD)
    _assert_clean(page, "sign-in")
    for path in ("/", f"/leads/{lead.pk}/", "/opportunities/", "/referrals/", "/referrals/new/", "/partners/profile/"):
        _visit(page, f"{live_server.url}{path}")
    assert page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--brand').trim()") == "#aa3300"

    # The leads table polls its rows (htmx, every few seconds).
    _visit(page, f"{live_server.url}/leads/")
    with page.expect_response(re.compile(r"/leads/rows/"), timeout=10_000) as polled:
        pass
    assert polled.value.status == 200
    expect(page.locator("#lead-rows").get_by_text("Polled Lead")).to_be_visible()

    # The deal's page refreshes itself (htmx polling).
    _visit(page, f"{live_server.url}/opportunities/{deal.pk}/")
    with page.expect_response(re.compile(rf"/opportunities/{deal.pk}/live/"), timeout=20_000) as live:
        pass
    assert live.value.status == 200

    # A heart toggles in place (htmx POST and swap).
    _visit(page, f"{live_server.url}/referrals/?tab=marketplace")
    row = page.locator("tr", has_text="Heart Co")
    row.get_by_role("button", name="Add to favorites").click()
    expect(row.get_by_role("button", name="Remove from favorites")).to_have_attribute("aria-pressed", "true")

    # The language switcher sends its form on change (portal.js, no inline handler).
    page.get_by_label("Language").select_option("cs")
    page.wait_for_load_state("load")
    expect(page.locator("html")).to_have_attribute("lang", "cs")
    _assert_clean(page, "after the htmx interactions")


def test_vendor_pages_load_without_violations(csp_page, live_server, sign_in, cast):
    page = csp_page
    opportunity_create(actor=cast.partner_a_user, name="Chart deal", partner_account=cast.partner_a,
                       owner=cast.partner_a_user, customer_name="Kovo Hradec", amount=1000)
    sign_in(page, cast.channel_manager.email, PASSWORD)
    for path in ("/", "/leads/", "/leads/import/", "/opportunities/", "/referrals/",
                 f"/partners/accounts/{cast.partner_a.pk}/"):
        _visit(page, f"{live_server.url}{path}")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state("load")
    sign_in(page, cast.vendor_admin.email, PASSWORD)
    for path in ("/", "/partners/setup/settings/", "/partners/setup/sharing/", "/partners/accounts/"):
        _visit(page, f"{live_server.url}{path}")
