"""Issue finding 11: a form read before someone else's change must not write over it (Move stage, Edit)."""

import re
import threading

import pytest
from django.db import close_old_connections

from opportunities.models import Opportunity, Stage
from opportunities.services import opportunity_create, opportunity_stage_change, opportunity_update
from prm_portal.core.models import ActivityEvent
from prm_portal.core.versioning import StaleVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def deal(cast, stages):
    """Partner A's deal at Needs analysis, owned by A's rep; A's channel manager watches it."""
    return opportunity_create(actor=cast.partner_a_user, name="ERP rollout", partner_account=cast.partner_a,
                              owner=cast.partner_a_user, customer_name="Kovo Hradec", amount=25000,
                              stage=stages["Needs analysis"])


def _hidden_version(html):
    found = re.search(r'<input type="hidden" name="version"[^>]*value="(\d*)"', html) or re.search(
        r'<input type="hidden" name="version" value="(\d*)"', html)
    assert found, "the form carries no version"
    return found.group(1)


def _edit_data(opp, **changes):
    data = {"name": opp.name, "customer_name": opp.customer_account.name, "amount": opp.amount or "",
            "currency": opp.currency, "close_date": opp.close_date or "", "stage": opp.stage_id,
            "next_step": opp.next_step, "description": opp.description, "owner": opp.owner_id,
            "version": opp.version}
    data.update(changes)
    return data


def _stage_events(opp):
    return ActivityEvent.objects.filter(object_id=opp.pk, data__changes__has_key="stage").count()


# --- Move stage -------------------------------------------------------------------------------------------------


def test_the_move_stage_box_carries_the_version_it_was_read_at(cast, deal, login_as):
    page = login_as(cast.channel_manager).get(f"/opportunities/{deal.pk}/").content.decode()
    assert 'id="opp-move-version" value="1"' in page


def test_a_stale_stage_move_is_refused_names_the_change_and_does_not_undo_it(cast, deal, stages, login_as):
    client = login_as(cast.channel_manager)
    read_at = _hidden_version(client.get(f"/opportunities/{deal.pk}/").content.decode())
    opportunity_stage_change(actor=cast.partner_a_admin, opportunity=deal, stage=stages["Proposal"])

    response = client.post(f"/opportunities/{deal.pk}/stage/",
                           {"stage": stages["Needs analysis"].pk, "version": read_at})

    assert response.status_code == 409
    page = response.content.decode()
    assert "Ada Alpha changed this after you opened it: Stage: Needs analysis → Proposal." in page
    assert Opportunity.objects.get(pk=deal.pk).stage == stages["Proposal"]
    assert _stage_events(deal) == 1  # only the partner's move
    # The box now carries the current version and keeps the stage the manager chose.
    assert 'id="opp-move-version" value="2"' in page
    assert response.context["stage_form"]["stage"].value() == str(stages["Needs analysis"].pk)


def test_moving_again_after_reading_the_refusal_goes_through(cast, deal, stages, login_as):
    client = login_as(cast.channel_manager)
    opportunity_stage_change(actor=cast.partner_a_admin, opportunity=deal, stage=stages["Proposal"])
    refused = client.post(f"/opportunities/{deal.pk}/stage/", {"stage": stages["Negotiation"].pk, "version": 1})
    again = client.post(f"/opportunities/{deal.pk}/stage/",
                        {"stage": stages["Negotiation"].pk, "version": _hidden_version(refused.content.decode())})
    assert again.status_code == 302
    deal.refresh_from_db()
    assert deal.stage == stages["Negotiation"] and deal.version == 3


def test_a_current_stage_move_goes_through_and_adds_one_to_the_version(cast, deal, stages, login_as):
    response = login_as(cast.channel_manager).post(f"/opportunities/{deal.pk}/stage/",
                                                   {"stage": stages["Proposal"].pk, "version": 1})
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.stage == stages["Proposal"] and deal.version == 2


def test_the_live_partial_brings_the_move_box_up_to_date_when_the_deal_moved_on(cast, deal, stages, login_as):
    client = login_as(cast.channel_manager)
    opportunity_stage_change(actor=cast.partner_a_admin, opportunity=deal, stage=stages["Proposal"])
    html = client.get(f"/opportunities/{deal.pk}/live/", {"version": "1"}).content.decode()
    box = html[html.index('id="opp-move-form"'):]
    assert 'hx-swap-oob="true"' in box
    assert 'id="opp-move-version" value="2"' in box
    assert re.search(rf'<option value="{stages["Proposal"].pk}" selected>', box)


