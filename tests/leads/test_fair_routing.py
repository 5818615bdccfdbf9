"""Fair routing (issue 13): round-robin and rules pass over who cannot work a lead (inactive, disabled, away, at the
claim limit) and fall back to the rule's queue; rules read geography and the partner's business profile; and the
rotation stays fair when 1,000 leads arrive at once (real threads against PostgreSQL)."""

import datetime
import threading
from collections import Counter
from queue import SimpleQueue

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import BusinessProfile
from leads.models import (
    AssignmentRule,
    ClaimLimitSettings,
    Lead,
    RoundRobinGroup,
    RoundRobinMember,
    UserClaimQuota,
)
from leads.services import lead_create
from tests.factories import PartnerAccountFactory, PartnerLocationFactory, PartnerUserFactory, QueueFactory

TODAY = timezone.localdate()


def _group(users, name="Reps"):
    group = RoundRobinGroup.objects.create(name=name)
    for position, user in enumerate(users):
        RoundRobinMember.objects.create(group=group, position=position, user=user)
    return group


def _rule(**fields):
    return AssignmentRule.objects.create(name=fields.pop("name", "Rule"), order=fields.pop("order", 1), **fields)


def _new_lead(**fields):
    return lead_create(company=fields.pop("company", "Acme"), last_name="Novak", country=fields.pop("country", "CZ"),
                       **fields)


@pytest.mark.django_db
def test_round_robin_passes_over_people_who_are_away_inactive_disabled_or_at_their_limit(partner_a, channel_manager):
    ClaimLimitSettings.objects.update_or_create(id=1, defaults={"max_open_per_user": 2, "max_open_per_partner": 50})
    able = PartnerUserFactory(partner_account=partner_a, email="able@alpha.example")
    away = PartnerUserFactory(partner_account=partner_a, away_from=TODAY - datetime.timedelta(days=1),
                              away_until=TODAY + datetime.timedelta(days=3))
    inactive = PartnerUserFactory(partner_account=partner_a, is_active=False)
    disabled = PartnerUserFactory(partner_account=PartnerAccountFactory(owner=channel_manager, is_partner=False))
    full = PartnerUserFactory(partner_account=partner_a)
    UserClaimQuota.objects.create(user=full, open_count=2, ceiling=2)
    _rule(target="round_robin", target_group=_group([away, inactive, disabled, full, able]))
    owners = {_new_lead().owner for _ in range(3)}
    assert owners == {able}


@pytest.mark.django_db
def test_someone_back_from_leave_takes_leads_again(partner_a):
    back = PartnerUserFactory(partner_account=partner_a, away_from=TODAY - datetime.timedelta(days=9),
                              away_until=TODAY - datetime.timedelta(days=1))
    other = PartnerUserFactory(partner_account=partner_a)
    _rule(target="round_robin", target_group=_group([back, other]))
    assert [_new_lead().owner for _ in range(2)] == [back, other]


@pytest.mark.django_db
def test_when_nobody_in_the_group_can_take_the_lead_it_falls_to_the_rules_fallback_queue(partner_a):
    away = PartnerUserFactory(partner_account=partner_a, away_from=TODAY)
    fallback = QueueFactory(name="Overflow")
    _rule(target="round_robin", target_group=_group([away]), fallback_queue=fallback)
    lead = _new_lead()
    assert lead.owner is None and lead.queue == fallback


@pytest.mark.django_db
def test_a_rule_naming_an_away_user_falls_back_and_without_a_fallback_the_next_rule_decides(partner_a):
    away = PartnerUserFactory(partner_account=partner_a, away_until=TODAY)
    overflow, default = QueueFactory(name="Overflow"), QueueFactory(name="Default", is_default=True)
    rule = _rule(target="partner_user", target_user=away, fallback_queue=overflow)
    assert _new_lead().queue == overflow
    rule.fallback_queue = None
    rule.save()
    assert _new_lead().queue == default


@pytest.mark.django_db
def test_a_rule_can_name_world_regions():
    europe, rest = QueueFactory(name="Eastern Europe desk"), QueueFactory(name="Rest", is_default=True)
    _rule(regions="Eastern Europe", target="queue", target_queue=europe)
    assert _new_lead(country="PL").queue == europe
    assert _new_lead(country="ES").queue == rest
    emea = QueueFactory(name="EMEA")
    AssignmentRule.objects.all().delete()
    _rule(regions="EMEA", target="queue", target_queue=emea)
    assert _new_lead(country="ZA").queue == emea and _new_lead(country="US").queue == rest


