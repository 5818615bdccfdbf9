"""Issue 13 in a real browser: a rep accepts a queue lead and sees its clock, the clock turns amber, the ladder
recalls the lead (the rep is told why and cannot take it straight back), and the channel manager sees the breach."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from leads.models import BusinessCalendar, LeadClock, QueueServiceLevel
from leads.services import sla_clock_start, sla_ladder_run
from tests.factories import LeadFactory, QueueFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sla_lead(partner_a, channel_manager):
    queue = QueueFactory(name="EMEA Inbound", accounts=[partner_a])
    calendar = BusinessCalendar.objects.create(name="Prague office", time_zone="Europe/Prague")
    QueueServiceLevel.objects.create(queue=queue, calendar=calendar, accept_within_hours=8,
                                     first_touch_within_hours=4, progress_within_days=5, grace_hours=4)
    lead = LeadFactory(company="Kovo Hradec", queue=queue)
    sla_clock_start(lead=lead, kind="accept")  # as lead_create starts it for a lead routed to the queue
    return lead


def test_rep_sees_the_clock_the_lead_is_recalled_and_the_channel_manager_sees_the_breach(
        page, browser, live_server, sign_in, password, partner_a_user, channel_manager, sla_lead):
    sign_in(page, partner_a_user.email, password)
    page.goto(f"{live_server.url}/leads/")
    row = page.locator("#lead-rows tr", has_text="Kovo Hradec")
    expect(row.locator(".sla-clock")).to_be_visible()  # waiting in the queue: the accept clock
    row.get_by_role("button", name="Accept").click()
    expect(page.get_by_role("status")).to_contain_text("You accepted Kovo Hradec")
    row = page.locator("#lead-rows tr", has_text="Kovo Hradec")
    expect(row.locator(".sla-clock.sla-ok")).to_be_visible()
    expect(row.locator(".sla-clock")).to_contain_text("left")

    # Past the reminder time the clock turns amber, and red past the deadline, without a reload (the rows poll).
    clock = LeadClock.objects.get(lead=sla_lead)
    now = timezone.now()
    LeadClock.objects.filter(pk=clock.pk).update(remind_at=now - datetime.timedelta(minutes=1))
    expect(row.locator(".sla-clock.sla-amber")).to_be_visible(timeout=10_000)
    LeadClock.objects.filter(pk=clock.pk).update(due_at=now - datetime.timedelta(minutes=1))
    expect(row.locator(".sla-clock.sla-red")).to_contain_text("overdue", timeout=10_000)

    # The ladder runs past the grace period: the lead goes back to its queue.
    clock.refresh_from_db()
    assert sla_ladder_run(now=clock.recall_at)["recalled"] == 1
    page.goto(f"{live_server.url}/leads/{sla_lead.pk}/")
    expect(page.locator("body")).to_contain_text(
        "Recalled to EMEA Inbound: not worked on within 4 business hours of being accepted")
    page.goto(f"{live_server.url}/leads/")
    page.locator("#lead-rows tr", has_text="Kovo Hradec").get_by_role("button", name="Accept").click()
    expect(page.get_by_role("status")).to_contain_text("This lead was taken back from you because its time ran out")

    # The channel manager who owns the partner finds the breach.
    manager = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US").new_page()
    sign_in(manager, channel_manager.email, password)
    manager.goto(f"{live_server.url}/leads/")
    manager.get_by_role("link", name="Service-level breaches").click()
    breach = manager.locator("tr.breach", has_text="Kovo Hradec")
    expect(breach).to_contain_text("Recalled to EMEA Inbound")
    expect(breach).to_contain_text("EMEA Inbound")
