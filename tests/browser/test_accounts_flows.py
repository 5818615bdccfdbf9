"""Real-browser walks of seeds 001/002 (admin, channel manager) and 000 (the partner's first sign-in)."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.models import PortalSettings, User
from sharing.models import SharingRule
from tests.factories import LeadFactory, PartnerAccountFactory, PartnerUserFactory, UserFactory

pytestmark = pytest.mark.browser

TABS = ["Home", "Leads", "Opportunities", "Referrals", "Profile"]


def _expect_home(page, live_server):
    expect(page).to_have_url(f"{live_server.url}/")
    nav = page.get_by_role("navigation", name="Main")
    for tab in TABS:
        expect(nav.get_by_role("link", name=tab, exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Recent Items")).to_be_visible()


@pytest.mark.django_db(transaction=True)
def test_admin_enables_prm_and_walks_the_sharing_wizard(page, live_server, sign_in, vendor_admin, password):
    partner = PartnerAccountFactory(name="Gamma Partners", owner=vendor_admin)
    PartnerUserFactory(partner_account=partner)
    for _ in range(3):
        LeadFactory(country="CZ")
    LeadFactory(country="PL")
    sign_in(page, vendor_admin.email, password)
    page.get_by_role("link", name="Profile", exact=True).click()
    page.get_by_role("link", name="Setup → Partners → Settings").click()
    expect(page.get_by_text("This cannot be undone.")).to_be_visible()
    page.get_by_label("Enable partner relationship management").check()
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("heading", name="External user access wizard")).to_be_visible()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name=re.compile("Step 1 of 3"))).to_be_visible()
    page.get_by_label("Opportunities").uncheck()
    page.get_by_label("Referrals").uncheck()
    page.get_by_label("Leads").check()
    page.get_by_role("button", name="Next").click()

    expect(page.get_by_role("heading", name=re.compile("Step 2 of 3"))).to_be_visible()
    page.get_by_label("Shared with").select_option(label="Gamma Partners")
    page.get_by_label("Country (ISO code)").fill("CZ")
    page.get_by_role("button", name="Add rule").click()
    expect(page.get_by_text("Rule added")).to_be_visible()
    page.get_by_role("button", name="Next").click()

    expect(page.get_by_role("heading", name=re.compile("Step 3 of 3"))).to_be_visible()
    row = page.locator("table.rules tbody tr").filter(has_text="Gamma Partners")
    expect(row.locator("td.count")).to_have_text("3")
    page.get_by_role("button", name="Done").click()

    expect(page.get_by_text(re.compile("The sharing rules are saved"))).to_be_visible()
    expect(page.get_by_text(re.compile(f"enabled by {vendor_admin.get_full_name()}"))).to_be_visible()
    assert PortalSettings.objects.get().prm_enabled
    assert SharingRule.objects.get().partner_account == partner


@pytest.mark.django_db(transaction=True)
def test_channel_manager_enables_a_partner_and_a_partner_user_who_signs_in_from_the_welcome_email(
    page, browser, live_server, sign_in, prm_enabled, password
):
    manager = UserFactory(email="carla@vendor.example", first_name="Carla", last_name="Channel",
                          role=User.Role.CHANNEL_MANAGER)
    sign_in(page, manager.email, password)
    page.get_by_role("link", name="Profile", exact=True).click()
    page.get_by_role("link", name="Partner accounts").click()
    page.get_by_role("link", name="New account").click()
    page.get_by_label("Account name").fill("Delta Distribution")
    page.get_by_label("Country (ISO code)").fill("CZ")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("heading", name=re.compile("Delta Distribution"))).to_be_visible()
    expect(page.get_by_text("Not a partner")).to_be_visible()
    page.get_by_text("Manage external account").click()
    page.get_by_role("button", name="Enable as partner").click()
    expect(page.get_by_text("Delta Distribution is enabled as a partner.")).to_be_visible()

    page.get_by_role("link", name="New contact").click()
    page.get_by_label("First name").fill("Dana")
    page.get_by_label("Last name").fill("Dealer")
    page.get_by_label("Email").fill("dana@delta.example")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Manage external user").click()
    page.get_by_role("link", name="Enable partner user").click()

    expect(page.get_by_role("heading", name="New User")).to_be_visible()
    expect(page.get_by_label("Email (sign-in)")).to_have_value("dana@delta.example")
    expect(page.get_by_label("First name")).to_have_value("Dana")
    page.get_by_label("Role").select_option(label="Partner admin")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text(re.compile("welcome email .* is on its way to dana@delta.example"))).to_be_visible()
    expect(page.get_by_role("region", name="Partner users").get_by_text("Never signed in")).to_be_visible()

    assert len(mail.outbox) == 1
    link = re.search(r"http://\S+/partners/welcome/\S+/", mail.outbox[0].body).group(0)
    path = link.split("/partners/", 1)[1]
    partner_page = browser.new_context().new_page()
    partner_page.goto(f"{live_server.url}/partners/{path}")
    expect(partner_page.get_by_role("heading", name="Set your password")).to_be_visible()
    partner_page.get_by_label(re.compile(r"^New password:?$")).fill("Dana-Secret-2026")
    partner_page.get_by_label("New password confirmation").fill("Dana-Secret-2026")
    partner_page.get_by_role("button", name="Set password").click()
    _expect_home(partner_page, live_server)
    expect(partner_page.locator(".brand")).to_contain_text("Delta Distribution")
    partner_page.context.close()


@pytest.mark.django_db(transaction=True)
def test_partner_must_change_the_temporary_password_then_lands_on_home_every_time(
    page, live_server, sign_in, partner_a, password
):
    rep = PartnerUserFactory(email="temp@alpha.example", partner_account=partner_a, must_change_password=True,
                             last_login=None)
    sign_in(page, rep.email, password)
    expect(page.get_by_role("heading", name="Change your password")).to_be_visible()
    page.goto(f"{live_server.url}/leads/")
    expect(page.get_by_role("heading", name="Change your password")).to_be_visible()
    page.get_by_label(re.compile(r"^New password:?$")).fill("Own-Password-2026")
    page.get_by_label("New password confirmation").fill("Own-Password-2026")
    page.get_by_role("button", name="Save password").click()
    _expect_home(page, live_server)
    expect(page.get_by_text("Your new password is saved.")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, rep.email, "Own-Password-2026")
    _expect_home(page, live_server)
