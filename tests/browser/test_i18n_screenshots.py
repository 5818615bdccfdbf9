"""The main page of each role at 1366 px and 390 px in each language, kept as test artifacts in var/screenshots/
(gitignored) for a reviewer to look at; while there, the layout holds in every language: the header keeps one row
on a laptop, no drop-down menu item is cut off, and a long email address wraps inside its column (issue 15)."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.factories import LeadFactory

from ._portal import MAIN_ROLES, signed_in_context

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
LANGUAGES = ("en", "cs", "es", "pl")
WIDTHS = (1366, 390)


def test_main_pages_in_every_language_and_width_are_captured_and_fit(browser, live_server, cast):
    SHOTS.mkdir(parents=True, exist_ok=True)
    long_email = "procurement.department.central-europe.region@very-long-customer-domain-name.example"
    lead = LeadFactory(owner=cast.partner_a_user, partner_account=cast.partner_a, email=long_email)
    taken = []
    for language in LANGUAGES:
        for role in MAIN_ROLES:
            context = signed_in_context(browser, live_server, getattr(cast, role), language=language)
            page = context.new_page()
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 900})
                page.goto(f"{live_server.url}/")
                expect(page.locator("html")).to_have_attribute("lang", language)
                path = SHOTS / f"{language}-{role}-{width}.png"
                page.screenshot(path=str(path), full_page=True)
                taken.append(path)
                if width == 1366:  # every tab on one line, none hidden behind a scroll
                    tabs = page.evaluate("""() => { const nav = document.querySelector('.tabs');
                        const tops = new Set([...nav.querySelectorAll('.tab')].map(t => t.offsetTop));
                        return {rows: tops.size, hidden: nav.scrollWidth > nav.clientWidth + 1}; }""")
                    assert tabs == {"rows": 1, "hidden": False}, f"{language} {role}: the header's tabs {tabs}"
            if role == "channel_manager":
                page.set_viewport_size({"width": 1366, "height": 900})
                page.goto(f"{live_server.url}/partners/accounts/{cast.partner_a.pk}/")
                menu = page.locator("details.menu").first
                if menu.count():
                    menu.locator("summary").click()
                    clipped = page.evaluate("""() => [...document.querySelectorAll('details.menu[open] .menu-items a,'
                        + ' details.menu[open] .menu-items button')]
                        .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent.trim())""")
                    assert clipped == [], f"{language}: menu items cut off: {clipped}"
                page.goto(f"{live_server.url}/leads/{lead.pk}/")
                email = page.get_by_text(long_email)
                card = page.locator("section.card", has=email)
                assert email.bounding_box()["x"] + email.bounding_box()["width"] <= (
                    card.bounding_box()["x"] + card.bounding_box()["width"] + 1), f"{language}: the email overflows"
            context.close()
    assert len(taken) == len(LANGUAGES) * len(MAIN_ROLES) * len(WIDTHS) and all(p.stat().st_size for p in taken)
