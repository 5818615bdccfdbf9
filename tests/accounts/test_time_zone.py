"""Dates and times follow the viewer's language and time zone: a profile setting, applied to every page by a
middleware and to every email at delivery (issue 15)."""

import datetime
import zoneinfo

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from leads.models import Lead
from prm_portal.core.emails import email_enqueue
from prm_portal.core.models import ActivityEvent, EmailTemplate
from prm_portal.core.outbox import outbox_relay
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

NOON_UTC = datetime.datetime(2026, 7, 1, 12, 0, tzinfo=datetime.UTC)


def test_saving_preferences_sets_the_language_and_time_zone_and_records_it(cast, login_as):
    client = login_as(cast.partner_a_user)
    response = client.post(reverse("accounts:preferences"), {"language": "pl", "time_zone": "Europe/Warsaw"})
    assert response.status_code == 302
    cast.partner_a_user.refresh_from_db()
    assert (cast.partner_a_user.language, cast.partner_a_user.time_zone) == ("pl", "Europe/Warsaw")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "pl"
    assert ActivityEvent.objects.filter(verb="account.preferences_changed", object_id=cast.partner_a_user.pk).exists()
    page = client.get(reverse("accounts:profile")).content.decode()
    assert '<option value="Europe/Warsaw" selected>' in page


def test_an_unknown_time_zone_is_refused_and_nothing_changes(cast, login_as):
    response = login_as(cast.partner_a_user).post(reverse("accounts:preferences"),
                                                  {"language": "en", "time_zone": "Mars/Olympus"})
    assert response.status_code == 400
    cast.partner_a_user.refresh_from_db()
    assert cast.partner_a_user.time_zone == ""


def test_pages_show_times_in_the_viewers_time_zone(cast, login_as):
    lead = LeadFactory(owner=cast.partner_a_user, partner_account=cast.partner_a)
    Lead.objects.filter(pk=lead.pk).update(created_at=datetime.datetime(2026, 7, 1, 23, 30, tzinfo=datetime.UTC))
    cast.partner_a_user.time_zone = "Asia/Tokyo"  # 08:30 on 2 July there
    cast.partner_a_user.save()
    page = login_as(cast.partner_a_user).get(reverse("leads:list")).content.decode()
    assert "July 2, 2026" in page or "Jul. 2, 2026" in page
    cast.partner_a_user.time_zone = "America/New_York"
    cast.partner_a_user.save()
    page = login_as(cast.partner_a_user).get(reverse("leads:list")).content.decode()
    assert "July 1, 2026" in page or "Jul. 1, 2026" in page
    assert timezone.get_current_timezone() == zoneinfo.ZoneInfo(settings.TIME_ZONE)  # nothing leaks past the request


def test_dates_use_the_viewers_language_formats(cast, login_as, client):
    lead = LeadFactory(owner=cast.partner_a_user, partner_account=cast.partner_a)
    Lead.objects.filter(pk=lead.pk).update(created_at=NOON_UTC)
    login_as(cast.partner_a_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "cs"
    assert "01.07.2026" in client.get(reverse("leads:list")).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "July 1, 2026" in client.get(reverse("leads:list")).content.decode()


def test_emails_are_rendered_in_the_recipients_time_zone(cast, django_capture_on_commit_callbacks):
    cast.partner_a_user.time_zone = "Asia/Tokyo"
    cast.partner_a_user.save()
    EmailTemplate.objects.create(key="test_ping", language="en", subject="Ping",
                                 body_text="Your offset: {% now 'O' %}")
    with django_capture_on_commit_callbacks(execute=True):
        email_enqueue(template_key="test_ping", to=cast.partner_a_user.email, context={"name": "Adam"},
                      idempotency_key="tz-ping")
    outbox_relay()
    assert [m.body for m in mail.outbox if m.subject == "Ping"] == ["Your offset: +0900"]
