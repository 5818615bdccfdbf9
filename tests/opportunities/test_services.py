from datetime import date
from decimal import Decimal

import pytest

from opportunities.events import OpportunityEvent
from opportunities.models import CustomerAccount, Opportunity, Stage
from opportunities.services import (
    opportunity_create,
    opportunity_resource_add,
    opportunity_stage_change,
    opportunity_update,
)
from prm_portal.core.errors import InvalidTransition
from prm_portal.core.events import CoreEvent
from prm_portal.core.models import Resource
from prm_portal.core.selectors import activity_list_for

pytestmark = pytest.mark.django_db


def _update(opp, actor, **changes):
    values = dict(name=opp.name, customer_name=opp.customer_account.name, amount=opp.amount,
                  currency=opp.currency, close_date=opp.close_date, stage=opp.stage, next_step=opp.next_step,
                  description=opp.description)
    values.update(changes)
    return opportunity_update(actor=actor, opportunity=opp, **values)


def test_create_starts_at_first_open_stage_and_records_created(cast, opp_a):
    assert opp_a.stage == Stage.objects.filter(kind="open").order_by("order").first()
    assert opp_a.partner_account == cast.partner_a
    event = activity_list_for(target=opp_a).get()
    assert event.verb == OpportunityEvent.CREATED
    assert event.actor == cast.partner_a_user


def test_create_reuses_the_partners_customer_account_of_the_same_name(cast, make_opportunity):
    first = make_opportunity(cast.partner_a_user, customer="Kovo Hradec")
    second = make_opportunity(cast.partner_a_user, customer="kovo hradec ")
    assert first.customer_account_id == second.customer_account_id
    assert CustomerAccount.objects.filter(partner_account=cast.partner_a).count() == 1


def test_create_refuses_an_owner_from_another_partner(cast):
    with pytest.raises(InvalidTransition):
        opportunity_create(actor=cast.partner_a_admin, name="X", partner_account=cast.partner_a,
                           owner=cast.partner_b_user, customer_name="C")
    assert not Opportunity.objects.exists()


def test_stage_change_records_old_and_new_stage(cast, opp_a, stages):
    opportunity_stage_change(actor=cast.partner_a_user, opportunity=opp_a, stage=stages["Proposal"])
    event = activity_list_for(target=opp_a).first()
    assert event.verb == OpportunityEvent.STAGE_CHANGED
    assert event.data["changes"] == {"stage": ["Prospecting", "Proposal"]}
    opp_a.refresh_from_db()
    assert opp_a.stage == stages["Proposal"]


def test_stage_change_to_the_same_stage_is_refused_and_records_nothing(cast, opp_a):
    with pytest.raises(InvalidTransition):
        opportunity_stage_change(actor=cast.partner_a_user, opportunity=opp_a, stage=opp_a.stage)
    assert activity_list_for(target=opp_a).count() == 1


def test_update_records_field_changes_and_the_stage_move_separately(cast, opp_a, stages):
    _update(opp_a, cast.partner_a_user, amount=Decimal("30000.00"), close_date=date(2027, 3, 31),
            stage=stages["Negotiation"], next_step="Send the contract")
    events = list(activity_list_for(target=opp_a))
    assert [e.verb for e in events[:2]] == [OpportunityEvent.STAGE_CHANGED, OpportunityEvent.UPDATED]
    assert events[0].data["changes"] == {"stage": ["Prospecting", "Negotiation"]}
    changes = events[1].data["changes"]
    assert changes["amount"] == ["25000.00", "30000.00"]
    assert changes["close_date"] == ["", "2027-03-31"]
    assert changes["next_step"] == ["", "Send the contract"]
    opp_a.refresh_from_db()
    assert opp_a.amount == Decimal("30000.00") and opp_a.stage == stages["Negotiation"]


def test_update_without_changes_records_nothing(cast, opp_a):
    opp_a.refresh_from_db()
    _update(opp_a, cast.partner_a_user)
    assert activity_list_for(target=opp_a).count() == 1


def test_update_to_an_owner_of_another_partner_is_refused_and_nothing_changes(cast, opp_a):
    with pytest.raises(InvalidTransition):
        _update(opp_a, cast.partner_a_admin, name="Renamed", owner=cast.partner_b_user)
    opp_a.refresh_from_db()
    assert opp_a.name == "Alpha ERP rollout" and opp_a.owner == cast.partner_a_user


def test_a_comment_is_a_note_on_the_deal_and_on_its_timeline(cast, opp_a):
    resource = opportunity_resource_add(actor=cast.channel_manager, opportunity=opp_a, kind="note", title="",
                                        body="Try the bundle discount.\nIt closes faster.")
    assert resource.kind == Resource.Kind.NOTE and resource.title == "Try the bundle discount."
    event = activity_list_for(target=opp_a).first()
    assert event.verb == CoreEvent.NOTE_ADDED and event.partner_account == cast.partner_a


def test_an_empty_comment_is_refused(cast, opp_a):
    with pytest.raises(InvalidTransition):
        opportunity_resource_add(actor=cast.channel_manager, opportunity=opp_a, kind="note", title="", body=" ")
    assert not Resource.objects.exists()


def test_vendor_admin_edits_a_stage_probability_in_the_admin(cast, client, stages):
    client.force_login(cast.vendor_admin)
    stage = stages["Proposal"]
    response = client.post(f"/admin/opportunities/stage/{stage.pk}/change/",
                           {"name": stage.name, "probability": 55, "kind": stage.kind, "order": stage.order})
    assert response.status_code == 302
    stage.refresh_from_db()
    assert stage.probability == 55


def test_the_admin_cannot_move_a_stage_behind_the_timelines_back(cast, client, opp_a):
    client.force_login(cast.vendor_admin)
    html = client.get(f"/admin/opportunities/opportunity/{opp_a.pk}/change/").content.decode()
    assert 'name="stage"' not in html
    assert client.get("/admin/opportunities/opportunity/add/").status_code == 200
