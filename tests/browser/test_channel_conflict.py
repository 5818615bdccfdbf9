"""Channel conflict in a real browser (H3, H4): a partner registers a deal, its channel manager approves it, a
second partner's colliding lead shows "under review" without the first partner's name, and the manager decides."""

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from leads.models import Lead
from registrations.models import Conflict, Registration
from tests.factories import PASSWORD
from tests.registrations.factories import lead_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def as_user(browser, live_server, sign_in, user):
    page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US").new_page()
    sign_in(page, user.email, PASSWORD)
    return page


def test_register_approve_collide_and_decide(browser, live_server, sign_in, cast):
    # Partner A registers a deal it found.
    alpha = as_user(browser, live_server, sign_in, cast.partner_a_user)
    alpha.goto(f"{live_server.url}/registrations/")
    alpha.get_by_role("link", name="Register a deal").click()
    alpha.locator("#id_customer_name").fill("Contoso Industries s.r.o.")
    alpha.locator("#id_customer_country").fill("CZ")
    alpha.locator("#id_customer_duns").fill("987654321")
    alpha.locator("#id_customer_domain").fill("https://www.contoso-industries.example/")
    alpha.locator("#id_contact_name").fill("Jana Nováková")
    alpha.locator("#id_contact_email").fill("jana@contoso-industries.example")
    alpha.locator("#id_products").fill("Managed backup")
    alpha.locator("#id_estimated_value").fill("48000")
    alpha.locator("#id_estimated_close_date").fill((date.today() + timedelta(days=60)).isoformat())
    alpha.locator("#id_justification").fill("Met the CIO at a trade fair.")
    alpha.get_by_role("button", name="Submit registration").click()
    expect(alpha.get_by_text("Deal registered. Your channel manager will review it.")).to_be_visible()
    expect(alpha.locator("#registration-status")).to_have_text("Waiting for review")
    registration = Registration.objects.get()

    # Its channel manager approves it with the default protection.
    manager = as_user(browser, live_server, sign_in, cast.channel_manager)
    manager.goto(f"{live_server.url}/registrations/{registration.pk}/")
    manager.locator("#id_review-decision").select_option("approve")
    expect(manager.locator("#id_review-protection_days")).to_have_value("90")
    manager.get_by_role("button", name="Record the review").click()
    expect(manager.locator("#registration-status")).to_have_text("Approved")
    expect(manager.locator("#registration-opportunity")).to_be_visible()
    alpha.reload()
    expect(alpha.locator("#registration-status")).to_have_text("Approved")

    # A lead for the same customer reaches partner B: B reads only that it is under review.
    lead = lead_for(cast.partner_b, company="CONTOSO INDUSTRIES", email="buyer@contoso-industries.example")
    assert Lead.objects.get(pk=lead.pk).partner_account == cast.partner_b
    beta = as_user(browser, live_server, sign_in, cast.partner_b_user)
    beta.goto(f"{live_server.url}/leads/{lead.pk}/")
    expect(beta.locator("#timeline")).to_contain_text("under review")
    page_text = beta.content()
    for secret in ("Alpha Partners", "Adam Rep", "alpha.example", f"/registrations/{registration.pk}/"):
        assert secret not in page_text, secret

    # The manager compares both sides with the evidence and decides.
    manager.goto(f"{live_server.url}/registrations/conflicts/")
    conflict = Conflict.objects.get()
    manager.locator(f"a[href='/registrations/conflicts/{conflict.pk}/']").click()
    sides = manager.locator(".conflict-side")
    expect(sides.nth(0)).to_contain_text("Alpha Partners")
    expect(sides.nth(1)).to_contain_text("Beta Resellers")
    expect(manager.locator("#evidence")).to_contain_text("Web or email domain")
    expect(manager.locator("#evidence")).to_contain_text("Company name and country")
    manager.get_by_label("Both proceed").check()
    manager.get_by_role("button", name="Record the decision").click()
    expect(manager.get_by_text("Conflict decided.")).to_be_visible()
    expect(manager.locator("#conflict-status")).to_have_text("Resolved")

    beta.reload()
    expect(beta.locator("#timeline")).to_contain_text("finished the review: the record proceeds")
    assert "Alpha Partners" not in beta.content()
