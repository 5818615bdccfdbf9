import pytest
from django.core import mail

from leads.events import LeadEvent
from leads.models import AssignmentRule, Lead, RoundRobinGroup, RoundRobinMember
from leads.services import lead_claim, lead_convert, lead_create, lead_reassign, lead_update
from prm_portal.core.errors import InvalidTransition
from prm_portal.core.events import event_changes, event_sentence
from prm_portal.core.models import ActivityEvent
from tests.factories import LeadFactory, PartnerUserFactory, QueueFactory, UserFactory


def _verbs(lead):
    return list(ActivityEvent.objects.filter(object_id=lead.pk).order_by("id").values_list("verb", flat=True))


# --- routing (C8, C9) ------------------------------------------------------------------------------------------


def test_first_matching_rule_wins(db):
    iberia, emea = QueueFactory(name="Iberia"), QueueFactory(name="EMEA")
    AssignmentRule.objects.create(name="Spain", order=1, countries="ES, PT", target="queue", target_queue=iberia)
    AssignmentRule.objects.create(name="Everything", order=2, target="queue", target_queue=emea)
    assert lead_create(company="Sevilla Solar", last_name="L", country="es").queue == iberia
    assert lead_create(company="Kovo", last_name="H", country="CZ").queue == emea


def test_keyword_industry_size_and_source_criteria_must_all_match(db):
    q = QueueFactory()
    AssignmentRule.objects.create(name="Big solar", industries="Energy", company_sizes="1000+", sources="Webinar",
                                  keywords="solar, wind", target="queue", target_queue=q)
    hit = lead_create(company="Sevilla Solar", last_name="L", industry="energy", company_size="1000+",
                      source="Webinar")
    miss = lead_create(company="Sevilla Solar", last_name="L", industry="energy", company_size="10-49",
                       source="Webinar")
    assert hit.queue == q
    assert miss.queue is None


def test_unmatched_lead_lands_in_the_default_queue_and_the_timeline_says_so(db):
    default = QueueFactory(name="Catch-all", is_default=True)
    lead = lead_create(company="Nobody's", last_name="N")
    assert lead.queue == default
    assert _verbs(lead) == [LeadEvent.CREATED, LeadEvent.ROUTED_TO_DEFAULT_QUEUE]
    routed = ActivityEvent.objects.get(object_id=lead.pk, verb=LeadEvent.ROUTED_TO_DEFAULT_QUEUE)
    assert event_sentence(routed, viewer=None) == (
        "No routing rule matched: the lead went to the default queue Catch-all")


def test_rule_can_give_a_lead_to_a_partner_user_or_a_partner_account(partner_a, partner_a_user):
    AssignmentRule.objects.create(name="CZ rep", order=1, countries="CZ", target="partner_user",
                                  target_user=partner_a_user)
    AssignmentRule.objects.create(name="PL partner", order=2, countries="PL", target="partner_account",
                                  target_partner_account=partner_a)
    to_user = lead_create(company="A", last_name="A", country="CZ")
    to_partner = lead_create(company="B", last_name="B", country="PL")
    assert (to_user.owner, to_user.partner_account) == (partner_a_user, partner_a)
    assert _verbs(to_user) == [LeadEvent.CREATED, LeadEvent.ROUTED, LeadEvent.ASSIGNED_TO_USER]
    assert (to_partner.owner, to_partner.queue, to_partner.partner_account) == (None, None, partner_a)
    assert ActivityEvent.objects.get(object_id=to_user.pk, verb=LeadEvent.ROUTED).data["rule"] == "CZ rep"


def test_lead_given_to_a_partner_account_can_be_accepted_by_its_users_only(partner_a, partner_a_user,
                                                                              partner_b_user):
    lead = LeadFactory(partner_account=partner_a)
    with pytest.raises(Lead.DoesNotExist):
        lead_claim(actor=partner_b_user, lead_id=lead.pk)
    assert lead_claim(actor=partner_a_user, lead_id=lead.pk).owner == partner_a_user


def test_round_robin_takes_turns_and_survives_a_restart(partner_a_user):
    q1, q2 = QueueFactory(), QueueFactory()
    group = RoundRobinGroup.objects.create(name="Turns")
    RoundRobinMember.objects.create(group=group, position=1, queue=q1)
    RoundRobinMember.objects.create(group=group, position=2, queue=q2)
    RoundRobinMember.objects.create(group=group, position=3, user=partner_a_user)
    AssignmentRule.objects.create(name="Turns", target="round_robin", target_group=group)
    got = [lead_create(company=f"L{i}", last_name="X") for i in range(4)]
    assert [(lead.queue, lead.owner) for lead in got] == [(q1, None), (q2, None), (None, partner_a_user), (q1, None)]
    assert RoundRobinGroup.objects.get(pk=group.pk).cursor == 4  # the rotation lives in the database


# --- edit (C5, C10) ----------------------------------------------------------------------------------------------


def test_update_records_old_and_new_values(partner_a_user):
    lead = LeadFactory(owner=partner_a_user, partner_account=partner_a_user.partner_account, phone="1")
    lead_update(actor=partner_a_user, lead=lead, status=Lead.Status.WORKING, phone="2", company=lead.company)
    event = ActivityEvent.objects.get(object_id=lead.pk, verb=LeadEvent.UPDATED)
    assert event.data["changes"] == {"status": ["new", "working"], "phone": ["1", "2"]}
    assert event_changes(event, viewer=partner_a_user) == [
        {"field": "Phone", "old": "1", "new": "2"}, {"field": "Status", "old": "New", "new": "Working"}]


