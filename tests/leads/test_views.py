import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from leads.events import LeadEvent
from leads.models import Lead, LeadImport
from leads.services import lead_claim, lead_update
from prm_portal.core.models import ActivityEvent
from tests.factories import LeadFactory, PartnerUserFactory


def test_leads_tab_shows_my_leads_and_my_queue_leads_with_accept(queue, queue_lead, partner_a_user, login_as):
    mine = LeadFactory(company="Mine Ltd", owner=partner_a_user, partner_account=partner_a_user.partner_account)
    LeadFactory(company="Someone Else's", owner=PartnerUserFactory(), partner_account=None)
    html = login_as(partner_a_user).get(reverse("leads:list")).content.decode()
    assert "Mine Ltd" in html and "Kovo Hradec" in html
    assert "Someone Else" not in html
    assert html.count(">Accept<") == 1
    assert mine.company in html


def test_leads_tab_query_count_does_not_grow_with_rows(queue, partner_a_user, login_as,
                                                       django_assert_max_num_queries):
    client = login_as(partner_a_user)
    LeadFactory.create_batch(3, queue=queue)
    LeadFactory.create_batch(2, owner=partner_a_user, partner_account=partner_a_user.partner_account)
    with django_assert_max_num_queries(14) as few:
        client.get(reverse("leads:list"))
    LeadFactory.create_batch(30, queue=queue)
    LeadFactory.create_batch(10, owner=partner_a_user, partner_account=partner_a_user.partner_account)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("leads:list"))
    assert response.content.decode().count(">Accept<") == 33


def test_rows_partial_drops_a_lead_once_someone_else_claimed_it(queue_lead, partner_a_user, partner_b_user, client):
    client.force_login(partner_b_user)
    rows = client.get(reverse("leads:rows")).content.decode()
    assert "Kovo Hradec" in rows
    assert re.search(r'name="csrfmiddlewaretoken" value="\w{20,}"', rows)  # its Accept forms still post
    lead_claim(actor=partner_a_user, lead_id=queue_lead.pk)
    rows = client.get(reverse("leads:rows")).content.decode()
    assert "Kovo Hradec" not in rows
    assert 'hx-trigger="every 3s"' in rows  # keeps polling


def test_outsider_gets_404_for_another_partners_lead(partner_a_user, partner_b_user, client):
    lead = LeadFactory(owner=partner_a_user, partner_account=partner_a_user.partner_account)
    client.force_login(partner_b_user)
    for name in ("leads:detail", "leads:edit", "leads:convert"):
        assert client.get(reverse(name, args=[lead.pk])).status_code == 404
    assert client.get(reverse("leads_api:lead-detail", args=[lead.pk])).status_code == 404


def test_edit_saves_and_returns_to_the_list(partner_a_user, login_as):
    lead = LeadFactory(owner=partner_a_user, partner_account=partner_a_user.partner_account, company="Kovo")
    client = login_as(partner_a_user)
    data = {"status": "working", "company": "Kovo Hradec a.s.", "last_name": lead.last_name, "country": "cz"}
    response = client.post(reverse("leads:edit", args=[lead.pk]), data)
    assert response.status_code == 302 and response["Location"] == reverse("leads:list")
    lead.refresh_from_db()
    assert (lead.status, lead.company, lead.country) == ("working", "Kovo Hradec a.s.", "CZ")


def test_queue_lead_detail_offers_accept_not_edit(queue_lead, partner_a_user, login_as):
    html = login_as(partner_a_user).get(reverse("leads:detail", args=[queue_lead.pk])).content.decode()
    assert ">Accept<" in html and ">Edit<" not in html


