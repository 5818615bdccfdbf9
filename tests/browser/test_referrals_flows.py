"""Referrals in a real browser (E2-E11): what a partner rep and a channel manager do and see."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from referrals.models import Referral
from tests.factories import PASSWORD
from tests.referrals.factories import inbound, location_for, outbound

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_referral(page, live_server, referral):
    page.goto(f"{live_server.url}/referrals/{referral.pk}/")


def test_partner_accepts_a_qualified_referral(page, live_server, sign_in, cast):
    referral = inbound(actor=cast.channel_manager, partner=cast.partner_a, customer_name="Contoso Foods",
                       referral_type=Referral.Type.MARKETING_QUALIFIED)
    sign_in(page, cast.partner_a_user.email, PASSWORD)
    page.goto(f"{live_server.url}/referrals/?tab=qualified")
    page.get_by_role("link", name="Contoso Foods").click()
    expect(page.locator("#referral-status")).to_have_text("Received")
    page.get_by_text("Accept", exact=True).click()
    form = page.locator("form[action$='/accept/']")
    form.get_by_label("Deal name").fill("Contoso cloud ERP")
    form.get_by_label("Estimated value").fill("48000")
    form.get_by_label("Estimated close date").fill("2027-03-31")
    form.get_by_label("Notes").fill("Needs a migration plan before the audit.")
    form.get_by_label("CRM ID").fill("CRM-7781")
    form.get_by_role("button", name="Accept referral").click()
    expect(page.get_by_text("Referral accepted.")).to_be_visible()
    expect(page.locator("#referral-status")).to_have_text("Accepted")
    expect(page.get_by_role("heading", name="Contoso cloud ERP")).to_be_visible()
    expect(page.get_by_text("CRM-7781")).to_be_visible()
    referral.refresh_from_db()
    assert referral.status == Referral.Status.ACCEPTED


def test_partner_declines_with_a_reason_and_it_moves_to_closed(page, live_server, sign_in, cast):
    inbound(actor=cast.channel_manager, partner=cast.partner_a, customer_name="Spammy Ltd",
            referral_type=Referral.Type.CUSTOMER_INQUIRY)
    sign_in(page, cast.partner_a_admin.email, PASSWORD)
    page.goto(f"{live_server.url}/referrals/")
    page.get_by_role("link", name="Spammy Ltd").click()
    page.get_by_text("Decline", exact=True).click()
    expect(page.get_by_text("The customer will be told to choose another partner.")).to_be_visible()
    page.get_by_label("Reason").select_option(label="Spam")
    page.get_by_role("button", name="Close deal").click()
    expect(page.locator("#referral-status")).to_have_text("Declined")
    expect(page.locator("#outcome")).to_contain_text("Spam")
    expect(page.get_by_role("button", name="Accept referral")).to_have_count(0)
    page.goto(f"{live_server.url}/referrals/?tab=closed")
    row = page.locator("tr", has_text="Spammy Ltd")
    expect(row).to_contain_text("Declined")


def test_heart_keeps_a_referral_in_favorites_until_clicked_again(page, live_server, sign_in, cast):
    inbound(actor=cast.channel_manager, partner=cast.partner_a, customer_name="Heart Co",
            referral_type=Referral.Type.CUSTOMER_INQUIRY)
    sign_in(page, cast.partner_a_user.email, PASSWORD)
    page.goto(f"{live_server.url}/referrals/?tab=marketplace")
    row = page.locator("tr", has_text="Heart Co")
    row.get_by_role("button", name="Add to favorites").click()
    expect(row.get_by_role("button", name="Remove from favorites")).to_have_attribute("aria-pressed", "true")
    page.get_by_role("link", name=re.compile("^Favorites")).click()
    fav_row = page.locator("tr", has_text="Heart Co")
    expect(fav_row).to_be_visible()
    fav_row.get_by_role("button", name="Remove from favorites").click()
    expect(fav_row.get_by_role("button", name="Add to favorites")).to_be_visible()
    page.reload()
    expect(page.get_by_text("No favorites yet")).to_be_visible()


def test_flame_alert_changes_after_72_hours_and_the_referral_stays_active(page, live_server, sign_in, cast):
    referral = inbound(actor=cast.channel_manager, partner=cast.partner_a, customer_name="Hot Lead Inc",
                       referral_type=Referral.Type.CUSTOMER_INQUIRY, contact_requested=True)
    sign_in(page, cast.partner_a_user.email, PASSWORD)
    page.goto(f"{live_server.url}/referrals/?tab=marketplace")
    expect(page.locator("tr", has_text="Hot Lead Inc").get_by_role(
        "img", name="The customer asked to be contacted")).to_be_visible()
    open_referral(page, live_server, referral)
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("The customer asked to be contacted.")
    expect(alert.locator("[data-icon=flame]")).to_be_visible()

    Referral.objects.filter(pk=referral.pk).update(contact_requested_at=timezone.now() - timedelta(hours=73))
    page.reload()
    expect(alert).to_contain_text("more than 72 hours ago")
    expect(alert.locator("[data-icon=clock]")).to_be_visible()
    expect(alert.locator("[data-icon=flame]")).to_have_count(0)
    expect(page.locator("#referral-status")).to_have_text("Received")
    page.goto(f"{live_server.url}/referrals/?tab=marketplace")
    expect(page.locator("tr", has_text="Hot Lead Inc").get_by_role(
        "img", name="The customer asked to be contacted over 72 hours ago")).to_be_visible()


def test_outbound_solution_assessment_through_the_guided_form(page, live_server, sign_in, cast):
    location_for(cast.partner_a, "Prague HQ")
    outbound(actor=cast.partner_a_admin, customer_name="Fabrikam a.s.", customer_duns="111222333",
             customer_city="Brno", name="Earlier Fabrikam deal")
    sign_in(page, cast.partner_a_user.email, PASSWORD)
    page.goto(f"{live_server.url}/referrals/")
    page.get_by_role("link", name="New deal").click()
    # 1. Customer: location, then the name with suggestions; the DUNS number picks the exact company.
    page.get_by_label("Customer country").fill("CZ")
    page.get_by_label("Customer name").fill("Fabri")
    page.get_by_role("option", name="Fabrikam a.s.").click()
    expect(page.get_by_label("DUNS number")).to_have_value("111222333")
    page.get_by_role("button", name="Next").click()
    # 2. Contact
    page.get_by_label("Contact name").fill("Jana Zákaznice")
    page.get_by_label("Contact phone").fill("+420 777 000 111")
    page.get_by_label("Contact email").fill("jana@fabrikam.example")
    page.get_by_label("The customer agreed to share these contact details").check()
    page.get_by_role("button", name="Next").click()
    # 3. Deal details: Next refuses until the required fields are filled.
    page.get_by_role("button", name="Next").click()
    expect(page.locator("fieldset[data-step='3']")).to_be_visible()
    page.get_by_label("Deal name").fill("Fabrikam security assessment")
    page.get_by_label("Location").select_option(label="Prague HQ (Prague)")
    page.get_by_label("Estimated value").fill("15000")
    page.get_by_label("Estimated close date").fill("2027-02-28")
    page.get_by_label("Notes:", exact=True).fill("Security posture review for the board.")
    page.get_by_role("button", name="Next").click()
    # 4. Team
    row = page.locator("[data-team-row='0']")
    row.get_by_label("Name").fill("Adam Rep")
    row.get_by_label("Phone").fill("+420 600 100 200")
    row.get_by_label("Email").fill("rep@alpha.example")
    page.get_by_role("button", name="Add Ann Seller to the team").click()  # a recent contact from an earlier deal
    expect(page.locator("[data-team-row='1']").get_by_label("Email")).to_have_value("ann@alpha.example")
    page.get_by_role("button", name="Next").click()
    # 5. Solutions: a solution assessment takes one assessment type.
    page.get_by_label("Solution type").select_option(label="Solution assessment")
    page.get_by_label("Assessment type").select_option(label="Security assessment")
    page.get_by_role("button", name="Next").click()
    # 6. Consent, Create deal
    page.get_by_label("I confirm the customer consented").check()
    page.get_by_role("button", name="Create deal").click()

    expect(page.get_by_text("Deal created.")).to_be_visible()
    expect(page.get_by_role("heading", name="Fabrikam security assessment")).to_be_visible()
    expect(page.locator("#referral-status")).to_have_text("Accepted")
    expect(page.locator(".ref-badges")).to_contain_text("Solution assessment")
    expect(page.get_by_text("Solution assessment: Security assessment")).to_be_visible()
    expect(page.locator("#team-h + table")).to_contain_text("Ann Seller")
    page.goto(f"{live_server.url}/referrals/?tab=outbound&deal_type=solution_assessment")
    row = page.locator("tr", has_text="Fabrikam security assessment")
    expect(row).to_contain_text("Solution assessment")
    expect(row).to_contain_text("15,000 EUR")


def test_stages_marked_one_by_one_until_won(page, live_server, sign_in, cast):
    deal = outbound(actor=cast.partner_a_user, name="Stage deal")
    sign_in(page, cast.partner_a_user.email, PASSWORD)
    open_referral(page, live_server, deal)
    won = page.get_by_role("button", name="Won", exact=True)
    expect(won).to_be_disabled()
    for stage, percent in [("Securing customer LOE", 20), ("Data collection", 40),
                           ("Preparing assessment report", 60), ("Present to customer", 80)]:
        page.get_by_role("button", name=f"Mark “{stage}” done").click()
        expect(page.get_by_role("heading", name="Sales stages")).to_contain_text(f"{percent} %")
        if percent < 80:
            expect(won).to_be_disabled()
    expect(won).to_be_enabled()
    won.click()
    expect(page.locator("#referral-status")).to_have_text("Won")
    expect(page.get_by_role("heading", name="Sales stages")).to_contain_text("100 %")
    expect(page.locator(".step.done")).to_have_count(7)


def test_deal_registration_reviewed_by_the_channel_manager(page, live_server, sign_in, cast, browser):
    from referrals.services import referral_stage_mark, referral_win

    deal = outbound(actor=cast.partner_a_user, name="Registered deal")
    for stage in ("securing_loe", "data_collection", "preparing_report", "present_to_customer"):
        referral_stage_mark(actor=cast.partner_a_user, referral=deal, stage=stage)
    referral_win(actor=cast.partner_a_user, referral=deal)

    sign_in(page, cast.partner_a_user.email, PASSWORD)
    open_referral(page, live_server, deal)
    expect(page.get_by_text("This deal is eligible for registration")).to_be_visible()
    page.get_by_label("Contract value").fill("15500")
    page.get_by_label("Contract signed on").fill("2026-11-20")
    page.get_by_label("Registration details").fill("Signed SOW, 3 workshops.")
    page.get_by_role("button", name="Register deal").click()
    expect(page.locator("#registration-status")).to_have_text("Waiting for review")

    manager = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(manager, cast.channel_manager.email, PASSWORD)
    manager.goto(f"{live_server.url}/referrals/registrations/")
    manager.get_by_role("link", name="Registered deal").click()
    manager.get_by_label("Comment to the partner").fill("All in order.")
    manager.get_by_role("button", name="Approve").click()
    expect(manager.get_by_text("Review recorded.")).to_be_visible()
    expect(manager.locator("#registration-status")).to_have_text("Approved")
    manager.context.close()

    page.reload()
    expect(page.locator("#registration-status")).to_have_text("Approved")
    expect(page.get_by_text("All in order.")).to_be_visible()


def test_vendor_sends_an_inquiry_to_the_best_match_and_the_partner_sees_it_flamed(
        page, live_server, sign_in, cast, browser):
    from accounts.models import BusinessProfile

    location_for(cast.partner_a, "Prague HQ", "Prague")
    location_for(cast.partner_b, "Warsaw", "Warsaw", "PL")
    BusinessProfile.objects.create(partner_account=cast.partner_a, keywords=["erp", "cloud"])
    BusinessProfile.objects.create(partner_account=cast.partner_b, keywords=["erp"])
    sign_in(page, cast.vendor_admin.email, PASSWORD)
    page.goto(f"{live_server.url}/referrals/")
    page.get_by_role("link", name="Send a referral").click()
    page.get_by_label("Referral type").select_option(label="Customer inquiry")
    page.get_by_label("Customer:", exact=True).fill("Tailspin Toys")
    page.get_by_label("City").fill("Prague")
    page.get_by_label("What the customer needs").fill("Move our ERP to the cloud.")
    page.get_by_label("Contact email").fill("buyer@tailspin.example")
    page.get_by_label("The customer asked to be contacted").check()
    page.get_by_role("button", name="Preview matches").click()
    matches = page.locator("section", has=page.get_by_role("heading", name="Matching partners, best first"))
    expect(matches.locator("tbody tr").first).to_contain_text("Alpha Partners")
    expect(matches.locator("tbody tr").nth(1)).to_contain_text("Beta Resellers")
    page.get_by_role("button", name="Send referral").click()
    expect(page.get_by_text("Referral sent to Alpha Partners")).to_be_visible()

    partner = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(partner, cast.partner_a_user.email, PASSWORD)
    partner.goto(f"{live_server.url}/referrals/?tab=marketplace")
    row = partner.locator("tr", has_text="Tailspin Toys")
    expect(row.get_by_role("img", name="The customer asked to be contacted")).to_be_visible()
    row.get_by_role("link", name="Tailspin Toys").click()
    expect(partner.get_by_role("alert")).to_contain_text("The customer asked to be contacted.")
    partner.context.close()
