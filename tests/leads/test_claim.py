import pytest
from django.urls import reverse

from leads.events import LeadEvent
from leads.models import Lead, PartnerClaimLimit, PartnerClaimQuota, UserClaimQuota
from leads.services import ALREADY_CLAIMED, ClaimLimitReached, lead_claim, lead_update
from prm_portal.core.errors import InvalidTransition
from prm_portal.core.models import ActivityEvent, RecentItem
from tests.factories import LeadFactory, PartnerUserFactory


@pytest.fixture(autouse=True, params=["sent as text", "prepared"])
def statements(request, monkeypatch):
    """Every claim test twice: the statements sent as text (CONN_MAX_AGE 0, as behind PgBouncer) and prepared once
    on a kept connection (prm_portal.core.sql.execute_prepared)."""
    from django.db import connection

    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0 if request.param == "sent as text" else 60)
    return request.param


def test_claim_gives_the_lead_to_the_rep_and_takes_it_out_of_the_queue(queue_lead, partner_a_user):
    lead = lead_claim(actor=partner_a_user, lead_id=queue_lead.pk)
    assert (lead.owner, lead.partner_account, lead.queue, lead.source_queue) == (
        partner_a_user, partner_a_user.partner_account, None, queue_lead.queue)
    assert lead.holds_claim and lead.claimed_at
    assert ActivityEvent.objects.filter(object_id=lead.pk, verb=LeadEvent.CLAIMED, actor=partner_a_user).exists()
    assert UserClaimQuota.objects.get(user=partner_a_user).open_count == 1
    assert PartnerClaimQuota.objects.get(partner_account=partner_a_user.partner_account).open_count == 1


def test_second_claim_of_same_lead_is_refused_with_the_message(queue_lead, partner_a_user, partner_b_user):
    lead_claim(actor=partner_a_user, lead_id=queue_lead.pk)
    with pytest.raises(InvalidTransition, match=ALREADY_CLAIMED):
        lead_claim(actor=partner_b_user, lead_id=queue_lead.pk)
    assert Lead.objects.get(pk=queue_lead.pk).owner == partner_a_user
    assert not UserClaimQuota.objects.filter(user=partner_b_user, open_count__gt=0).exists()


def test_claim_of_a_lead_outside_my_queues_looks_like_no_lead(db, partner_a_user):
    from tests.factories import QueueFactory

    other = LeadFactory(queue=QueueFactory(name="Not mine"))
    with pytest.raises(Lead.DoesNotExist):
        lead_claim(actor=partner_a_user, lead_id=other.pk)


def test_vendor_staff_cannot_claim(queue_lead, channel_manager):
    with pytest.raises(InvalidTransition):
        lead_claim(actor=channel_manager, lead_id=queue_lead.pk)


def test_claim_past_the_user_limit_is_refused_naming_the_limit(queue, partner_a_user, limits):
    limits(per_user=2)
    leads = LeadFactory.create_batch(3, queue=queue)
    lead_claim(actor=partner_a_user, lead_id=leads[0].pk)
    lead_claim(actor=partner_a_user, lead_id=leads[1].pk)
    with pytest.raises(ClaimLimitReached, match="You already hold 2 open queue leads"):
        lead_claim(actor=partner_a_user, lead_id=leads[2].pk)
    assert Lead.objects.get(pk=leads[2].pk).owner is None


def test_claim_past_the_partner_limit_is_refused_naming_the_limit(queue, partner_a, partner_a_user, limits):
    limits(per_user=5, per_partner=1)
    colleague = PartnerUserFactory(partner_account=partner_a)
    first, second = LeadFactory.create_batch(2, queue=queue)
    lead_claim(actor=partner_a_user, lead_id=first.pk)
    with pytest.raises(ClaimLimitReached, match="Your company already holds 1 open queue leads"):
        lead_claim(actor=colleague, lead_id=second.pk)


def test_a_partner_override_beats_the_portal_limit(queue, partner_a, partner_a_user, limits):
    limits(per_user=1)
    PartnerClaimLimit.objects.create(partner_account=partner_a, max_open_per_user=2)
    leads = LeadFactory.create_batch(3, queue=queue)
    lead_claim(actor=partner_a_user, lead_id=leads[0].pk)
    lead_claim(actor=partner_a_user, lead_id=leads[1].pk)
    with pytest.raises(ClaimLimitReached, match="2 open queue leads"):
        lead_claim(actor=partner_a_user, lead_id=leads[2].pk)


def test_closing_a_claimed_lead_frees_a_place_under_the_limit(queue, partner_a_user, limits):
    limits(per_user=1)
    first, second = LeadFactory.create_batch(2, queue=queue)
    lead = lead_claim(actor=partner_a_user, lead_id=first.pk)
    lead_update(actor=partner_a_user, lead=lead, status=Lead.Status.UNQUALIFIED)
    assert lead_claim(actor=partner_a_user, lead_id=second.pk).owner == partner_a_user


def test_reopening_an_unqualified_lead_past_the_limit_is_refused(queue, partner_a_user, limits):
    limits(per_user=1)
    first, second = LeadFactory.create_batch(2, queue=queue)
    lead = lead_claim(actor=partner_a_user, lead_id=first.pk)
    lead = lead_update(actor=partner_a_user, lead=lead, status=Lead.Status.UNQUALIFIED)
    lead_claim(actor=partner_a_user, lead_id=second.pk)
    with pytest.raises(ClaimLimitReached):
        lead_update(actor=partner_a_user, lead=lead, status=Lead.Status.WORKING)
    assert Lead.objects.get(pk=lead.pk).status == Lead.Status.UNQUALIFIED


def test_quota_constraint_refuses_a_count_past_its_ceiling(partner_a_user):
    from django.db import IntegrityError, transaction

    UserClaimQuota.objects.create(user=partner_a_user, open_count=2, ceiling=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        UserClaimQuota.objects.filter(user=partner_a_user).update(open_count=3)


def test_accept_button_claims_and_redirects_to_the_list_with_a_message(queue_lead, partner_a_user, login_as):
    client = login_as(partner_a_user)
    response = client.post(reverse("leads:claim", args=[queue_lead.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("leads:list")
    assert "You accepted Kovo Hradec" in response.content.decode()
    assert RecentItem.objects.filter(user=partner_a_user, object_id=queue_lead.pk).exists()
    assert Lead.objects.get(pk=queue_lead.pk).owner == partner_a_user


def test_stale_accept_shows_already_accepted_message(queue_lead, partner_a_user, partner_b_user, client):
    lead_claim(actor=partner_a_user, lead_id=queue_lead.pk)
    client.force_login(partner_b_user)
    response = client.post(reverse("leads:claim", args=[queue_lead.pk]), follow=True)
    assert ALREADY_CLAIMED in response.content.decode()
    assert Lead.objects.get(pk=queue_lead.pk).owner == partner_a_user


def test_accept_needs_post(queue_lead, partner_a_user, login_as):
    assert login_as(partner_a_user).get(reverse("leads:claim", args=[queue_lead.pk])).status_code == 405