def test_the_live_partial_leaves_an_up_to_date_move_box_alone(cast, deal, login_as):
    html = login_as(cast.channel_manager).get(f"/opportunities/{deal.pk}/live/", {"version": "1"}).content.decode()
    assert "opp-move-form" not in html


def test_the_live_partial_never_offers_the_move_box_to_a_reader_who_cannot_change_the_deal(cast, deal, stages,
                                                                                           login_as):
    opportunity_stage_change(actor=cast.partner_a_admin, opportunity=deal, stage=stages["Proposal"])
    html = login_as(cast.partner_b_user).get(f"/opportunities/{deal.pk}/live/", {"version": "1"})
    assert html.status_code == 404


# --- Edit -------------------------------------------------------------------------------------------------------


def test_a_stale_edit_is_refused_keeps_the_input_and_changes_nothing(cast, deal, stages, login_as):
    client = login_as(cast.channel_manager)
    read_at = _hidden_version(client.get(f"/opportunities/{deal.pk}/edit/").content.decode())
    opportunity_update(actor=cast.partner_a_admin, opportunity=deal, name="ERP rollout", customer_name="Kovo Hradec",
                       amount=30000, currency="EUR", close_date=None, stage=stages["Proposal"])

    response = client.post(f"/opportunities/{deal.pk}/edit/",
                           _edit_data(deal, version=read_at, next_step="Call the CFO", amount="27000"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Amount: 25000.00 → 30000" in page
    assert "Stage: Needs analysis → Proposal" in page
    assert 'value="Call the CFO"' in page  # what the manager typed is still there
    assert _hidden_version(page) == "2"
    deal.refresh_from_db()
    assert (deal.amount, deal.next_step, deal.stage) == (30000, "", stages["Proposal"])


def test_an_edit_read_at_the_current_version_is_saved(cast, deal, login_as):
    client = login_as(cast.channel_manager)
    read_at = _hidden_version(client.get(f"/opportunities/{deal.pk}/edit/").content.decode())
    response = client.post(f"/opportunities/{deal.pk}/edit/", _edit_data(deal, version=read_at, next_step="Demo"))
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.next_step == "Demo" and deal.version == 2


def test_the_version_is_not_a_visible_field_of_the_edit_form(cast, deal, login_as):
    page = login_as(cast.channel_manager).get(f"/opportunities/{deal.pk}/edit/").content.decode()
    assert ">Version<" not in page


# --- the service, under the lock ----------------------------------------------------------------------------------


def test_the_service_refuses_a_stale_expected_version(cast, deal, stages):
    opportunity_stage_change(actor=cast.partner_a_admin, opportunity=deal, stage=stages["Proposal"])
    with pytest.raises(StaleVersion):
        opportunity_stage_change(actor=cast.channel_manager, opportunity=deal, stage=stages["Negotiation"],
                                 expected_version=1)
    assert Opportunity.objects.get(pk=deal.pk).stage == stages["Proposal"]


@pytest.mark.django_db(transaction=True)
def test_two_moves_read_at_the_same_version_one_wins_the_other_is_refused(partner_a_user, partner_a_admin,
                                                                          channel_manager):
    """Both pages were read at version 1 and pressed Move at once: the row lock orders them and the second
    finds version 2, so it is refused instead of undoing the first."""
    opp = opportunity_create(actor=partner_a_user, name="Raced deal", partner_account=partner_a_user.partner_account,
                             owner=partner_a_user, customer_name="Kovo Hradec")
    targets = {partner_a_admin: Stage.objects.get(name="Proposal"),
               channel_manager: Stage.objects.get(name="Negotiation")}
    barrier = threading.Barrier(len(targets))
    outcomes = []

    def move(actor, stage):
        try:
            barrier.wait(timeout=10)
            opportunity_stage_change(actor=actor, opportunity=Opportunity.objects.get(pk=opp.pk), stage=stage,
                                     expected_version=1)
            outcomes.append("moved")
        except StaleVersion:
            outcomes.append("refused")
        finally:
            close_old_connections()

    threads = [threading.Thread(target=move, args=item) for item in targets.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["moved", "refused"]
    opp.refresh_from_db()
    assert opp.version == 2
    assert ActivityEvent.objects.filter(object_id=opp.pk, data__changes__has_key="stage").count() == 1
