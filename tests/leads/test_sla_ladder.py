"""The service-level ladder (issue 13), with time passed in as `now=` (no clock mocking): each step at its moment,
recall with its cool-down, an edit that stops the ladder, idempotency, and two workers at once on PostgreSQL."""

import datetime
import threading

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from leads.events import LeadEvent
from leads.models import (
    AssignmentRule,
    BusinessCalendar,
    ClaimLimitSettings,
    Lead,
    LeadClaimBlock,
    LeadClock,
    QueueServiceLevel,
    UserClaimQuota,
)
from leads.services import lead_claim, lead_create, lead_resource_add, lead_update, sla_ladder_run
from leads.services.sla import sla_clock_start
from prm_portal.core.errors import InvalidTransition
from prm_portal.core.events import event_sentence
from prm_portal.core.models import ActivityEvent, OutboxMessage
from tests.factories import LeadFactory, PartnerUserFactory, QueueFactory

SECOND = datetime.timedelta(seconds=1)


def _level(queue, manager=None, **overrides):
    calendar, _ = BusinessCalendar.objects.get_or_create(
        name="Prague office", defaults={"time_zone": "Europe/Prague", "working_days": "12345",
                                        "day_starts": datetime.time(9), "day_ends": datetime.time(17)})
    values = {"accept_within_hours": 8, "first_touch_within_hours": 4, "progress_within_days": 2,
              "remind_at_percent": 50, "grace_hours": 4, "cooldown_hours": 72, "manager": manager, **overrides}
    return QueueServiceLevel.objects.create(queue=queue, calendar=calendar, **values)


@pytest.fixture
def sla_queue(queue, channel_manager):
    _level(queue, manager=channel_manager)
    return queue


def _events(lead, event):
    return ActivityEvent.objects.filter(object_id=lead.pk, verb=event.value)


def _emails(template):
    return OutboxMessage.objects.filter(payload__template_key=template)


def _claimed(sla_queue, rep):
    lead = LeadFactory(company="Kovo Hradec", queue=sla_queue)
    lead_claim(actor=rep, lead_id=lead.pk)
    return Lead.objects.get(pk=lead.pk), LeadClock.objects.get(lead=lead)


@pytest.mark.django_db
def test_accepting_a_lead_starts_its_first_touch_clock_in_business_time(sla_queue, partner_a_user):
    lead, clock = _claimed(sla_queue, partner_a_user)
    assert clock.kind == LeadClock.Kind.FIRST_TOUCH and clock.step == LeadClock.Step.RUNNING
    assert clock.started_at < clock.remind_at < clock.due_at < clock.recall_at
    assert clock.next_at == clock.remind_at


@pytest.mark.django_db
def test_nothing_happens_before_the_reminder_time(sla_queue, partner_a_user):
    lead, clock = _claimed(sla_queue, partner_a_user)
    assert sla_ladder_run(now=clock.remind_at - SECOND)["reminded"] == 0
    assert not _events(lead, LeadEvent.SLA_REMINDED).exists()


@pytest.mark.django_db
def test_at_the_reminder_time_the_owner_is_reminded_once(sla_queue, partner_a_user):
    lead, clock = _claimed(sla_queue, partner_a_user)
    assert sla_ladder_run(now=clock.remind_at) == {"reminded": 1, "escalated": 0, "recalled": 0, "rerouted": 0,
                                                    "emails": 1}
    assert sla_ladder_run(now=clock.remind_at + SECOND)["reminded"] == 0  # each step once
    reminder = _emails("lead_sla_reminder").get()
    assert reminder.payload["to"] == partner_a_user.email and reminder.payload["kind"] == "lead_sla_reminder"
    assert _events(lead, LeadEvent.SLA_REMINDED).count() == 1
    assert LeadClock.objects.get(lead=lead).step == LeadClock.Step.REMINDED
    assert Lead.objects.get(pk=lead.pk).owner == partner_a_user


@pytest.mark.django_db
def test_at_the_limit_the_partners_channel_manager_gets_the_escalation(sla_queue, partner_a_user, channel_manager):
    lead, clock = _claimed(sla_queue, partner_a_user)
    sla_ladder_run(now=clock.remind_at)
    assert sla_ladder_run(now=clock.due_at - SECOND)["escalated"] == 0
    assert sla_ladder_run(now=clock.due_at)["escalated"] == 1
    assert _emails("lead_sla_escalation").get().payload["to"] == channel_manager.email
    event = _events(lead, LeadEvent.SLA_ESCALATED).get()
    assert event_sentence(event, viewer=channel_manager) == (
        "Service level first touch within 4 business hours missed: escalated to Carl Manager")
    assert Lead.objects.get(pk=lead.pk).owner == partner_a_user  # not recalled yet: the grace period runs


