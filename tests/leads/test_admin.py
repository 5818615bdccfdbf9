from django.contrib.auth.models import Permission
from django.urls import reverse

from leads.events import LeadEvent
from leads.models import Lead
from prm_portal.core.models import ActivityEvent
from tests.factories import LeadFactory, QueueFactory


def _staff_with_lead_perms(user):
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="leads"))
    return user


def test_lead_added_in_admin_is_routed_and_timelined(vendor_admin, login_as):
    default = QueueFactory(is_default=True)
    client = login_as(vendor_admin)
    response = client.post(reverse("admin:leads_lead_add"), {"company": "Admin Co", "last_name": "Novak",
                                                             "status": "new", "country": "cz"})
    assert response.status_code == 302
    lead = Lead.objects.get(company="Admin Co")
    assert (lead.queue, lead.country) == (default, "CZ")
    assert ActivityEvent.objects.filter(object_id=lead.pk, verb=LeadEvent.CREATED, data__channel="admin").exists()


def test_status_change_in_admin_goes_through_the_service(vendor_admin, partner_a_user, login_as):
    lead = LeadFactory(owner=partner_a_user, partner_account=partner_a_user.partner_account, company="Kovo")
    client = login_as(vendor_admin)
    client.post(reverse("admin:leads_lead_change", args=[lead.pk]),
                {"company": "Kovo", "last_name": lead.last_name, "status": "working", "country": "CZ",
                 "email": lead.email, "industry": lead.industry, "source": lead.source})
    assert Lead.objects.get(pk=lead.pk).status == "working"
    event = ActivityEvent.objects.get(object_id=lead.pk, verb__in=[LeadEvent.UPDATED, LeadEvent.STATUS_CHANGED])
    assert event.data["changes"]["status"] == ["new", "working"]


def test_admin_lead_list_is_scoped_for_channel_managers(channel_manager, other_channel_manager, partner_a_user,
                                                        client):
    LeadFactory(company="Alpha's customer", owner=partner_a_user, partner_account=partner_a_user.partner_account)
    client.force_login(_staff_with_lead_perms(other_channel_manager))
    assert "Alpha&#x27;s customer" not in client.get(reverse("admin:leads_lead_changelist")).content.decode()
    client.force_login(_staff_with_lead_perms(channel_manager))
    assert "Alpha&#x27;s customer" in client.get(reverse("admin:leads_lead_changelist")).content.decode()


def test_admin_action_offers_only_assignable_partner_users(vendor_admin, partner_a, partner_a_user, login_as):
    from tests.factories import PartnerUserFactory

    never = PartnerUserFactory(partner_account=partner_a, last_login=None, email="never@alpha.example")
    lead = LeadFactory(queue=QueueFactory(accounts=[partner_a]))
    html = login_as(vendor_admin).post(
        reverse("admin:leads_lead_changelist"), {"action": "reassign_leads", "_selected_action": [lead.pk]}
    ).content.decode()
    assert partner_a_user.email in html
    assert never.email not in html


def test_claim_limits_saved_in_admin_apply_to_claims(vendor_admin, login_as):
    from leads.models import ClaimLimitSettings
    from leads.services import claim_limits_for

    client = login_as(vendor_admin)
    response = client.post(reverse("admin:leads_claimlimitsettings_add"),
                           {"max_open_per_user": 3, "max_open_per_partner": 7})
    assert response.status_code == 302
    assert ClaimLimitSettings.objects.get().max_open_per_user == 3
    assert claim_limits_for(partner_account_id=None) == (3, 7)
