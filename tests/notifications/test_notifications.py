"""Notification preferences and digests (issue 13): immediate, daily digest or none per kind; mandatory kinds;
the one-click unsubscribe (header and link, signed, no sign-in); digests once per person and time."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from leads.emails import lead_assignment_email
from notifications.models import Delivery, Digest, DigestItem, NotificationPolicy, NotificationPreference
from notifications.routing import unsubscribe_token, unsubscribe_url
from notifications.services import notification_digest_send_due, notification_preferences_save
from prm_portal.core.emails import email_enqueue
from prm_portal.core.models import OutboxMessage
from prm_portal.core.outbox import outbox_relay
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def _prefer(user, kind, delivery):
    NotificationPreference.objects.update_or_create(user=user, kind=kind, defaults={"delivery": delivery})


def _assign(user, company="Kovo Hradec", batch="b1"):
    lead = LeadFactory(company=company, owner=user, partner_account=user.partner_account)
    lead_assignment_email(recipient=user, leads=[lead], batch=batch)
    return lead


def test_without_a_preference_the_email_goes_at_once_with_a_one_click_unsubscribe(partner_a_user):
    _assign(partner_a_user)
    outbox_relay()
    message = mail.outbox[-1]
    link = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert link.startswith("http://testserver/notifications/unsubscribe/")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link in message.body and link in message.alternatives[0][0]


def test_the_one_click_post_turns_the_kind_off_without_signing_in(partner_a_user, client):
    _assign(partner_a_user)
    outbox_relay()
    link = mail.outbox[-1].extra_headers["List-Unsubscribe"].strip("<>").replace("http://testserver", "")
    response = client.post(link, {"List-Unsubscribe": "One-Click"})  # as a mail program sends it: no cookie, no token
    assert response.status_code == 200
    assert NotificationPreference.objects.get(user=partner_a_user, kind="lead_assigned").delivery == Delivery.NONE
    _assign(partner_a_user, company="Second", batch="b2")
    assert not OutboxMessage.objects.filter(idempotency_key__contains=":b2:").exists()


def test_opening_the_link_only_asks_and_changes_nothing(partner_a_user, client):
    path = unsubscribe_url(user_id=partner_a_user.pk, kind="lead_assigned").replace("http://testserver", "")
    html = client.get(path).content.decode()
    assert "Leads given to me" in html and partner_a_user.email in html
    assert not NotificationPreference.objects.exists()


def test_a_forged_or_damaged_link_is_refused_and_changes_nothing(partner_a_user, client):
    token = unsubscribe_token(user_id=partner_a_user.pk, kind="lead_assigned")
    for bad in (token[:-2] + "xx", "not-a-token"):
        response = client.post(reverse("notifications:unsubscribe", args=[bad]))
        assert response.status_code == 400 and "not valid" in response.content.decode()
    assert not NotificationPreference.objects.exists()


def test_mandatory_emails_ignore_preferences_and_carry_no_unsubscribe(partner_a_user):
    _prefer(partner_a_user, "account_password", Delivery.NONE)  # not offered, but even a stray row is ignored
    email_enqueue(template_key="password_reset", to=partner_a_user.email, idempotency_key="pw-1",
                  context={"name": "Adam", "email": partner_a_user.email, "password_reset_url": "http://x/"})
    outbox_relay()
    assert "List-Unsubscribe" not in mail.outbox[-1].extra_headers


def test_a_kind_the_vendor_marks_mandatory_goes_out_whatever_the_person_chose(partner_a_user):
    _prefer(partner_a_user, "lead_assigned", Delivery.NONE)
    NotificationPolicy.objects.create(kind="lead_assigned", mandatory=True)
    _assign(partner_a_user)
    outbox_relay()
    assert len(mail.outbox) == 1 and "List-Unsubscribe" not in mail.outbox[0].extra_headers


def test_none_drops_the_email_and_digest_keeps_it_for_the_digest(partner_a_user, partner_a_admin):
    _prefer(partner_a_user, "lead_assigned", Delivery.NONE)
    _prefer(partner_a_admin, "lead_assigned", Delivery.DIGEST)
    _assign(partner_a_user)
    _assign(partner_a_admin, company="For the digest")
    assert not OutboxMessage.objects.exists()
    item = DigestItem.objects.get()
    assert item.user == partner_a_admin and item.kind == "lead_assigned" and item.digest is None


def test_the_digest_gathers_everything_since_the_last_one_into_one_email_in_the_persons_language(partner_a_admin):
    partner_a_admin.language = "cs"
    partner_a_admin.save()
    _prefer(partner_a_admin, "lead_assigned", Delivery.DIGEST)
    _assign(partner_a_admin, company="První", batch="1")
    _assign(partner_a_admin, company="Druhý", batch="2")
    later = timezone.now() + datetime.timedelta(days=1, minutes=1)
    assert notification_digest_send_due(now=later) == 1
    assert notification_digest_send_due(now=later) == 0  # sent once even if the task runs twice
    outbox_relay()
    assert len(mail.outbox) == 1
    digest = mail.outbox[0]
    assert "První" in digest.body and "Druhý" in digest.body
    assert digest.subject == "Váš denní přehled: 2 oznámení"
    assert digest.extra_headers["List-Unsubscribe"]
    assert DigestItem.objects.filter(digest__isnull=True).count() == 0


def test_the_digest_waits_for_the_persons_time_in_their_time_zone(partner_a_admin):
    partner_a_admin.time_zone = "America/New_York"
    partner_a_admin.save()
    notification_preferences_save(actor=partner_a_admin, user=partner_a_admin,
                                  deliveries={"lead_assigned": Delivery.DIGEST}, digest_time=datetime.time(8, 0))
    _assign(partner_a_admin)
    item = DigestItem.objects.get()
    DigestItem.objects.filter(pk=item.pk).update(created_at=datetime.datetime(2026, 6, 1, 9, 0, tzinfo=datetime.UTC))
    # 11:00 UTC on 2 June is 07:00 in New York: the last slot was 08:00 New York on 1 June (12:00 UTC), after the item.
    assert notification_digest_send_due(now=datetime.datetime(2026, 6, 2, 11, 0, tzinfo=datetime.UTC)) == 1
    item.refresh_from_db()
    assert Digest.objects.get().slot == datetime.datetime(2026, 6, 1, 12, 0, tzinfo=datetime.UTC)


def test_unsubscribing_from_a_digest_turns_off_what_it_gathers(partner_a_admin, client):
    _prefer(partner_a_admin, "lead_assigned", Delivery.DIGEST)
    _prefer(partner_a_admin, "referral_received", Delivery.DIGEST)
    client.post(unsubscribe_url(user_id=partner_a_admin.pk, kind="digest").replace("http://testserver", ""))
    assert set(NotificationPreference.objects.filter(user=partner_a_admin).values_list("delivery", flat=True)) == {
        Delivery.NONE}


def test_preferences_page_saves_each_kind_and_refuses_a_mandatory_one(partner_a_user, login_as):
    client = login_as(partner_a_user)
    html = client.get(reverse("notifications:preferences")).content.decode()
    assert "Leads given to me" in html and "Password emails" not in html
    assert "Service-level breaches" not in html  # a vendor staff kind
    from notifications.selectors import notification_kinds_for

    data = {f"kind_{kind.code}": "immediate" for kind in notification_kinds_for(user=partner_a_user)}
    data.update(kind_lead_assigned="digest", kind_lead_recalled="none", digest_time="07:30")
    response = client.post(reverse("notifications:preferences"), data)
    assert response.status_code == 302
    assert NotificationPreference.objects.get(user=partner_a_user, kind="lead_assigned").delivery == "digest"
    assert NotificationPreference.objects.get(user=partner_a_user, kind="lead_recalled").delivery == "none"
    from prm_portal.core.errors import InvalidTransition

    with pytest.raises(InvalidTransition):
        notification_preferences_save(actor=partner_a_user, user=partner_a_user,
                                      deliveries={"account_password": Delivery.NONE})