@pytest.mark.django_db
def test_the_nearest_partner_whose_profile_matches_gets_the_lead(channel_manager):
    def partner(name, country, industries, sizes=()):
        account = PartnerAccountFactory(name=name, owner=channel_manager, country="")
        PartnerLocationFactory(partner_account=account, country=country)
        BusinessProfile.objects.create(partner_account=account, industries=list(industries),
                                       company_sizes=list(sizes))
        PartnerUserFactory(partner_account=account)
        return account

    german = partner("Berlin Systems", "DE", ["Manufacturing"])
    slovak = partner("Bratislava IT", "SK", ["Manufacturing"])
    czech_retail = partner("Praha Retail", "CZ", ["Retail"])
    rule = _rule(target="nearest_partner", partner_match_industry=True)
    assert _new_lead(country="CZ", industry="Manufacturing").partner_account == slovak  # same sub-region
    assert _new_lead(country="DE", industry="manufacturing").partner_account == german  # same country
    assert _new_lead(country="CZ", industry="Retail").partner_account == czech_retail
    rule.partner_reach = AssignmentRule.PartnerReach.COUNTRY
    rule.fallback_queue = QueueFactory(name="No partner near")
    rule.save()
    assert _new_lead(country="AT", industry="Manufacturing").queue == rule.fallback_queue


@pytest.mark.django_db
def test_nearest_partner_can_ask_for_the_company_size_and_passes_over_partners_nobody_can_work_for(channel_manager):
    def partner(name, sizes, staffed=True):
        account = PartnerAccountFactory(name=name, owner=channel_manager, country="CZ")
        BusinessProfile.objects.create(partner_account=account, industries=["Retail"], company_sizes=sizes)
        PartnerUserFactory(partner_account=account, away_from=None if staffed else TODAY)
        return account

    partner("Small shops only", ["1-9"])
    unstaffed = partner("All away", ["250-999"], staffed=False)
    big = partner("Big retail", ["250-999"])
    _rule(target="nearest_partner", partner_match_company_size=True)
    lead = _new_lead(industry="Retail", company_size="250-999")
    assert lead.partner_account == big and lead.partner_account != unstaffed


@pytest.mark.django_db
def test_a_partner_sets_their_away_dates_on_the_profile_and_a_backwards_range_is_refused(partner_a_user, login_as):
    client = login_as(partner_a_user)
    response = client.post(reverse("accounts:availability"),
                           {"away_from": "2026-08-10", "away_until": "2026-08-01"})
    assert response.status_code == 400
    assert "The last day away cannot be before the first." in response.content.decode()
    partner_a_user.refresh_from_db()
    assert partner_a_user.away_from is None
    response = client.post(reverse("accounts:availability"), {"away_from": "2026-08-01", "away_until": "2026-08-10"})
    assert response.status_code == 302
    partner_a_user.refresh_from_db()
    assert partner_a_user.is_away_on(datetime.date(2026, 8, 5)) and not partner_a_user.is_away_on(
        datetime.date(2026, 8, 11))


@pytest.mark.django_db(transaction=True)
def test_a_thousand_leads_arriving_at_once_split_within_one_across_seven_reps(partner_a, partner_b):
    ClaimLimitSettings.objects.update_or_create(id=1, defaults={"max_open_per_user": 5, "max_open_per_partner": 25})
    reps = [PartnerUserFactory(partner_account=partner_a if i % 2 else partner_b) for i in range(7)]
    away = PartnerUserFactory(partner_account=partner_a, away_from=timezone.localdate())
    _rule(target="round_robin", target_group=_group(reps[:3] + [away] + reps[3:]))
    work = SimpleQueue()
    for index in range(1000):
        work.put(index)
    threads_count = 10
    barrier = threading.Barrier(threads_count)
    errors = []

    def worker():
        try:
            barrier.wait()
            while True:
                try:
                    index = work.get_nowait()
                except Exception:  # noqa: BLE001 - the queue is empty
                    return
                lead_create(company=f"Arrival {index}", last_name="Novak", country="CZ")
        except Exception as exc:  # noqa: BLE001 - asserted on
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(600)
    assert not errors
    shares = Counter(Lead.objects.values_list("owner_id", flat=True))
    assert sum(shares.values()) == 1000 and away.pk not in shares and set(shares) == {r.pk for r in reps}
    assert max(shares.values()) - min(shares.values()) <= 1
