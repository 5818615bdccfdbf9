"""Issue 13 in a real browser: a rep chooses a daily digest on the preferences page, then an email's one-click
unsubscribe link, opened with no sign-in, turns that kind of email off."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from notifications.models import NotificationPreference
from prm_portal.core.emails import email_enqueue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rep_chooses_a_digest_on_the_preferences_page(page, live_server, sign_in, password, partner_a_user):
    sign_in(page, partner_a_user.email, password)
    page.goto(f"{live_server.url}/partners/profile/")
    page.get_by_role("link", name="Notification preferences").click()
    expect(page.get_by_role("heading", name="Notification preferences")).to_be_visible()
    page.get_by_label("Leads given to me").select_option(label="In my daily digest")
    page.get_by_label("Referrals received").select_option(label="Never")
    page.get_by_label("Daily digest at").fill("07:30")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Notification preferences saved.")
    expect(page.get_by_label("Leads given to me")).to_have_value("digest")
    expect(page.get_by_label("Referrals received")).to_have_value("none")
    assert NotificationPreference.objects.get(user=partner_a_user, kind="lead_assigned").delivery == "digest"


def test_an_emails_unsubscribe_link_works_without_signing_in(page, live_server, partner_a_user):
    mail.outbox.clear()
    email_enqueue(template_key="lead_recalled", to=partner_a_user.email, user=partner_a_user, kind="lead_recalled",
                  idempotency_key="browser-recall-1", language="en",
                  context={"name": "Adam", "count": 1, "more": 0,
                           "lead": {"company": "Kovo Hradec"},
                           "leads": [{"company": "Kovo Hradec", "queue": "EMEA Inbound", "sla": "progress",
                                      "limit": 5, "url": f"{live_server.url}/leads/"}]})
    assert mail.outbox, "the relay delivers on commit"
    message = mail.outbox[-1]
    link = re.search(r"http://testserver(/notifications/unsubscribe/[^\s]+/)", message.body).group(1)
    assert message.extra_headers["List-Unsubscribe"] == f"<http://testserver{link}>"
    assert "back to EMEA Inbound: no activity for 5 business days" in message.body

    page.goto(f"{live_server.url}{link}")  # no session: the signed link is enough
    expect(page.locator("main")).to_contain_text("Stop sending “Leads taken back from me” emails to rep@alpha.example?")
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.locator("main")).to_contain_text("Done: rep@alpha.example will no longer receive these emails.")
    assert NotificationPreference.objects.get(user=partner_a_user, kind="lead_recalled").delivery == "none"
