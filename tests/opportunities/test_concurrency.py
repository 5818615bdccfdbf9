import threading

import pytest
from django.db import close_old_connections

from opportunities.events import OpportunityEvent
from opportunities.models import Opportunity, Stage
from opportunities.services import opportunity_create, opportunity_stage_change
from prm_portal.core.selectors import activity_list_for


@pytest.mark.django_db(transaction=True)
def test_concurrent_stage_moves_each_record_the_stage_they_really_left(partner_a_user, partner_a_admin):
    """Two people move the same deal at once: the row lock orders them, so the timeline chains old → new."""
    opp = opportunity_create(actor=partner_a_user, name="Raced deal", partner_account=partner_a_user.partner_account,
                             owner=partner_a_user, customer_name="Kovo Hradec")
    targets = {partner_a_user: Stage.objects.get(name="Proposal"),
               partner_a_admin: Stage.objects.get(name="Negotiation")}
    barrier = threading.Barrier(len(targets))
    errors = []

    def move(actor, stage):
        try:
            barrier.wait(timeout=10)
            opportunity_stage_change(actor=actor, opportunity=Opportunity.objects.get(pk=opp.pk), stage=stage)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=move, args=item) for item in targets.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors
    moves = [e.data["changes"]["stage"] for e in reversed(activity_list_for(target=opp))
             if e.verb == OpportunityEvent.STAGE_CHANGED]
    assert len(moves) == 2
    assert moves[0][0] == "Prospecting"
    assert moves[1][0] == moves[0][1]  # the second move left the stage the first one set
    opp.refresh_from_db()
    assert opp.stage.name == moves[1][1]
