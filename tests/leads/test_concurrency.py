"""Real threads against PostgreSQL: the database settles the claim race and holds both claim limits."""

import threading

import pytest
from django.db import connection

from leads.models import Lead, PartnerClaimQuota, UserClaimQuota
from leads.services import ALREADY_CLAIMED, ClaimLimitReached, lead_claim, lead_create
from prm_portal.core.errors import InvalidTransition
from tests.factories import LeadFactory, PartnerUserFactory, QueueFactory

pytestmark = pytest.mark.django_db(transaction=True)
THREADS = 8


def _run_together(calls):
    """Run each call in its own thread, released at the same instant; returns (results, errors)."""
    barrier = threading.Barrier(len(calls))
    results, errors = [], []
    lock = threading.Lock()

    def worker(call):
        try:
            barrier.wait()
            value = call()
            with lock:
                results.append(value)
        except Exception as exc:  # noqa: BLE001 - collected and asserted on
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(call,)) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results, errors


def test_concurrent_accepts_of_one_lead_give_it_to_exactly_one_rep(partner_a, partner_b, limits):
    limits(per_user=5, per_partner=50)
    queue = QueueFactory(accounts=[partner_a, partner_b])
    lead = LeadFactory(queue=queue)
    reps = [PartnerUserFactory(partner_account=partner_a if i % 2 else partner_b) for i in range(THREADS)]
    results, errors = _run_together([lambda rep=rep: lead_claim(actor=rep, lead_id=lead.pk) for rep in reps])
    assert len(results) == 1
    assert len(errors) == THREADS - 1
    assert all(isinstance(e, InvalidTransition) and str(e) == ALREADY_CLAIMED for e in errors)
    winner = results[0].owner
    assert Lead.objects.get(pk=lead.pk).owner == winner
    assert sum(UserClaimQuota.objects.values_list("open_count", flat=True)) == 1
    assert sum(PartnerClaimQuota.objects.values_list("open_count", flat=True)) == 1


def test_concurrent_accepts_by_one_rep_stop_at_the_user_limit(partner_a, limits):
    limits(per_user=3, per_partner=50)
    queue = QueueFactory(accounts=[partner_a])
    rep = PartnerUserFactory(partner_account=partner_a)
    leads = LeadFactory.create_batch(THREADS, queue=queue)
    results, errors = _run_together([lambda lead=lead: lead_claim(actor=rep, lead_id=lead.pk) for lead in leads])
    assert len(results) == 3
    assert len(errors) == THREADS - 3 and all(isinstance(e, ClaimLimitReached) for e in errors)
    assert Lead.objects.filter(owner=rep).count() == 3
    assert UserClaimQuota.objects.get(user=rep).open_count == 3


def test_concurrent_accepts_by_one_partners_reps_stop_at_the_partner_limit(partner_a, limits):
    limits(per_user=5, per_partner=4)
    queue = QueueFactory(accounts=[partner_a])
    reps = [PartnerUserFactory(partner_account=partner_a) for _ in range(THREADS)]
    leads = LeadFactory.create_batch(THREADS, queue=queue)
    results, errors = _run_together(
        [lambda rep=rep, lead=lead: lead_claim(actor=rep, lead_id=lead.pk) for rep, lead in zip(reps, leads)]
    )
    assert len(results) == 4
    assert len(errors) == THREADS - 4 and all(isinstance(e, ClaimLimitReached) for e in errors)
    assert Lead.objects.filter(partner_account=partner_a, owner__isnull=False).count() == 4
    assert PartnerClaimQuota.objects.get(partner_account=partner_a).open_count == 4


def test_round_robin_is_even_across_concurrent_arrivals(db):
    from leads.models import AssignmentRule, RoundRobinGroup, RoundRobinMember

    queues = [QueueFactory(name=f"RR {i}") for i in range(3)]
    group = RoundRobinGroup.objects.create(name="Rotation")
    for i, q in enumerate(queues):
        RoundRobinMember.objects.create(group=group, position=i, queue=q)
    AssignmentRule.objects.create(name="All in turn", target=AssignmentRule.Target.ROUND_ROBIN, target_group=group)
    results, errors = _run_together(
        [lambda i=i: lead_create(company=f"Arrival {i}", last_name="X") for i in range(THREADS + 1)]
    )
    assert not errors
    counts = sorted(Lead.objects.filter(queue=q).count() for q in queues)
    assert counts == [3, 3, 3]
    assert RoundRobinGroup.objects.get(pk=group.pk).cursor == THREADS + 1
