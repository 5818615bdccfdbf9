"""Deal registration before the deal (H3): who sees what, the review, the opportunity it becomes, the
protection's lapse (an idempotent beat task) and its extension."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from prm_portal.core.errors import InvalidTransition, NotPermitted
from prm_portal.core.models import ActivityEvent
from prm_portal.core.outbox import outbox_relay
from registrations.models import Registration
from registrations.selectors import registration_list_visible_to
from registrations.services import (
    registration_extend,
    registration_lapse_overdue,
    registration_remind_lapsing,
    registration_request_renewal,
    registration_resubmit,
    registration_review,
)
from registrations.tasks import registration_lapse_overdue_task
from tests.factories import PartnerUserFactory

from .factories import registration

pytestmark = pytest.mark.django_db


def test_partner_admins_see_their_companys_registrations_and_users_their_own(cast):
    mine = registration(actor=cast.partner_a_user)
    colleague = PartnerUserFactory(partner_account=cast.partner_a, email="other@alpha.example")
    theirs = registration(actor=colleague, customer_name="Another customer", customer_duns="", customer_domain="",
                          contact_email="")
    assert set(registration_list_visible_to(user=cast.partner_a_admin)) == {mine, theirs}
    assert set(registration_list_visible_to(user=cast.partner_a_user)) == {mine}
    assert set(registration_list_visible_to(user=cast.partner_b_user)) == set()
    assert set(registration_list_visible_to(user=cast.channel_manager)) == {mine, theirs}
    assert set(registration_list_visible_to(user=cast.other_channel_manager)) == set()


def test_another_partners_registration_answers_404(cast, client):
    mine = registration(actor=cast.partner_a_user)
    client.force_login(cast.partner_b_user)
    assert client.get(reverse("registrations:detail", args=[mine.pk])).status_code == 404


def test_approval_protects_for_ninety_days_and_becomes_the_partners_opportunity(cast, mailoutbox,
                                                                                 django_capture_on_commit_callbacks):
    submitted = registration(actor=cast.partner_a_user)
    with django_capture_on_commit_callbacks(execute=True):
        approved = registration_review(actor=cast.channel_manager, registration=submitted, decision="approve")
    outbox_relay()
    assert approved.status == Registration.Status.APPROVED
    assert approved.protected_until == timezone.localdate() + timedelta(days=90)
    opportunity = approved.opportunity
    assert opportunity.partner_account == cast.partner_a and opportunity.owner == cast.partner_a_user
    assert opportunity.amount == approved.estimated_value
    told = [m for m in mail.outbox if cast.partner_a_user.email in m.to]
    assert any("approved" in m.subject for m in told)


def test_reject_needs_a_reason_and_the_partner_reads_it(cast, client):
    submitted = registration(actor=cast.partner_a_user)
    with pytest.raises(InvalidTransition):
        registration_review(actor=cast.channel_manager, registration=submitted, decision="reject")
    registration_review(actor=cast.channel_manager, registration=submitted, decision="reject",
                        comment="The customer buys directly from us.")
    client.force_login(cast.partner_a_user)
    html = client.get(reverse("registrations:detail", args=[submitted.pk])).content.decode()
    assert "Rejected" in html and "The customer buys directly from us." in html


def test_more_information_then_the_partner_answers(cast):
    submitted = registration(actor=cast.partner_a_user)
    asked = registration_review(actor=cast.channel_manager, registration=submitted, decision="more_info",
                                comment="Which products exactly?")
    again = registration_resubmit(actor=cast.partner_a_user, registration=asked, expected_version=asked.version,
                                  products="Managed backup for 200 seats")
    assert again.status == Registration.Status.SUBMITTED and again.products == "Managed backup for 200 seats"


def test_only_the_owning_or_granted_manager_reviews(cast):
    submitted = registration(actor=cast.partner_a_user)
    with pytest.raises(NotPermitted):
        registration_review(actor=cast.other_channel_manager, registration=submitted, decision="approve")
    with pytest.raises(NotPermitted):
        registration_review(actor=cast.partner_a_admin, registration=submitted, decision="approve")
    assert registration_review(actor=cast.granted_channel_manager, registration=submitted,
                               decision="approve").status == Registration.Status.APPROVED


def _approved(cast, days_left):
    approved = registration_review(actor=cast.channel_manager, registration=registration(actor=cast.partner_a_user),
                                   decision="approve")
    Registration.objects.filter(pk=approved.pk).update(protected_until=timezone.localdate() + timedelta(days_left))
    approved.refresh_from_db()
    return approved


def test_the_lapse_task_is_idempotent(cast, mailoutbox):
    overdue = _approved(cast, -1)
    assert registration_lapse_overdue() == 1
    assert registration_lapse_overdue() == 0
    registration_lapse_overdue_task()
    overdue.refresh_from_db()
    assert overdue.status == Registration.Status.LAPSED
    assert ActivityEvent.objects.filter(object_id=overdue.pk, verb="registration.lapsed").count() == 1
    outbox_relay()
    lapsed_mails = [m for m in mail.outbox if "lapsed" in m.subject.lower()]
    assert len(lapsed_mails) == 1


def test_a_protection_ending_today_has_not_lapsed(cast):
    today = _approved(cast, 0)
    assert registration_lapse_overdue() == 0
    today.refresh_from_db()
    assert today.status == Registration.Status.APPROVED


def test_the_reminder_goes_once_per_end_date_and_again_after_an_extension(cast, mailoutbox):
    soon = _approved(cast, 3)
    assert registration_remind_lapsing() == 1
    assert registration_remind_lapsing() == 0
    registration_request_renewal(actor=cast.partner_a_user, registration=soon)
    extended = registration_extend(actor=cast.channel_manager, registration=soon, days=2)
    assert extended.protected_until == timezone.localdate() + timedelta(days=5)
    assert extended.renewal_requested_at is None
    assert registration_remind_lapsing() == 1


def test_a_lapsed_registration_cannot_be_extended(cast):
    overdue = _approved(cast, -1)
    registration_lapse_overdue()
    with pytest.raises(InvalidTransition):
        registration_extend(actor=cast.channel_manager, registration=overdue, days=30)


def test_bad_input_is_refused_with_a_clear_message_and_nothing_saved(cast, client):
    client.force_login(cast.partner_a_user)
    response = client.post(reverse("registrations:new"), {
        "customer_name": "Contoso", "customer_country": "C1", "contact_name": "Jana", "products": "Backup",
        "estimated_value": "100", "currency": "EUR", "estimated_close_date": "2030-01-01", "justification": "x"})
    assert response.status_code == 400
    assert "two-letter code" in response.content.decode()
    assert not Registration.objects.exists()


def test_vendor_staff_cannot_register_a_deal(cast, client):
    client.force_login(cast.channel_manager)
    assert client.get(reverse("registrations:new")).status_code == 404
