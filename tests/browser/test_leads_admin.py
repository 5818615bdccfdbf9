"""A channel manager changes lead owners in the Django admin with "Send notification email"."""

import pytest
from django.core import mail
from playwright.sync_api import expect

from leads.models import Lead
from tests.factories import LeadFactory, QueueFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_mass_owner_change_with_notification_emails_the_new_owner_once(
        page, live_server, sign_in, password, vendor_admin, partner_a, partner_a_user):
    queue = QueueFactory(name="EMEA Inbound", accounts=[partner_a])
    LeadFactory(company="Kovo Hradec", queue=queue)
    LeadFactory(company="Pivovar Lipno", queue=queue)
    sign_in(page, vendor_admin.email, password)
    page.goto(f"{live_server.url}/admin/leads/lead/")
    page.get_by_role("row", name="Kovo Hradec").get_by_role("checkbox").check()
    page.get_by_role("row", name="Pivovar Lipno").get_by_role("checkbox").check()
    page.locator("select[name=action]").select_option(label="Change owner of the selected leads…")
    page.get_by_role("button", name="Run").or_(page.get_by_role("button", name="Go")).first.click()

    expect(page.get_by_text("Choose the new owner of these 2 leads")).to_be_visible()
    page.get_by_label("New owner (partner user)").select_option(label=f"{partner_a_user} · {partner_a} "
                                                                    f"({partner_a_user.email})")
    page.get_by_label("Send notification email").check()
    page.get_by_role("button", name="Save").click()

    expect(page.locator(".messagelist")).to_contain_text("2 lead(s) now belong to Adam Rep")
    expect(page.locator(".messagelist")).to_contain_text("Notification email sent")
    assert Lead.objects.filter(owner=partner_a_user).count() == 2
    assert [m.to for m in mail.outbox] == [[partner_a_user.email]]
    assert "Kovo Hradec" in mail.outbox[0].body and "Pivovar Lipno" in mail.outbox[0].body


def test_admin_change_link_on_one_lead_changes_its_owner(
        page, live_server, sign_in, password, vendor_admin, partner_a, partner_a_user):
    lead = LeadFactory(company="Kovo Hradec", queue=QueueFactory(accounts=[partner_a]))
    sign_in(page, vendor_admin.email, password)
    page.goto(f"{live_server.url}/admin/leads/lead/{lead.pk}/change/")
    page.get_by_role("link", name="Change", exact=True).click()
    page.get_by_label("New owner (partner user)").select_option(index=1)
    page.get_by_label("Send notification email").check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".messagelist")).to_contain_text("1 lead(s) now belong to")
    assert Lead.objects.get(pk=lead.pk).owner == partner_a_user
    assert len(mail.outbox) == 1 and "Kovo Hradec" in mail.outbox[0].subject
