from datetime import date

import pytest
from django.core import mail
from django.db import DatabaseError, transaction

from prm_portal.core.errors import InvalidTransition
from prm_portal.core.models import ActivityEvent
from prm_portal.core.outbox import outbox_relay
from referrals import services
from referrals.events import ReferralEvent
from referrals.models import DealRegistration, Referral, SalesStage, Solution
from tests.factories import PartnerLocationFactory

from .factories import accepted, days_ago, inbound, location_for, outbound

pytestmark = pytest.mark.django_db


def _forget_setup_emails():
    """The set-up's emails are outbox rows (their commit never comes in a test transaction): deliver them now and
    forget them, so the test sees what its own step sends."""
    outbox_relay()
    mail.outbox.clear()

WORK = [SalesStage.SECURING_LOE, SalesStage.DATA_COLLECTION, SalesStage.PREPARING_REPORT,
        SalesStage.PRESENT_TO_CUSTOMER]


def test_sent_referral_arrives_received_and_emails_the_partner(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        referral = inbound(actor=cast.channel_manager, partner=cast.partner_a)
    assert referral.status == Referral.Status.RECEIVED
    assert referral.sender == cast.channel_manager and referral.sender_email == cast.channel_manager.email
    assert [m.to for m in mail.outbox] == [[cast.partner_a_admin.email]]
    assert "Contoso" in mail.outbox[0].subject
    assert "within 14 days" in mail.outbox[0].body


def test_accept_moves_to_accepted_with_the_deal_details(cast):
    referral = inbound(actor=cast.channel_manager, partner=cast.partner_a)
    referral = services.referral_accept(
        actor=cast.partner_a_user, referral=referral, name="ERP", estimated_value="1000.5",
        estimated_close_date=date(2026, 12, 1), notes="Call back", crm_id="CRM-1",
        team_members=[{"name": "Zoe", "phone": "1", "email": "zoe@alpha.example"}],
    )
    referral.refresh_from_db()
    assert referral.status == Referral.Status.ACCEPTED
    assert referral.name == "ERP" and str(referral.estimated_value) == "1000.50" and referral.crm_id == "CRM-1"
    assert referral.sales_stage == SalesStage.ACCEPTED and referral.probability == 10
    assert {m.name for m in referral.team_members.all()} >= {"Zoe", str(cast.partner_a_user)}
    assert ActivityEvent.objects.filter(object_id=referral.pk, verb=ReferralEvent.ACCEPTED).count() == 1


def test_accept_without_notes_is_refused_and_changes_nothing(cast):
    referral = inbound(actor=cast.channel_manager, partner=cast.partner_a)
    with pytest.raises(InvalidTransition, match="Notes"):
        services.referral_accept(actor=cast.partner_a_user, referral=referral, name="X", estimated_value=1,
                                 estimated_close_date=date(2026, 1, 1), notes="  ")
    referral.refresh_from_db()
    assert referral.status == Referral.Status.RECEIVED


def test_another_partner_cannot_accept(cast):
    referral = inbound(actor=cast.channel_manager, partner=cast.partner_a)
    with pytest.raises(InvalidTransition):
        accepted(actor=cast.partner_b_user, referral=referral)


def test_second_accept_is_refused(cast):
    referral = inbound(actor=cast.channel_manager, partner=cast.partner_a)
    accepted(actor=cast.partner_a_user, referral=referral)
    with pytest.raises(InvalidTransition, match="accepted"):
        accepted(actor=cast.partner_a_admin, referral=referral)


def test_decline_closes_and_tells_the_sender(cast, django_capture_on_commit_callbacks):
    referral = inbound(actor=cast.channel_manager, partner=cast.partner_a)
    _forget_setup_emails()
    with django_capture_on_commit_callbacks(execute=True):
        services.referral_decline(actor=cast.partner_a_user, referral=referral, reason="no_budget", notes="None")
    referral.refresh_from_db()
    assert referral.status == Referral.Status.DECLINED and referral.closed_at
    assert referral.decline_reason == "no_budget"
    assert [m.to for m in mail.outbox] == [[cast.channel_manager.email]]
    assert "No budget" in mail.outbox[0].body


def test_declined_customer_inquiry_tells_the_customer_to_choose_another_partner(
        cast, django_capture_on_commit_callbacks):
    referral = inbound(actor=cast.channel_manager, partner=cast.partner_a,
                       referral_type=Referral.Type.CUSTOMER_INQUIRY)
    assert referral.sender_email == "karel@contoso.example"
    _forget_setup_emails()
    with django_capture_on_commit_callbacks(execute=True):
        services.referral_decline(actor=cast.partner_a_user, referral=referral, reason="spam")
    assert [m.to for m in mail.outbox] == [["karel@contoso.example"]]
    assert "choose another partner" in mail.outbox[0].body


def test_decline_needs_a_reason_from_the_list(cast):
    referral = inbound(actor=cast.channel_manager, partner=cast.partner_a)
    with pytest.raises(InvalidTransition, match="reason"):
        services.referral_decline(actor=cast.partner_a_user, referral=referral, reason="bored")


def test_closed_referral_is_read_only(cast):
    referral = inbound(actor=cast.channel_manager, partner=cast.partner_a)
    services.referral_decline(actor=cast.partner_a_user, referral=referral, reason="spam")
    with pytest.raises(InvalidTransition):
        services.referral_update(actor=cast.partner_a_user, referral=referral, name="New")
    with pytest.raises(InvalidTransition):
        services.referral_team_member_add(actor=cast.partner_a_user, referral=referral, name="A", phone="1",
                                          email="a@b.example")


def test_edit_records_the_changes(cast):
    referral = accepted(actor=cast.partner_a_user, referral=inbound(actor=cast.channel_manager,
                                                                     partner=cast.partner_a))
    services.referral_update(actor=cast.partner_a_user, referral=referral, name="Bigger ERP", campaign_id="C-9")
    referral.refresh_from_db()
    assert referral.name == "Bigger ERP" and referral.campaign_id == "C-9"
    event = ActivityEvent.objects.get(object_id=referral.pk, verb=ReferralEvent.EDITED)
    assert event.data["changes"]["name"] == ["ERP migration", "Bigger ERP"]


def test_location_cannot_change_after_creation_even_bypassing_services(cast):
    referral = inbound(actor=cast.channel_manager, partner=cast.partner_a)
    other = PartnerLocationFactory(partner_account=cast.partner_a, name="Ostrava")
    with pytest.raises(DatabaseError, match="cannot be changed"), transaction.atomic():
        Referral.objects.filter(pk=referral.pk).update(location=other)
    referral.refresh_from_db()
    assert referral.location.name == "Prague HQ"


def test_location_of_another_partner_is_refused(cast):
    with pytest.raises(InvalidTransition, match="another partner"):
        inbound(actor=cast.channel_manager, partner=cast.partner_a, location=location_for(cast.partner_b))


def test_stages_are_marked_in_order_with_their_percentages(cast):
    deal = outbound(actor=cast.partner_a_user)
    assert deal.status == Referral.Status.ACCEPTED and deal.probability == 10
    with pytest.raises(InvalidTransition, match="Securing customer LOE"):
        services.referral_stage_mark(actor=cast.partner_a_user, referral=deal, stage="data_collection")
    deal = services.referral_stage_mark(actor=cast.partner_a_user, referral=deal, stage="Securing customer LOE")
    assert deal.probability == 20
    deal = services.referral_stage_mark(actor=cast.partner_a_user, referral=deal, stage="data_collection")
    assert deal.probability == 40


def test_solution_assessment_cannot_be_won_before_every_stage_is_marked(cast):
    deal = outbound(actor=cast.partner_a_user)
    for stage in WORK[:-1]:
        services.referral_stage_mark(actor=cast.partner_a_user, referral=deal, stage=stage)
    with pytest.raises(InvalidTransition, match="every sales stage"):
        services.referral_win(actor=cast.partner_a_user, referral=deal)
    services.referral_stage_mark(actor=cast.partner_a_user, referral=deal, stage=WORK[-1])
    deal = services.referral_win(actor=cast.partner_a_user, referral=deal)
    assert deal.status == Referral.Status.WON and deal.probability == 100


def test_other_deals_can_be_won_without_stages(cast, django_capture_on_commit_callbacks):
    referral = accepted(actor=cast.partner_a_user, referral=inbound(actor=cast.channel_manager,
                                                                     partner=cast.partner_a))
    _forget_setup_emails()
    with django_capture_on_commit_callbacks(execute=True):
        services.referral_win(actor=cast.partner_a_user, referral=referral)
    assert [m.to for m in mail.outbox] == [[cast.channel_manager.email]]
    assert "won" in mail.outbox[0].subject.lower()


def test_lost_needs_a_reason_and_tells_the_sender(cast, django_capture_on_commit_callbacks):
    referral = accepted(actor=cast.partner_a_user, referral=inbound(actor=cast.channel_manager,
                                                                     partner=cast.partner_a))
    with pytest.raises(InvalidTransition):
        services.referral_lose(actor=cast.partner_a_user, referral=referral, reason="")
    _forget_setup_emails()
    with django_capture_on_commit_callbacks(execute=True):
        services.referral_lose(actor=cast.partner_a_user, referral=referral, reason="Price")
    referral.refresh_from_db()
    assert referral.status == Referral.Status.LOST and referral.lost_reason == "Price"
    assert "Price" in mail.outbox[0].body


def test_solution_assessment_takes_exactly_one_assessment(cast):
    with pytest.raises(InvalidTransition, match="exactly one"):
        outbound(actor=cast.partner_a_user, solutions=[
            {"kind": Solution.Kind.SOLUTION_ASSESSMENT, "assessment_type": "security"},
            {"kind": Solution.Kind.PRODUCT, "name": "Backup"},
        ])
    with pytest.raises(InvalidTransition, match="assessment type"):
        outbound(actor=cast.partner_a_user, solutions=[{"kind": Solution.Kind.SOLUTION_ASSESSMENT}])
    assert not Referral.objects.exists()


def test_outbound_needs_a_complete_team_member_and_consent(cast):
    with pytest.raises(InvalidTransition, match="team member"):
        outbound(actor=cast.partner_a_user, team_members=[{"name": "Ann", "phone": "", "email": "a@a.example"}])
    with pytest.raises(InvalidTransition, match="consent"):
        outbound(actor=cast.partner_a_user, consent=False)


def test_outbound_deal_is_accepted_with_its_solution(cast):
    deal = outbound(actor=cast.partner_a_user)
    assert deal.direction == Referral.Direction.OUTBOUND
    assert deal.deal_type == Referral.DealType.SOLUTION_ASSESSMENT
    assert [s.assessment_type for s in deal.solutions.all()] == ["security"]
    assert set(deal.stage_marks.values_list("stage", flat=True)) == {"created", "accepted"}


def test_favorite_toggles_per_user(cast):
    referral = inbound(actor=cast.channel_manager, partner=cast.partner_a)
    assert services.referral_favorite_toggle(user=cast.partner_a_user, referral=referral) is True
    assert services.referral_favorite_toggle(user=cast.partner_a_admin, referral=referral) is True
    assert services.referral_favorite_toggle(user=cast.partner_a_user, referral=referral) is False
    assert list(referral.favorites.values_list("user", flat=True)) == [cast.partner_a_admin.pk]


def _won_assessment(cast):
    deal = outbound(actor=cast.partner_a_user)
    for stage in WORK:
        services.referral_stage_mark(actor=cast.partner_a_user, referral=deal, stage=stage)
    return services.referral_win(actor=cast.partner_a_user, referral=deal)


def test_registration_is_only_for_won_eligible_deals(cast):
    deal = outbound(actor=cast.partner_a_user)
    with pytest.raises(InvalidTransition, match="won"):
        services.deal_registration_submit(actor=cast.partner_a_user, referral=deal, contract_value=1,
                                          contract_signed_on=date.today(), details="x")


def test_registration_review_more_info_then_approve(cast, django_capture_on_commit_callbacks):
    deal = _won_assessment(cast)
    reg = services.deal_registration_submit(actor=cast.partner_a_user, referral=deal, contract_value="12000",
                                            contract_signed_on=date.today(), details="Signed")
    with pytest.raises(InvalidTransition):
        services.deal_registration_review(actor=cast.other_channel_manager, registration=reg, decision="approve")
    with pytest.raises(InvalidTransition, match="comment"):
        services.deal_registration_review(actor=cast.channel_manager, registration=reg, decision="more_info")
    _forget_setup_emails()
    with django_capture_on_commit_callbacks(execute=True):
        services.deal_registration_review(actor=cast.channel_manager, registration=reg, decision="more_info",
                                          comment="Attach the PO")
    assert mail.outbox[0].to == [cast.partner_a_user.email]
    with pytest.raises(InvalidTransition):
        services.deal_registration_review(actor=cast.channel_manager, registration=reg, decision="approve")
    services.deal_registration_submit(actor=cast.partner_a_user, referral=deal, contract_value="12000",
                                      contract_signed_on=date.today(), details="Signed", customer_po="PO-1")
    reg = services.deal_registration_review(actor=cast.vendor_admin, registration=reg, decision="approve")
    assert reg.status == DealRegistration.Status.APPROVED
    with pytest.raises(InvalidTransition):
        services.deal_registration_submit(actor=cast.partner_a_user, referral=deal, contract_value="1",
                                          contract_signed_on=date.today(), details="again")


def test_location_scoped_users_of_the_location_join_the_team(cast, brno, brno_user):
    referral = inbound(actor=cast.channel_manager, partner=cast.partner_a, location=brno)
    assert list(referral.team_members.values_list("user", flat=True)) == [brno_user.pk]


def test_expiry_reminder_goes_once(cast, django_capture_on_commit_callbacks):
    inbound(actor=cast.channel_manager, partner=cast.partner_a,
            received_at=days_ago(13))
    _forget_setup_emails()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.referral_remind_expiring() == 1
        assert services.referral_remind_expiring() == 0
    assert len(mail.outbox) == 1 and "expires" in mail.outbox[0].subject
