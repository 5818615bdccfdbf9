"""Real-browser flows of the Opportunities tab (D1–D3, C11) and the Home dashboard."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from accounts.management.commands.seed_demo import DEMO_PASSWORD
from opportunities.models import Opportunity, Stage
from opportunities.services import opportunity_create, opportunity_stage_change
from tests.factories import PASSWORD, LeadFactory

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_rep_converts_a_lead_then_edits_the_deal_from_my_opportunities_and_save_returns_there(
    page, live_server, sign_in, partner_a_user
):
    lead = LeadFactory(company="Pivovar Lipno", owner=partner_a_user, partner_account=partner_a_user.partner_account,
                       status="qualified")
    sign_in(page, partner_a_user.email, PASSWORD)

    # C11: the lead's Convert button (the leads app's) turns it into an opportunity that links back to it.
    page.goto(f"{live_server.url}/leads/{lead.pk}/")
    page.get_by_role("link", name="Convert", exact=True).click()
    page.get_by_label("Opportunity name").fill("Lipno brewery monitoring")
    page.get_by_role("button", name="Convert").click()
    expect(page.get_by_role("heading", name="Lipno brewery monitoring")).to_be_visible()
    expect(page.locator("#opp-live")).to_contain_text("Pivovar Lipno")
    expect(page.locator("#timeline")).to_contain_text("converted the lead")

    # D1: Opportunities tab → My Opportunities, sorted by close date → Edit → Save → back to that very list.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Opportunities", exact=True).click()
    expect(page.get_by_label("List view")).to_have_value("mine")
    page.get_by_role("link", name="Close date").click()
    expect(page).to_have_url(re.compile(r"sort=close_date"))
    list_url = page.url
    page.get_by_role("link", name="Edit Lipno brewery monitoring").click()
    page.get_by_label("Stage").select_option(label="Proposal (60 %)")
    page.get_by_label("Amount").fill("22500")
    page.get_by_label("Next step").fill("Send proposal v2")
    page.get_by_role("button", name="Save").click()

    expect(page).to_have_url(list_url)
    expect(page.locator(".messages")).to_contain_text("saved")
    row = page.locator("tbody tr", has_text="Lipno brewery monitoring")
    expect(row).to_contain_text("Proposal")
    expect(row).to_contain_text("22,500 EUR")
    opp = Opportunity.objects.get(name="Lipno brewery monitoring")
    assert opp.source_lead_id == lead.pk and opp.stage.name == "Proposal"


@pytest.mark.django_db(transaction=True)
def test_channel_manager_sees_the_stage_change_without_reloading_and_the_whole_timeline(
    page, live_server, sign_in, channel_manager, partner_a_user
):
    lead = LeadFactory(company="Kovo Hradec", owner=partner_a_user, partner_account=partner_a_user.partner_account,
                       status="qualified")
    opp = opportunity_create(actor=partner_a_user, name="ERP migration", partner_account=partner_a_user.partner_account,
                             owner=partner_a_user, customer_name="Kovo Hradec", source_lead=lead, amount=48000)
    from leads.events import LeadEvent
    from prm_portal.core.services import activity_record

    activity_record(target=lead, event=LeadEvent.CLAIMED_DIRECT, actor=partner_a_user,
                    partner_account=lead.partner_account)

    sign_in(page, channel_manager.email, PASSWORD)
    page.goto(f"{live_server.url}/opportunities/")
    page.get_by_role("link", name="ERP migration", exact=True).click()
    expect(page.locator("#opp-stage")).to_have_text("Prospecting")
    expect(page.locator("#timeline")).to_contain_text("Adam Rep accepted the lead")

    # The partner moves the deal on; the channel manager's open page follows without a reload.
    opportunity_stage_change(actor=partner_a_user, opportunity=opp, stage=Stage.objects.get(name="Negotiation"))
    expect(page.locator("#opp-stage")).to_have_text("Negotiation", timeout=15_000)
    item = page.locator("#timeline li", has_text="moved the opportunity from Prospecting to Negotiation").first
    expect(item).to_contain_text("Prospecting")
    expect(item).to_contain_text("Negotiation")
    expect(page.locator("#timeline .timeline-lead")).to_have_count(1)

    # A comment for the partner, seen on the deal.
    page.get_by_label("Title").fill("Discount guidance")
    page.get_by_label("Comment", exact=True).fill("Up to 12 % is pre-approved.")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator(".opp-resources")).to_contain_text("Discount guidance")


@pytest.mark.django_db(transaction=True)
def test_dashboard_renders_its_charts_with_the_demo_data(page, live_server, sign_in):
    from django.core.cache import cache

    cache.clear()  # no dashboard numbers cached by an earlier test
    call_command("seed_demo")
    sign_in(page, "jana.novak@acme.example", DEMO_PASSWORD)
    expect(page.get_by_role("heading", name=re.compile("Dashboard"))).to_be_visible()
    for title in ("Open pipeline by stage", "Open pipeline by partner", "Leads claimed and converted per month",
                  "Median time from claim to first status change", "Win rate"):
        expect(page.get_by_role("heading", name=re.compile(re.escape(title)))).to_be_visible()
    by_partner = page.get_by_role("img", name="Open pipeline by partner")
    expect(by_partner).to_contain_text("Northwind Solutions")
    expect(by_partner).to_contain_text("Baltic Systems")
    expect(by_partner).not_to_contain_text("Iberia Tech")  # Pablo's partner, not Jana's
    expect(page.get_by_role("img", name="Open pipeline by stage").locator("rect").first).to_be_visible()

    with page.expect_download() as download:
        page.get_by_role("heading", name=re.compile("Win rate")).get_by_role("link", name="CSV").click()
    assert download.value.suggested_filename == "dashboard-win-rate.csv"