@pytest.mark.django_db
def test_after_the_grace_period_the_lead_is_recalled_to_its_queue_and_its_slot_freed(
        sla_queue, partner_a_user, channel_manager):
    lead, clock = _claimed(sla_queue, partner_a_user)
    version = lead.version
    assert UserClaimQuota.objects.get(user=partner_a_user).open_count == 1
    sla_ladder_run(now=clock.remind_at)
    sla_ladder_run(now=clock.due_at)
    assert sla_ladder_run(now=clock.recall_at - SECOND)["recalled"] == 0
    counts = sla_ladder_run(now=clock.recall_at)
    assert counts["recalled"] == 1
    lead.refresh_from_db()
    assert lead.owner is None and lead.queue == sla_queue and lead.partner_account is None
    assert not lead.holds_claim and lead.version == version + 1
    assert UserClaimQuota.objects.get(user=partner_a_user).open_count == 0
    event = _events(lead, LeadEvent.SLA_RECALLED).get()
    assert event_sentence(event, viewer=channel_manager) == (
        "Recalled to EMEA Inbound: not worked on within 4 business hours of being accepted")
    told = _emails("lead_recalled").get()
    assert told.payload["to"] == partner_a_user.email and told.payload["context"]["leads"][0]["sla"] == "first_touch"
    # Waiting in the queue again: its accept clock runs from the recall.
    restarted = LeadClock.objects.get(lead=lead)
    assert restarted.kind == LeadClock.Kind.ACCEPT and restarted.step == 0 and restarted.started_at == clock.recall_at


@pytest.mark.django_db
def test_a_recalled_lead_cannot_be_accepted_again_by_its_former_owner_during_the_cool_down(
        sla_queue, partner_a_user, partner_a):
    lead, clock = _claimed(sla_queue, partner_a_user)
    sla_ladder_run(now=clock.recall_at)
    block = LeadClaimBlock.objects.get(lead=lead, user=partner_a_user)
    assert block.until == clock.recall_at + datetime.timedelta(hours=72)
    with pytest.raises(InvalidTransition) as refused:
        lead_claim(actor=partner_a_user, lead_id=lead.pk)
    assert refused.value.code == "cooling_down" and "taken back from you" in str(refused.value)
    colleague = PartnerUserFactory(partner_account=partner_a)
    assert lead_claim(actor=colleague, lead_id=lead.pk).owner == colleague  # anyone else may take it


@pytest.mark.django_db
def test_after_the_cool_down_the_former_owner_may_accept_the_lead_again(sla_queue, partner_a_user):
    lead, clock = _claimed(sla_queue, partner_a_user)
    sla_ladder_run(now=clock.recall_at)
    LeadClaimBlock.objects.filter(lead=lead).update(until=timezone.now() - SECOND)  # the cool-down has passed
    assert lead_claim(actor=partner_a_user, lead_id=lead.pk).owner == partner_a_user


@pytest.mark.django_db
def test_an_edit_before_the_deadline_stops_the_ladder(sla_queue, partner_a_user):
    lead, clock = _claimed(sla_queue, partner_a_user)
    sla_ladder_run(now=clock.remind_at)
    lead_update(actor=partner_a_user, lead=lead, status=Lead.Status.WORKING)
    progress = LeadClock.objects.get(lead=lead)
    assert progress.kind == LeadClock.Kind.PROGRESS and progress.step == 0 and progress.generation == 2
    counts = sla_ladder_run(now=clock.recall_at)  # the old deadline and recall time pass: nothing happens
    assert counts["escalated"] == counts["recalled"] == 0
    assert Lead.objects.get(pk=lead.pk).owner == partner_a_user


@pytest.mark.django_db
def test_a_note_counts_as_a_touch(sla_queue, partner_a_user, channel_manager):
    lead, clock = _claimed(sla_queue, partner_a_user)
    lead_resource_add(actor=channel_manager, lead=lead, kind="note", title="Call", body="Called the customer.")
    assert LeadClock.objects.get(lead=lead).kind == LeadClock.Kind.PROGRESS


