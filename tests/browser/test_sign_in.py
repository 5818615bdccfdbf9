import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from accounts.management.commands.seed_demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser

TABS = ["Home", "Leads", "Opportunities", "Referrals", "Profile"]


@pytest.mark.django_db(transaction=True)
def test_demo_partner_user_signs_in_and_sees_the_five_tabs(page, live_server, sign_in):
    call_command("seed_demo")
    sign_in(page, "tomas@northwind.example", DEMO_PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/")
    nav = page.get_by_role("navigation", name="Main")
    for tab in TABS:
        expect(nav.get_by_role("link", name=tab, exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Recent Items")).to_be_visible()
    expect(page.locator(".brand")).to_contain_text("Northwind Solutions")
    nav.get_by_role("link", name="Leads", exact=True).click()
    expect(page.get_by_role("heading", name="Leads", exact=True)).to_be_visible()
    expect(page.locator("table tbody tr").first).to_be_visible()


@pytest.mark.django_db(transaction=True)
def test_wrong_password_gets_a_clear_error_and_stays_signed_out(page, live_server, sign_in, partner_a_user):
    sign_in(page, partner_a_user.email, "not-the-password")
    expect(page.get_by_text(re.compile("email address and/or password you specified are not correct"))).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)
    page.goto(f"{live_server.url}/leads/")
    expect(page).to_have_url(re.compile(r"/auth/login/\?next=/leads/"))