def test_convert_view_redirects_to_the_opportunities(partner_a_user, login_as):
    lead = LeadFactory(owner=partner_a_user, partner_account=partner_a_user.partner_account, status="qualified")
    response = login_as(partner_a_user).post(reverse("leads:convert", args=[lead.pk]),
                                             {"opportunity_name": "Big deal", "amount": "5000"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("opportunities:list"))
    assert Lead.objects.get(pk=lead.pk).status == Lead.Status.CONVERTED


def test_timeline_as_of_a_date_hides_later_events(channel_manager, partner_a_user, login_as):
    lead = LeadFactory(owner=partner_a_user, partner_account=partner_a_user.partner_account)
    lead_update(actor=partner_a_user, lead=lead, phone="111")
    lead_update(actor=partner_a_user, lead=lead, phone="222")
    first, second = ActivityEvent.objects.filter(object_id=lead.pk).order_by("id")
    ActivityEvent.objects.filter(pk=first.pk).update(created_at=timezone.now() - datetime.timedelta(days=10))
    client = login_as(channel_manager)
    url = reverse("leads:detail", args=[lead.pk])
    as_of = (timezone.now() - datetime.timedelta(days=5)).date().isoformat()
    timeline = client.get(url, {"as_of": as_of}).content.decode().split('id="timeline"')[1]
    assert "111" in timeline and "222" not in timeline
    assert "222" in client.get(url).content.decode().split('id="timeline"')[1]


def test_channel_manager_attaches_a_file_the_partner_can_download_and_outsider_cannot(
        channel_manager, partner_a_user, partner_b_user, client):
    lead = LeadFactory(owner=partner_a_user, partner_account=partner_a_user.partner_account)
    client.force_login(channel_manager)
    client.post(reverse("leads:resource_add", args=[lead.pk]),
                {"kind": "file", "title": "Price list", "file": SimpleUploadedFile("p.txt", b"price list")})
    from prm_portal.core.models import Resource

    resource = Resource.objects.get(title="Price list")
    url = reverse("leads:resource_file", args=[lead.pk, resource.pk])
    client.force_login(partner_a_user)
    assert "Price list" in client.get(reverse("leads:detail", args=[lead.pk])).content.decode()
    assert b"".join(client.get(url).streaming_content) == b"price list"
    client.force_login(partner_b_user)
    assert client.get(url).status_code == 404


def test_portal_mass_reassign_from_the_list(channel_manager, partner_a_user, queue, login_as):
    leads = LeadFactory.create_batch(2, queue=queue)
    response = login_as(channel_manager).post(
        reverse("leads:reassign"), {"lead": [lead.pk for lead in leads], "owner": partner_a_user.pk}, follow=True
    )
    assert "2 lead(s) reassigned" in response.content.decode()
    assert Lead.objects.filter(owner=partner_a_user).count() == 2


# --- web-to-lead (C12) --------------------------------------------------------------------------------------------

WEB = {"company": "Sevilla Solar", "last_name": "López", "email": "elena@sevilla.example", "country": "es"}


def _token(client):
    response = client.get(reverse("leads:web_form"))
    return response.context["form"].initial["token"]


def test_web_form_creates_a_routed_lead(client, db, settings):
    settings.LEADS_WEB_FORM_MIN_SECONDS = 0
    from tests.factories import QueueFactory

    default = QueueFactory(is_default=True)
    response = client.post(reverse("leads:web_form"), {**WEB, "token": _token(client)})
    assert response.status_code == 302
    lead = Lead.objects.get(company="Sevilla Solar")
    assert (lead.queue, lead.country, lead.source) == (default, "ES", "Web form")


def test_web_form_honeypot_creates_nothing(client, db, settings):
    settings.LEADS_WEB_FORM_MIN_SECONDS = 0
    client.post(reverse("leads:web_form"), {**WEB, "token": _token(client), "website": "http://spam.example"})
    assert not Lead.objects.exists()


def test_web_form_sent_faster_than_a_person_types_is_refused(client, db):
    response = client.post(reverse("leads:web_form"), {**WEB, "token": _token(client)})
    assert response.status_code == 200
    assert "That was quick" in response.content.decode()
    assert not Lead.objects.exists()


def test_web_form_with_a_forged_token_is_refused(client, db, settings):
    settings.LEADS_WEB_FORM_MIN_SECONDS = 0
    client.post(reverse("leads:web_form"), {**WEB, "token": "web-to-lead:forged:sig"})
    assert not Lead.objects.exists()


# --- CSV import (C12) ---------------------------------------------------------------------------------------------

GOOD = "company,first_name,last_name,email,country\nKovo,Jan,Horák,jan@kovo.example,CZ\nLipno,Anna,Nová,,cz\n"
BAD = GOOD + "Broken,Eva,,eva@x.example,CZ\nWorse,Petr,Malý,not-an-email,CZ\n"


@pytest.mark.django_db(transaction=True)
def test_csv_with_bad_rows_imports_nothing_and_names_each_line(channel_manager, client):
    client.force_login(channel_manager)
    response = client.post(reverse("leads:import"), {"file": SimpleUploadedFile("leads.csv", BAD.encode())},
                           follow=True)
    html = response.content.decode()
    assert "Line 4: last_name" in html
    assert "Line 5: email" in html
    assert "Nothing was imported" in html
    assert not Lead.objects.exists()
    assert LeadImport.objects.get().status == LeadImport.Status.FAILED


@pytest.mark.django_db(transaction=True)
def test_csv_import_creates_and_routes_every_row(channel_manager, client):
    from tests.factories import QueueFactory

    default = QueueFactory(is_default=True)
    client.force_login(channel_manager)
    response = client.post(reverse("leads:import"), {"file": SimpleUploadedFile("leads.csv", GOOD.encode())},
                           follow=True)
    assert "2 leads imported and routed" in response.content.decode()
    assert Lead.objects.filter(queue=default).count() == 2
    assert ActivityEvent.objects.filter(verb=LeadEvent.CREATED, data__channel="csv").count() == 2


def test_partner_cannot_import(partner_a_admin, login_as):
    assert login_as(partner_a_admin).get(reverse("leads:import")).status_code == 404


def test_vendor_admin_sets_claim_limits_in_the_portal(vendor_admin, partner_a_user, queue, login_as):
    from leads.services import ClaimLimitReached

    client = login_as(vendor_admin)
    response = client.post(reverse("leads:claim_limits"), {"max_open_per_user": 1, "max_open_per_partner": 10},
                           follow=True)
    assert "Claim limits saved" in response.content.decode()
    first, second = LeadFactory.create_batch(2, queue=queue)
    lead_claim(actor=partner_a_user, lead_id=first.pk)
    with pytest.raises(ClaimLimitReached, match="1 open queue leads"):
        lead_claim(actor=partner_a_user, lead_id=second.pk)


def test_channel_manager_cannot_set_claim_limits(channel_manager, login_as):
    assert login_as(channel_manager).post(reverse("leads:claim_limits"), {"max_open_per_user": 0,
                                                                          "max_open_per_partner": 0}).status_code == 404


def test_partner_admin_sees_every_lead_of_the_partner_but_a_rep_only_their_own(partner_a, partner_a_admin,
                                                                               partner_a_user, login_as):
    from tests.factories import PartnerUserFactory

    colleague = PartnerUserFactory(partner_account=partner_a)
    LeadFactory(company="Colleague's lead", owner=colleague, partner_account=partner_a)
    assert "Colleague" in login_as(partner_a_admin).get(reverse("leads:list")).content.decode()
    assert "Colleague" not in login_as(partner_a_user).get(reverse("leads:list")).content.decode()


def test_channel_manager_list_shows_own_partners_leads_not_other_managers(channel_manager, other_channel_manager,
                                                                          partner_a_user, partner_b_user, login_as):
    LeadFactory(company="Alpha lead", owner=partner_a_user, partner_account=partner_a_user.partner_account)
    LeadFactory(company="Beta lead", owner=partner_b_user, partner_account=partner_b_user.partner_account)
    html = login_as(channel_manager).get(reverse("leads:list")).content.decode()
    assert "Alpha lead" in html and "Beta lead" not in html
    assert 'hx-trigger="every 3s"' not in html  # vendor staff select rows to reassign: no polling under them
