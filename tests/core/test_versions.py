"""Record versions (prm_portal.core.versioning): the check, the message naming what changed, the API helpers."""

import pytest
from django.test import RequestFactory

from opportunities.events import OpportunityEvent
from opportunities.models import Opportunity, Stage
from opportunities.services import opportunity_create, opportunity_stage_change, opportunity_update
from prm_portal.core.errors import InvalidTransition
from prm_portal.core.models import ActivityEvent
from prm_portal.core.services import activity_record
from prm_portal.core.versioning import (
    StaleVersion,
    changes_since,
    etag_for,
    if_match_version,
    stale_response,
    version_check,
)
from referrals.events import ReferralEvent
from referrals.models import Referral

pytestmark = pytest.mark.django_db


@pytest.fixture
def deal(partner_a_user):
    return opportunity_create(actor=partner_a_user, name="ERP", partner_account=partner_a_user.partner_account,
                              owner=partner_a_user, customer_name="Kovo Hradec",
                              stage=Stage.objects.get(name="Needs analysis"))


def _if_match(value):
    return RequestFactory().patch("/", HTTP_IF_MATCH=value) if value is not None else RequestFactory().patch("/")


def test_a_stale_version_is_an_invalid_transition_the_views_already_show():
    assert issubclass(StaleVersion, InvalidTransition)
    assert StaleVersion("changed", current_version=3).code == "stale"


def test_a_new_record_is_at_version_one_and_each_write_adds_exactly_one(deal, partner_a_admin):
    assert deal.version == 1
    opportunity_stage_change(actor=partner_a_admin, opportunity=deal, stage=Stage.objects.get(name="Proposal"))
    assert Opportunity.objects.get(pk=deal.pk).version == 2
    # One edit that changes fields and the stage is one write: one more, not two.
    opportunity_update(actor=partner_a_admin, opportunity=deal, name="ERP v2", customer_name="Kovo Hradec",
                       amount=None, currency="EUR", close_date=None, stage=Stage.objects.get(name="Negotiation"))
    assert Opportunity.objects.get(pk=deal.pk).version == 3


def test_the_events_a_write_records_carry_the_version_it_produced(deal, partner_a_admin):
    opportunity_stage_change(actor=partner_a_admin, opportunity=deal, stage=Stage.objects.get(name="Proposal"))
    moved = ActivityEvent.objects.filter(object_id=deal.pk, data__changes__has_key="stage").get()
    assert moved.data["version"] == 2


def test_an_explicit_version_in_the_event_data_is_kept(deal, partner_a_user):
    event = activity_record(target=deal, event=OpportunityEvent.UPDATED, actor=partner_a_user, version=99)
    assert event.data["version"] == 99


def test_no_expected_version_checks_nothing(deal):
    version_check(deal, None)


def test_the_version_read_passes(deal):
    version_check(deal, 1)
    version_check(deal, "1")  # as a form or a header gives it


def test_a_stale_version_is_refused_naming_who_changed_what_old_to_new(deal, partner_a_admin):
    opportunity_stage_change(actor=partner_a_admin, opportunity=deal, stage=Stage.objects.get(name="Proposal"))
    current = Opportunity.objects.get(pk=deal.pk)
    with pytest.raises(StaleVersion) as refused:
        version_check(current, 1)
    assert refused.value.current_version == 2
    assert refused.value.changes == [("Stage", "Needs analysis", "Proposal")]
    assert "Stage: Needs analysis → Proposal" in refused.value.message
    assert "Ada Alpha" in refused.value.message
    assert "Nothing was saved" in refused.value.message


def test_several_changes_of_one_field_are_merged_first_old_to_last_new(deal, partner_a_admin):
    for name in ("Proposal", "Negotiation"):
        opportunity_stage_change(actor=partner_a_admin, opportunity=Opportunity.objects.get(pk=deal.pk),
                                 stage=Stage.objects.get(name=name))
    changes, actors = changes_since(deal, 1)
    assert changes == [("Stage", "Needs analysis", "Negotiation")]
    assert actors == ["Ada Alpha"]


def test_only_changes_after_the_version_read_are_listed(deal, partner_a_admin):
    for name in ("Proposal", "Negotiation"):
        opportunity_stage_change(actor=partner_a_admin, opportunity=Opportunity.objects.get(pk=deal.pk),
                                 stage=Stage.objects.get(name=name))
    changes, _actors = changes_since(deal, 2)
    assert changes == [("Stage", "Proposal", "Negotiation")]


def test_codes_in_the_history_are_shown_as_their_labels_never_as_code_names(deal):
    referral = Referral(pk=deal.pk, version=2)  # only its type and key matter to the history
    activity_record(target=referral, event=ReferralEvent.EXPIRED, changes={"status": ["received", "expired"]},
                    version=2)
    changes, actors = changes_since(referral, 1)
    assert changes == [("Status", "Received", "Expired")]
    assert actors == ["the system"]


def test_a_version_with_no_recorded_change_still_refuses_with_a_plain_message(deal):
    Opportunity.objects.filter(pk=deal.pk).update(version=5)
    with pytest.raises(StaleVersion) as refused:
        version_check(Opportunity.objects.get(pk=deal.pk), 1)
    assert refused.value.changes == []
    assert refused.value.message.startswith("Someone else changed this after you opened it.")


def test_etag_is_the_version_as_a_strong_tag(deal):
    assert etag_for(deal) == '"1"'


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),  # no If-Match: nothing to check
        ("*", None),
        ('"1"', 1),
        ('"7", "1"', 1),  # one of the tags names the current version
        ('"7", "8"', 7),  # none does: a version that cannot match
        ('W/"1"', 0),  # weak tags never match
        ("1", 0),  # not an entity tag
    ],
)
def test_if_match_gives_the_version_the_write_must_still_find(deal, header, expected):
    assert if_match_version(_if_match(header), deal) == expected


def test_the_stale_api_answer_is_412_with_the_changes_and_the_current_etag(deal, partner_a_admin):
    opportunity_stage_change(actor=partner_a_admin, opportunity=deal, stage=Stage.objects.get(name="Proposal"))
    with pytest.raises(StaleVersion) as refused:
        version_check(Opportunity.objects.get(pk=deal.pk), 1)
    response = stale_response(refused.value)
    assert response.status_code == 412
    assert response["ETag"] == '"2"'
    assert response.data["changes"] == [{"field": "Stage", "old": "Needs analysis", "new": "Proposal"}]
    assert response.data["version"] == 2
