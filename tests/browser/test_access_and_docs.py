"""What a person sees of the install-and-operate work: how partners get access (no sign-up), a blank install's
first screen, and the API reference working with no Internet at all."""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from accounts.models import User

pytestmark = pytest.mark.browser

EXPLANATION = "Your channel manager or your partner admin invites you"


@pytest.mark.django_db(transaction=True)
def test_sign_in_page_explains_invitations_instead_of_offering_sign_up(page, live_server, partner_a_user):
    page.goto(f"{live_server.url}/auth/login/")
    expect(page.get_by_role("heading", name="Sign In")).to_be_visible()
    expect(page.get_by_role("heading", name="No account yet?")).to_be_visible()
    expect(page.get_by_text(EXPLANATION)).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("sign up", re.I))).to_have_count(0)
    expect(page.get_by_text(re.compile("sign up", re.I))).to_have_count(0)


@pytest.mark.django_db(transaction=True)
def test_the_sign_up_address_shows_the_same_explanation_not_sign_up_closed(page, live_server, partner_a_user):
    page.goto(f"{live_server.url}/auth/signup/")
    expect(page.get_by_role("heading", name="How to get access")).to_be_visible()
    expect(page.get_by_text(EXPLANATION)).to_be_visible()
    expect(page.get_by_text("Sign Up Closed")).to_have_count(0)
    page.get_by_role("link", name="Back to sign in").click()
    expect(page.get_by_role("heading", name="Sign In")).to_be_visible()


@pytest.mark.django_db(transaction=True)
def test_a_blank_install_opens_on_creating_the_first_vendor_admin_then_setup(page, live_server):
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/welcome/")
    expect(page.get_by_role("heading", name="Create the first vendor admin")).to_be_visible()
    page.get_by_label("Email").fill("owner@vendor.example")
    page.get_by_label("First name").fill("Olivia")
    page.get_by_label(re.compile(r"^Password:?$")).fill("Amber-Kettle-Orchard-42")
    page.get_by_label("Password (again)").fill("Amber-Kettle-Orchard-42")
    page.get_by_role("button", name="Create vendor admin").click()
    expect(page.get_by_label("Enable partner relationship management")).to_be_visible()  # Setup, signed in
    assert User.objects.get().is_vendor_admin
    page.goto(f"{live_server.url}/welcome/")
    expect(page.get_by_text("Create the first vendor admin")).to_have_count(0)  # gone for good (404)


@pytest.mark.django_db(transaction=True)
def test_api_docs_render_with_every_request_to_another_host_blocked(page, live_server, sign_in, vendor_admin,
                                                                    password):
    sign_in(page, vendor_admin.email, password)
    blocked = []

    def only_this_machine(route):
        host = urlsplit(route.request.url).hostname
        if host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.route("**/*", only_this_machine)
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.get_by_role("heading", name=re.compile("PRM Portal API"))).to_be_visible(timeout=20000)
    expect(page.get_by_text(re.compile("referrals", re.I)).first).to_be_visible()
    assert blocked == [], f"the API docs reached for other hosts: {blocked}"
