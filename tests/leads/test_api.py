from django.urls import reverse
from rest_framework.test import APIClient

from leads.models import AssignmentRule, Lead
from prm_portal.core.apitokens import api_token_create
from tests.factories import LeadFactory, QueueFactory


def test_api_create_routes_the_lead_at_once(channel_manager):
    q = QueueFactory(name="Czech")
    AssignmentRule.objects.create(name="CZ", countries="CZ", target="queue", target_queue=q)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_create(actor=channel_manager, name='Tests')[1]}")
    response = api.post(reverse("leads_api:lead-list"), {"company": "Kovo", "last_name": "H", "country": "CZ"},
                        format="json")
    assert response.status_code == 201
    assert response.json()["queue"] == q.pk
    assert Lead.objects.get(pk=response.json()["id"]).queue == q


def test_api_create_rejects_bad_input_and_partners(channel_manager, partner_a_user):
    api = APIClient()
    api.force_authenticate(channel_manager)
    assert api.post(reverse("leads_api:lead-list"), {"company": "No name"}, format="json").status_code == 400
    api.force_authenticate(partner_a_user)
    assert api.post(reverse("leads_api:lead-list"), {"company": "X", "last_name": "Y"}).status_code == 403
    assert not Lead.objects.exists()


def test_api_list_is_scoped_to_the_caller(partner_a_user, partner_b_user):
    LeadFactory(company="Alpha's", owner=partner_a_user, partner_account=partner_a_user.partner_account)
    api = APIClient()
    api.force_authenticate(partner_b_user)
    assert api.get(reverse("leads_api:lead-list")).json()["count"] == 0
    api.force_authenticate(partner_a_user)
    assert [r["company"] for r in api.get(reverse("leads_api:lead-list")).json()["results"]] == ["Alpha's"]


def test_api_accept_race_loser_gets_409_with_the_message(queue_lead, partner_a_user, partner_b_user):
    api = APIClient()
    api.force_authenticate(partner_a_user)
    assert api.post(reverse("leads_api:lead-accept", args=[queue_lead.pk])).status_code == 200
    api.force_authenticate(partner_b_user)
    response = api.post(reverse("leads_api:lead-accept", args=[queue_lead.pk]))
    assert response.status_code == 409
    assert response.json()["detail"] == "This lead was already accepted by another partner"


def test_api_patch_changes_status(partner_a_user):
    lead = LeadFactory(owner=partner_a_user, partner_account=partner_a_user.partner_account)
    api = APIClient()
    api.force_authenticate(partner_a_user)
    response = api.patch(reverse("leads_api:lead-detail", args=[lead.pk]), {"status": "working"}, format="json")
    assert response.status_code == 200
    assert Lead.objects.get(pk=lead.pk).status == "working"
