"""Issue finding 11 in a real browser: a partner admin and a channel manager have the same deal open; the partner
moves the stage; the manager's Move stage box must neither undo it nor stay stale."""

import re

import pytest
from playwright.sync_api import expect

from opportunities.models import Opportunity, Stage
from opportunities.services import opportunity_create
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

LIVE = re.compile(r".*/opportunities/\d+/live/.*")


@pytest.mark.django_db(transaction=True)
def test_a_stale_move_is_refused_naming_the_change_and_the_live_page_brings_the_box_up_to_date(
    browser, browser_context_args, page, live_server, sign_in, channel_manager, partner_a_admin, partner_a_user
):
    deal = opportunity_create(actor=partner_a_user, name="ERP rollout", partner_account=partner_a_user.partner_account,
                              owner=partner_a_user, customer_name="Kovo Hradec",
                              stage=Stage.objects.get(name="Needs analysis"))
    url = f"{live_server.url}/opportunities/{deal.pk}/"

    # The channel manager opens the deal; their page's refresh is held back, as when Move is pressed before it.
    manager = page
    manager.route(LIVE, lambda route: route.abort())
    sign_in(manager, channel_manager.email, PASSWORD)
    manager.goto(url)
    manager_box = manager.locator("#opp-move-form select")
    expect(manager_box).to_have_value(str(Stage.objects.get(name="Needs analysis").pk))

    # The partner admin, in their own browser, moves the deal from Needs analysis to Proposal.
    partner_context = browser.new_context(**browser_context_args)
    partner = partner_context.new_page()
    sign_in(partner, partner_a_admin.email, PASSWORD)
    partner.goto(url)
    partner.locator("#opp-move-form select").select_option(label="Proposal (60 %)")
    partner.get_by_role("button", name="Move").click()
    expect(partner.locator("#opp-stage")).to_have_text("Proposal")

    # The manager's box still says Needs analysis; pressing Move is refused and says what changed.
    expect(manager_box).to_have_value(str(Stage.objects.get(name="Needs analysis").pk))
    manager.get_by_role("button", name="Move").click()
    refusal = manager.locator("#opp-move-errors")
    expect(refusal).to_contain_text("Ada Alpha changed this after you opened it")
    expect(refusal).to_contain_text("Stage: Needs analysis → Proposal")
    expect(manager.locator("#opp-stage")).to_have_text("Proposal")
    assert Opportunity.objects.get(pk=deal.pk).stage.name == "Proposal"  # not undone

    # With the refresh running again, the partner's next move reaches the manager's box by itself...
    manager.unroute(LIVE)
    partner.locator("#opp-move-form select").select_option(label="Negotiation (80 %)")
    partner.get_by_role("button", name="Move").click()
    expect(partner.locator("#opp-stage")).to_have_text("Negotiation")
    expect(manager.locator("#opp-stage")).to_have_text("Negotiation", timeout=15_000)
    expect(manager_box).to_have_value(str(Stage.objects.get(name="Negotiation").pk), timeout=15_000)

    # ...so the manager's own move, made on what they now see, goes through.
    manager_box.select_option(label="Closed won (100 %)")
    manager.get_by_role("button", name="Move").click()
    expect(manager.locator(".messages")).to_contain_text("Stage changed to Closed won")
    expect(manager.locator("#opp-stage")).to_have_text("Closed won")
    assert Opportunity.objects.get(pk=deal.pk).stage.name == "Closed won"
    partner_context.close()
