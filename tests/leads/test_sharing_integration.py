"""The setup wizard's sharing rules (A3) reach the Leads tab: shared leads show, and new leads are shared too."""

import pytest
from django.urls import reverse

from leads.selectors import lead_get_for_user, lead_list_visible_to
from leads.services import lead_create
from sharing.selectors import RuleDraft
from sharing.services import sharing_apply
from tests.factories import LeadFactory, PartnerUserFactory


@pytest.fixture
def share_czech_leads_with_a(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sharing_apply(actor=cast.vendor_admin, record_types=["lead"],
                      rules=[RuleDraft("lead", partner_account=cast.partner_a.pk, country="CZ")])


def test_a_lead_shared_by_a_rule_shows_in_the_partners_leads_tab(cast, login_as, django_capture_on_commit_callbacks):
    other = PartnerUserFactory(partner_account=cast.partner_b)
    lead = LeadFactory(company="Shared Czech Co", country="CZ", owner=other, partner_account=cast.partner_b)
    assert lead not in lead_list_visible_to(user=cast.partner_a_user)
    with django_capture_on_commit_callbacks(execute=True):
        sharing_apply(actor=cast.vendor_admin, record_types=["lead"],
                      rules=[RuleDraft("lead", partner_account=cast.partner_a.pk, country="CZ")])
    assert lead in lead_list_visible_to(user=cast.partner_a_user)
    response = login_as(cast.partner_a_user).get(reverse("leads:list"))
    assert "Shared Czech Co" in response.content.decode()
    assert lead_get_for_user(user=cast.partner_a_user, pk=lead.pk) == lead


def test_a_lead_that_arrives_after_done_is_shared_by_the_same_rule(cast, share_czech_leads_with_a):
    lead = lead_create(actor=cast.vendor_admin, company="Late Arrival s.r.o.", last_name="Novák", country="CZ")
    polish = lead_create(actor=cast.vendor_admin, company="Nie Dzielony", last_name="Nowak", country="PL")
    assert lead.queue_id is None and lead.owner_id is None and lead.partner_account_id is None  # no rule routed it
    visible = set(lead_list_visible_to(user=cast.partner_a_user).values_list("pk", flat=True))
    assert lead.pk in visible
    assert polish.pk not in visible
    assert lead.pk not in set(lead_list_visible_to(user=cast.partner_b_user).values_list("pk", flat=True))
