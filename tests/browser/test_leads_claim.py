"""Two reps, one queue lead: the first Accept wins, the other's list drops it without a reload, and an Accept
from a page that went stale gets the message. Then the winner works the lead from Recent Items."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import LeadFactory, QueueFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shared_queue_lead(partner_a, partner_b):
    queue = QueueFactory(name="EMEA Inbound", accounts=[partner_a, partner_b])
    return LeadFactory(company="Kovo Hradec", queue=queue)


def _leads_page(browser, live_server, sign_in, user, password, **context_args):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US", **context_args)
    page = context.new_page()
    sign_in(page, user.email, password)
    page.goto(f"{live_server.url}/leads/")
    return page


def test_first_accept_wins_and_the_other_reps_queue_drops_the_lead(
        page, browser, live_server, sign_in, password, partner_a_user, partner_b_user, shared_queue_lead):
    other = _leads_page(browser, live_server, sign_in, partner_b_user, password)
    stale = _leads_page(browser, live_server, sign_in, partner_b_user, password, java_script_enabled=False)
    other_row = other.locator("#lead-rows tr", has_text="Kovo Hradec")
    expect(other_row.get_by_role("button", name="Accept")).to_be_visible()
    expect(stale.locator("#lead-rows tr", has_text="Kovo Hradec")).to_be_visible()

    sign_in(page, partner_a_user.email, password)
    page.goto(f"{live_server.url}/leads/")
    page.locator("#lead-rows tr", has_text="Kovo Hradec").get_by_role("button", name="Accept").click()
    expect(page.get_by_role("status")).to_contain_text("You accepted Kovo Hradec")
    expect(page.locator("#recent-items")).to_contain_text("Kovo Hradec")

    # The other rep's open Leads tab loses the row by itself (polling), no reload.
    expect(other_row).to_have_count(0, timeout=10_000)

    # A page that went stale still shows the lead; its Accept is refused with the message.
    stale.locator("#lead-rows tr", has_text="Kovo Hradec").get_by_role("button", name="Accept").click()
    expect(stale.get_by_role("status")).to_contain_text("This lead was already accepted by another partner")
    expect(stale.locator("#lead-rows tr", has_text="Kovo Hradec")).to_have_count(0)

    # The winner opens it from Recent Items, edits it, and Save returns to the list.
    page.locator("#recent-items").get_by_role("link", name="Kovo Hradec").click()
    expect(page.get_by_role("heading", name=re.compile("Kovo Hradec"))).to_be_visible()
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Status").select_option(label="Working")
    page.get_by_label("Phone").fill("+420 777 123 456")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(f"{live_server.url}/leads/")
    expect(page.get_by_role("status")).to_contain_text("Kovo Hradec saved")
    expect(page.locator("#lead-rows tr", has_text="Kovo Hradec")).to_contain_text("Working")