def test_update_cannot_set_converted(partner_a_user):
    lead = LeadFactory(owner=partner_a_user, partner_account=partner_a_user.partner_account)
    with pytest.raises(InvalidTransition):
        lead_update(actor=partner_a_user, lead=lead, status=Lead.Status.CONVERTED)


# --- reassign (C6, C7, F1-F3) --------------------------------------------------------------------------------------


def test_change_owner_with_notification_sends_one_email_once(channel_manager, partner_a_user, queue_lead,
                                                             django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        lead_reassign(actor=channel_manager, leads=[queue_lead], owner=partner_a_user, notify=True)
    lead = Lead.objects.get(pk=queue_lead.pk)
    assert (lead.owner, lead.queue, lead.partner_account) == (partner_a_user, None, partner_a_user.partner_account)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [partner_a_user.email]
    assert "Kovo Hradec" in mail.outbox[0].subject
    assert _verbs(lead)[-2:] == [LeadEvent.REASSIGNED, LeadEvent.NOTIFIED]


def test_change_owner_without_notification_sends_nothing(channel_manager, partner_a_user, queue_lead,
                                                         django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        lead_reassign(actor=channel_manager, leads=[queue_lead], owner=partner_a_user, notify=False)
    assert mail.outbox == []


def test_mass_reassign_sends_one_digest_per_recipient_listing_all_leads(
        channel_manager, partner_a, partner_a_user, queue, django_capture_on_commit_callbacks):
    leads = LeadFactory.create_batch(3, queue=queue)
    with django_capture_on_commit_callbacks(execute=True):
        lead_reassign(actor=channel_manager, leads=leads, owner=partner_a_user, notify=True)
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert all(lead.company in body for lead in leads)
    assert "3 leads" in mail.outbox[0].subject


def test_mass_reassign_to_a_queue_notifies_each_member_once(channel_manager, partner_a, partner_a_user,
                                                            partner_a_admin, django_capture_on_commit_callbacks):
    target = QueueFactory(accounts=[partner_a])
    leads = LeadFactory.create_batch(2, owner=partner_a_user, partner_account=partner_a)
    with django_capture_on_commit_callbacks(execute=True):
        lead_reassign(actor=channel_manager, leads=leads, queue=target, notify=True)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([partner_a_user.email, partner_a_admin.email])
    assert Lead.objects.filter(queue=target, owner__isnull=True).count() == 2


def test_reassigning_a_claimed_lead_frees_the_claimers_quota(channel_manager, partner_a_user, partner_a_admin,
                                                             queue_lead):
    from leads.models import UserClaimQuota

    lead_claim(actor=partner_a_user, lead_id=queue_lead.pk)
    lead_reassign(actor=channel_manager, leads=[queue_lead], owner=partner_a_admin)
    assert UserClaimQuota.objects.get(user=partner_a_user).open_count == 0
    assert not Lead.objects.get(pk=queue_lead.pk).holds_claim


def test_owner_must_be_active_and_have_signed_in(channel_manager, partner_a, queue_lead):
    never = PartnerUserFactory(partner_account=partner_a, last_login=None)
    inactive = PartnerUserFactory(partner_account=partner_a, is_active=False)
    for user in (never, inactive, UserFactory()):
        with pytest.raises(InvalidTransition):
            lead_reassign(actor=channel_manager, leads=[queue_lead], owner=user)
    assert Lead.objects.get(pk=queue_lead.pk).owner is None


# --- convert (C11) ------------------------------------------------------------------------------------------------


def test_convert_creates_the_opportunity_and_links_the_lead(partner_a_user, queue_lead):
    lead = lead_claim(actor=partner_a_user, lead_id=queue_lead.pk)
    lead = lead_update(actor=partner_a_user, lead=lead, status=Lead.Status.QUALIFIED)
    opportunity = lead_convert(actor=partner_a_user, lead=lead, opportunity_name="Kovo rollout", amount=12000)
    lead.refresh_from_db()
    assert lead.status == Lead.Status.CONVERTED and not lead.holds_claim
    assert opportunity.source_lead == lead
    assert opportunity.customer_account.name == "Kovo Hradec"
    assert opportunity.customer_contact.last_name == queue_lead.last_name
    assert (opportunity.owner, opportunity.partner_account) == (partner_a_user, partner_a_user.partner_account)
    assert _verbs(lead)[-1] == LeadEvent.CONVERTED


def test_only_a_qualified_lead_converts(partner_a_user, queue_lead):
    lead = lead_claim(actor=partner_a_user, lead_id=queue_lead.pk)
    with pytest.raises(InvalidTransition, match="qualified"):
        lead_convert(actor=partner_a_user, lead=lead, opportunity_name="Too early")
    assert Lead.objects.get(pk=lead.pk).status == Lead.Status.NEW


def test_a_retried_digest_task_sends_the_email_once(channel_manager, partner_a_user, queue,
                                                    django_capture_on_commit_callbacks):
    leads = LeadFactory.create_batch(2, queue=queue)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        lead_reassign(actor=channel_manager, leads=leads, owner=partner_a_user, notify=True)
    for callback in callbacks + callbacks:  # the worker runs the same task twice
        callback()
    assert len(mail.outbox) == 1


def test_status_filter_on_the_list(partner_a_user, login_as):
    from django.urls import reverse

    LeadFactory(company="Working Co", status="working", owner=partner_a_user,
                partner_account=partner_a_user.partner_account)
    LeadFactory(company="New Co", owner=partner_a_user, partner_account=partner_a_user.partner_account)
    html = login_as(partner_a_user).get(reverse("leads:list"), {"status": "working"}).content.decode()
    assert "Working Co" in html and "New Co" not in html