@pytest.mark.django_db
def test_progress_is_measured_in_business_days_and_recall_says_so(sla_queue, partner_a_user, channel_manager):
    lead, _clock = _claimed(sla_queue, partner_a_user)
    friday = datetime.datetime(2026, 3, 6, 14, tzinfo=datetime.UTC)  # Friday 15:00 in Prague
    clock_times = sla_clock_start(lead=lead, kind=LeadClock.Kind.PROGRESS, now=friday)
    # Two business days (16 h): 2 on Friday, Monday's 8, 6 on Tuesday → Tuesday 15:00 Prague; the weekend is skipped.
    assert clock_times["due_at"] == datetime.datetime(2026, 3, 10, 14, tzinfo=datetime.UTC)
    sunday = datetime.datetime(2026, 3, 8, 12, tzinfo=datetime.UTC)
    assert sla_ladder_run(now=sunday)["escalated"] == 0
    sla_ladder_run(now=clock_times["recall_at"])
    event = _events(lead, LeadEvent.SLA_RECALLED).get()
    assert event_sentence(event, viewer=channel_manager) == "Recalled to EMEA Inbound: no activity for 2 business days"


@pytest.mark.django_db
def test_running_the_ladder_twice_does_each_step_and_sends_each_email_once(sla_queue, partner_a, partner_a_user):
    reps = [partner_a_user] + [PartnerUserFactory(partner_account=partner_a) for _ in range(2)]
    clocks = [_claimed(sla_queue, rep)[1] for rep in reps]
    latest = max(c.recall_at for c in clocks)
    first = sla_ladder_run(now=latest)
    again = sla_ladder_run(now=latest)
    assert first["recalled"] == 3 and first["emails"] == 3  # one per former owner (jumping straight to recall)
    assert again == {"reminded": 0, "escalated": 0, "recalled": 0, "rerouted": 0, "emails": 0}
    assert ActivityEvent.objects.filter(verb=LeadEvent.SLA_RECALLED.value).count() == 3
    assert _emails("lead_recalled").count() == 3


@pytest.mark.django_db
def test_a_lead_nobody_accepts_in_time_is_rerouted_by_the_assignment_rules(
        queue, partner_a_user, channel_manager, vendor_admin):
    from tests.factories import QueueFactory

    _level(queue, manager=vendor_admin)
    apac = QueueFactory(name="APAC Inbound", accounts=[partner_a_user.partner_account])
    AssignmentRule.objects.create(name="CZ first", order=1, countries="CZ", target="queue", target_queue=queue)
    AssignmentRule.objects.create(name="Then APAC", order=2, target="queue", target_queue=apac)
    lead = lead_create(company="Nobody Wants Me", last_name="Novak", country="CZ")
    assert lead.queue == queue
    clock = LeadClock.objects.get(lead=lead)
    assert clock.kind == LeadClock.Kind.ACCEPT
    counts = sla_ladder_run(now=clock.remind_at)
    assert counts["reminded"] == 1 and _emails("lead_sla_reminder").filter(payload__to=partner_a_user.email).exists()
    sla_ladder_run(now=clock.due_at)
    assert _emails("lead_sla_escalation").get().payload["to"] == vendor_admin.email  # the queue's manager
    assert sla_ladder_run(now=clock.recall_at)["rerouted"] == 1
    lead.refresh_from_db()
    assert lead.queue == apac
    event = _events(lead, LeadEvent.SLA_REROUTED).get()
    assert event_sentence(event, viewer=channel_manager) == (
        "Re-routed from EMEA Inbound to APAC Inbound: not accepted within 8 business hours")
    assert not LeadClock.objects.filter(lead=lead).exists()  # APAC Inbound has no service levels


@pytest.mark.django_db
def test_breaches_page_shows_a_channel_manager_the_recalls_of_their_partners_only(
        sla_queue, partner_a_user, channel_manager, other_channel_manager, login_as, client):
    lead, clock = _claimed(sla_queue, partner_a_user)
    sla_ladder_run(now=clock.recall_at)
    html = login_as(channel_manager).get(reverse("leads:breaches")).content.decode()
    assert "Kovo Hradec" in html and "Recalled to EMEA Inbound" in html
    client.force_login(other_channel_manager)
    assert "Kovo Hradec" not in client.get(reverse("leads:breaches")).content.decode()
    client.force_login(partner_a_user)
    assert client.get(reverse("leads:breaches")).status_code == 404


