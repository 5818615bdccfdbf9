"""A rep reads a queue lead before accepting it: company, country, industry, size, source and need, but no contact
details until the lead is theirs (issue 15)."""

import pytest
from django.urls import reverse

from leads.models import Lead
from tests.factories import LeadFactory, QueueFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue_lead(cast):
    queue = QueueFactory(name="Prague queue", accounts=[cast.partner_a])
    return LeadFactory(company="Preview Logistics", first_name="Petra", last_name="Secret",
                       email="petra.secret@logistics.example", phone="+420 777 123 456", country="CZ",
                       industry="Logistics", company_size=Lead.CompanySize.MEDIUM, source="Trade fair",
                       description="Needs a warehouse analytics pilot.", queue=queue)


def test_queue_member_reads_the_lead_without_its_contact_details_before_accepting(cast, login_as, queue_lead):
    response = login_as(cast.partner_a_user).get(reverse("leads:preview", args=[queue_lead.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    for shown in ("Preview Logistics", "CZ", "Logistics", "50–249", "Trade fair", "warehouse analytics pilot",
                  reverse("leads:claim", args=[queue_lead.pk])):
        assert shown in page, shown
    for hidden in ("Petra", "Secret", "petra.secret@logistics.example", "+420 777 123 456"):
        assert hidden not in page, hidden


def test_the_leads_tab_links_a_queue_lead_to_its_preview(cast, login_as, queue_lead):
    page = login_as(cast.partner_a_user).get(reverse("leads:list")).content.decode()
    assert reverse("leads:preview", args=[queue_lead.pk]) in page
    assert f'id="accept-{queue_lead.pk}"' in page


def test_someone_outside_the_queue_gets_404(cast, login_as, queue_lead):
    assert login_as(cast.partner_b_user).get(reverse("leads:preview", args=[queue_lead.pk])).status_code == 404


def test_an_accepted_lead_has_no_preview_any_more(cast, login_as, queue_lead):
    Lead.objects.filter(pk=queue_lead.pk).update(owner=cast.partner_a_user, queue=None,
                                                 partner_account=cast.partner_a)
    assert login_as(cast.partner_a_admin).get(reverse("leads:preview", args=[queue_lead.pk])).status_code == 404
