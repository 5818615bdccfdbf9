"""axe-core (vendored: tests/tools/axe.min.js) over every page each main role opens: no serious or critical
violation (WCAG 2.1 A/AA and best practice). Then keyboard-only use of the three places a person was stuck:
Accept on the live Leads tab, the guided New deal form, the external user access wizard (issue 15)."""

from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from leads.models import Lead
from tests.factories import QueueFactory
from tests.referrals.factories import location_for, outbound

from ._portal import MAIN_ROLES, page_urls, pages_of, signed_in_context

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = (Path(__file__).resolve().parents[1] / "tools" / "axe.min.js").read_text(encoding="utf-8")
RUN_AXE = """async () => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
    resultTypes: ["violations"],
  });
  return result.violations
    .filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => `${v.impact} ${v.id}: ${v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(" | ")}`);
}"""


def test_every_page_of_each_role_has_no_serious_or_critical_violation(browser, live_server, cast):
    """Every page once, as the first main role that opens it, and each role's Home (its own header and tabs): the
    same template checked four times over only slows the suite."""
    urls = page_urls(cast)
    problems, checked, seen = [], 0, set()
    for role in MAIN_ROLES:
        # axe is injected by the browser, before the page's own scripts; the page's CSP is the page's business
        # (tests/browser/test_csp.py), so the context lets the injected script run.
        context = signed_in_context(browser, live_server, getattr(cast, role), bypass_csp=True)
        context.add_init_script(AXE)
        page = context.new_page()
        for name, url in pages_of(role, urls):
            if name in seen and name != "reports:home":
                continue
            seen.add(name)
            try:
                response = page.goto(live_server.url + url)
            except PlaywrightError as exc:
                if "Download is starting" in str(exc):
                    continue  # a file (CSV export, attachment), not a page
                raise
            if response is None or "text/html" not in response.headers.get("content-type", ""):
                continue
            if not page.locator("main").count():
                continue  # an htmx fragment, not a page
            checked += 1
            problems += [f"{role} {name}: {v}" for v in page.evaluate(RUN_AXE)]
        context.close()
    assert checked > 45, f"only {checked} pages checked"
    assert not problems, "\n".join(problems)


def test_accept_by_keyboard_survives_the_tables_reloads(browser, live_server, cast):
    queue = QueueFactory(name="Keyboard queue", accounts=[cast.partner_a])
    leads = [Lead.objects.create(company=f"Queue lead {i}", last_name="Kay", queue=queue) for i in range(8)]
    target = leads[-3]  # a row well down the table: the old reload threw the focus to the page's end
    context = signed_in_context(browser, live_server, cast.partner_a_user)
    page = context.new_page()
    page.goto(f"{live_server.url}/leads/?view=queue")
    accept = page.locator(f"#accept-{target.pk}")
    page.keyboard.press("Tab")
    for _ in range(80):  # Tab, as a keyboard user does, to the target's Accept button
        if page.evaluate("document.activeElement && document.activeElement.id") == f"accept-{target.pk}":
            break
        page.keyboard.press("Tab")
    expect(accept).to_be_focused()
    Lead.objects.create(company="Arrives while reading", last_name="New", queue=queue)  # the next poll changes rows
    expect(page.locator("#lead-rows tr", has_text="Arrives while reading")).to_be_visible(timeout=8000)
    expect(accept).to_be_focused()
    expect(page.locator("#lead-rows-status")).to_have_text("The list of leads was updated.")
    page.keyboard.press("Enter")
    expect(page.get_by_text(f"You accepted {target.company}.")).to_be_visible()
    target.refresh_from_db()
    assert target.owner == cast.partner_a_user
    context.close()


def test_the_guided_form_works_from_the_keyboard(browser, live_server, cast):
    location_for(cast.partner_a, "Prague HQ")
    outbound(actor=cast.partner_a_admin, customer_name="Fabrikam a.s.", customer_duns="111222333",
             customer_city="Brno", name="Earlier Fabrikam deal")
    context = signed_in_context(browser, live_server, cast.partner_a_user)
    page = context.new_page()
    page.goto(f"{live_server.url}/referrals/new/")
    expect(page.locator("#guided-progress")).to_have_text("Step 1 of 6")
    country = page.get_by_label("Customer country")
    expect(country).to_be_focused()
    page.keyboard.type("CZ")
    page.keyboard.press("Tab")  # the city
    page.keyboard.press("Tab")  # the name
    name = page.get_by_role("combobox", name="Customer name")
    expect(name).to_be_focused()
    page.keyboard.type("Fabri")
    option = page.get_by_role("option", name="Fabrikam a.s.")
    expect(option).to_be_visible()
    expect(option).to_have_attribute("tabindex", "-1")  # reached with the arrow keys, not Tab
    page.keyboard.press("ArrowDown")
    expect(name).to_have_attribute("aria-activedescendant", "customer-option-1")
    page.keyboard.press("Enter")
    expect(name).to_be_focused()
    expect(name).to_have_value("Fabrikam a.s.")
    expect(page.get_by_label("DUNS number")).to_have_value("111222333")
    expect(page.locator("#guided-progress")).to_have_text("Step 1 of 6")  # Enter picked; it did not move on
    page.keyboard.press("Enter")  # Enter in a field: the next step, never the whole form
    expect(page.locator("#guided-progress")).to_have_text("Step 2 of 6")
    expect(page.get_by_label("Contact name")).to_be_focused()
    assert "?" not in page.url and page.url.endswith("/referrals/new/")
    context.close()


def test_the_access_wizard_works_from_the_keyboard(browser, live_server, cast):
    context = signed_in_context(browser, live_server, cast.vendor_admin)
    page = context.new_page()
    page.goto(f"{live_server.url}/partners/setup/sharing/")
    page.get_by_role("button", name="Continue").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Step 1 of 3: which record types are shared with partners")).to_be_visible()
    expect(page.locator(".wizard-steps [aria-current=step]")).to_have_text("1. Record types")
    page.get_by_label("Leads").focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Next").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Step 2 of 3: sharing rules")).to_be_visible()
    page.get_by_role("button", name="Next").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Step 3 of 3: summary")).to_be_visible()
    page.get_by_role("button", name="Done").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("The sharing rules are saved.")).to_be_visible()
    context.close()