@pytest.mark.django_db
def test_leads_tab_clock_turns_amber_after_the_reminder_and_red_past_the_deadline(sla_queue, partner_a_user,
                                                                                 login_as):
    lead, clock = _claimed(sla_queue, partner_a_user)
    client = login_as(partner_a_user)
    now = timezone.now()
    LeadClock.objects.filter(lead=lead).update(remind_at=now + datetime.timedelta(days=1),
                                               due_at=now + datetime.timedelta(days=3))
    assert "sla-clock sla-ok" in client.get(reverse("leads:list")).content.decode()
    LeadClock.objects.filter(lead=lead).update(remind_at=now - SECOND)
    assert "sla-clock sla-amber" in client.get(reverse("leads:list")).content.decode()
    LeadClock.objects.filter(lead=lead).update(due_at=now - SECOND)
    html = client.get(reverse("leads:list")).content.decode()
    assert "sla-clock sla-red" in html and "overdue" in html


@pytest.mark.django_db
def test_a_queue_without_service_levels_has_no_clock(queue, partner_a_user):
    lead = LeadFactory(queue=queue)
    lead_claim(actor=partner_a_user, lead_id=lead.pk)
    assert not LeadClock.objects.exists()


# --- two workers at once, real threads against PostgreSQL -------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_recall_each_lead_once_and_send_each_email_once(partner_a, partner_b, channel_manager):
    ClaimLimitSettings.objects.update_or_create(id=1, defaults={"max_open_per_user": 50, "max_open_per_partner": 500})
    queue = QueueFactory(name="EMEA Inbound", accounts=[partner_a, partner_b])
    _level(queue, manager=channel_manager)
    reps = [PartnerUserFactory(partner_account=partner_a if i % 2 else partner_b) for i in range(6)]
    for index in range(60):
        lead = LeadFactory(queue=queue)
        lead_claim(actor=reps[index % 6], lead_id=lead.pk)
    later = max(LeadClock.objects.values_list("recall_at", flat=True))
    barrier = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            barrier.wait()
            results.append(sla_ladder_run(now=later, batch_size=7))
        except Exception as exc:  # noqa: BLE001 - asserted on
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert sum(r["recalled"] for r in results) == 60
    assert ActivityEvent.objects.filter(verb=LeadEvent.SLA_RECALLED.value).count() == 60
    assert ActivityEvent.objects.filter(verb=LeadEvent.SLA_RECALLED.value).values("object_id").distinct().count() == 60
    assert Lead.objects.filter(owner__isnull=True, queue=queue).count() == 60
    assert set(UserClaimQuota.objects.values_list("open_count", flat=True)) == {0}
    listed = [item["company"] + str(item["url"]) for message in _emails("lead_recalled")
              for item in message.payload["context"]["leads"]]
    assert len(listed) == len(set(listed)) == 60  # every recalled lead in exactly one email


@pytest.mark.django_db
def test_the_lead_page_shows_its_clock_rule_and_deadline_to_the_owner_and_the_manager(
        sla_queue, partner_a_user, channel_manager, login_as):
    lead, clock = _claimed(sla_queue, partner_a_user)
    now = timezone.now()
    LeadClock.objects.filter(lead=lead).update(remind_at=now - SECOND, due_at=now + datetime.timedelta(days=3))
    for viewer in (partner_a_user, channel_manager):
        html = login_as(viewer).get(reverse("leads:detail", args=[lead.pk])).content.decode()
        assert 'class="sla-clock sla-amber"' in html and "first touch within 4 business hours" in html
        assert "due " in html and "left" in html
    lead_update(actor=partner_a_user, lead=lead, status=Lead.Status.UNQUALIFIED)  # closed: the clock stops
    html = login_as(partner_a_user).get(reverse("leads:detail", args=[lead.pk])).content.decode()
    assert "sla-clock" not in html


@pytest.mark.django_db
def test_the_lead_pages_clock_speaks_the_readers_language(sla_queue, partner_a_user, login_as):
    lead, _clock = _claimed(sla_queue, partner_a_user)
    partner_a_user.language = "cs"
    partner_a_user.save(update_fields=["language"])
    html = login_as(partner_a_user).get(reverse("leads:detail", args=[lead.pk])).content.decode()
    assert "Zbývající čas" in html and "termín " in html and "first touch" not in html
