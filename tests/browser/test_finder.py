"""The public partner finder in a real browser (seed 003, E3, E5, E13): a signed-out customer finds a partner and
sends an inquiry; the partner sees it in Marketplace with the flame and gets the email; declining offers it to the
next match; unlisted partners are not there; the form works in Czech. Every finder page passes the CSP."""

import pytest
from django.core import mail
from playwright.sync_api import expect

from finder.models import FinderInquiry
from prm_portal.core.outbox import outbox_relay
from referrals.models import Referral
from tests.factories import PASSWORD
from tests.finder.conftest import list_partner

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


@pytest.fixture
def world(cast, settings):
    settings.FINDER_FORM_MIN_SECONDS = 0  # a test types faster than a person
    a = list_partner(cast.partner_a, slug="alpha-partners", keywords=["cloud migration", "erp"],
                     description="Cloud migrations for Czech manufacturers.")
    b = list_partner(cast.partner_b, slug="beta-resellers", keywords=["cloud migration"], city="Brno")
    # Each partner's rep works its office's referrals (B7): they are on the team and get the emails.
    for user, location in ((cast.partner_a_user, a), (cast.partner_b_user, b)):
        user.location = location
        user.save(update_fields=["location"])
    return cast


def _watch_csp(page):
    page.csp_console = []
    page.add_init_script(WATCH)
    page.on("console", lambda msg: page.csp_console.append(msg.text)
            if "Content Security Policy" in msg.text else None)


def _assert_no_csp_violation(page):
    assert page.evaluate("window.__cspViolations || []") == [] and page.csp_console == []


def test_customer_inquiry_reaches_the_partner_with_the_flame_and_a_decline_moves_it_on(page, live_server, sign_in,
                                                                                       world):
    cast = world
    _watch_csp(page)
    page.goto(f"{live_server.url}/find/")
    expect(page.get_by_role("heading", name="Find a partner")).to_be_visible()
    page.get_by_label("What do you need?").fill("We need a cloud migration of our ERP")
    page.get_by_label("City").fill("Prague")
    page.get_by_role("button", name="Search").click()
    results = page.locator("section[aria-labelledby=results-h]")
    expect(results.locator("article").first).to_contain_text("Alpha Partners")
    expect(results).not_to_contain_text("Hidden")
    _assert_no_csp_violation(page)

    results.get_by_role("link", name="Alpha Partners", exact=True).click()
    expect(page.get_by_role("heading", name="Alpha Partners", exact=True)).to_be_visible()
    expect(page.get_by_label("What do you need?")).to_have_value("We need a cloud migration of our ERP")
    page.get_by_label("Company:", exact=True).fill("Kovo Hradec")
    page.get_by_label("Your name").fill("Jana Nová")
    page.get_by_label("Email").fill("jana@kovo.example")
    page.get_by_label("Phone").fill("+420 777 000 111")
    page.get_by_label("Please contact me").check()
    page.get_by_label("I agree that my request and contact details are shared with the partner.").check()
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("heading", name="Thank you, your request is on its way")).to_be_visible()
    _assert_no_csp_violation(page)

    outbox_relay()
    to_rep = [m for m in mail.outbox if m.to == [cast.partner_a_user.email]]
    assert len(to_rep) == 1 and "Kovo Hradec" in to_rep[0].subject
    assert "asked to be contacted" in to_rep[0].body
    assert [m.subject for m in mail.outbox if m.to == ["jana@kovo.example"]] == ["We have received your request"]

    sign_in(page, cast.partner_a_user.email, PASSWORD)
    page.goto(f"{live_server.url}/referrals/?tab=marketplace")
    row = page.locator("tr", has_text="Kovo Hradec")
    expect(row.get_by_role("img", name="The customer asked to be contacted")).to_be_visible()
    row.get_by_role("link", name="Kovo Hradec").click()
    expect(page.get_by_role("alert")).to_contain_text("The customer asked to be contacted.")
    page.get_by_text("Decline", exact=True).click()
    page.get_by_label("Reason").select_option(label="Requirement not met")
    page.get_by_role("button", name="Close deal").click()
    expect(page.locator("#referral-status")).to_have_text("Declined")

    offered = Referral.objects.get(partner_account=cast.partner_b)
    assert offered.status == Referral.Status.RECEIVED and offered.customer_name == "Kovo Hradec"
    outbox_relay()
    assert [m for m in mail.outbox if m.to == [cast.partner_b_user.email]]
    assert [m.subject for m in mail.outbox if m.to == ["jana@kovo.example"]] == ["We have received your request"]
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, cast.partner_b_user.email, PASSWORD)
    page.goto(f"{live_server.url}/referrals/?tab=marketplace")
    expect(page.locator("tr", has_text="Kovo Hradec").get_by_role(
        "img", name="The customer asked to be contacted")).to_be_visible()


def test_unlisted_partner_is_not_found(page, live_server, world):
    hidden = list_partner(world.partner_a, slug="alpha-partners", listed=False).partner_account
    assert page.goto(f"{live_server.url}/find/{hidden.profile.public_slug}/").status == 404
    assert page.goto(f"{live_server.url}/find/beta-resellers/").status == 200
    page.goto(f"{live_server.url}/find/")
    expect(page.locator("main")).not_to_contain_text("Alpha Partners")


def test_customer_sends_the_form_in_czech_and_is_answered_in_czech(page, live_server, world):
    _watch_csp(page)
    page.goto(f"{live_server.url}/find/alpha-partners/")
    page.get_by_role("button", name="Česky").click()
    expect(page.locator("html")).to_have_attribute("lang", "cs")
    expect(page.get_by_role("heading", name="Pošlete požadavek partnerovi Alpha Partners")).to_be_visible()
    page.get_by_label("Co potřebujete?").fill("Migrace do cloudu pro naši výrobu")
    page.get_by_label("Vaše jméno").fill("Jana Nová")
    page.get_by_label("E-mail").fill("jana@kovo.example")
    page.get_by_label("Kontaktujte mě, prosím").check()
    page.get_by_label("Souhlasím se sdílením svého požadavku a kontaktních údajů s partnerem.").check()
    page.get_by_role("button", name="Odeslat požadavek").click()
    expect(page.get_by_role("heading", name="Děkujeme, váš požadavek je na cestě")).to_be_visible()
    _assert_no_csp_violation(page)
    assert FinderInquiry.objects.get().language == "cs"
    outbox_relay()
    assert [m.subject for m in mail.outbox if m.to == ["jana@kovo.example"]] == ["Obdrželi jsme váš požadavek"]
