"""Events are types (STYLE 7, SPEC C10): one registered member per thing that happens, each a translated sentence;
the one writer refuses free text, and no code name reaches a person."""

import re

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.utils import translation

from accounts.models import User
from leads.events import LeadEvent
from leads.models import Lead
from prm_portal.core.events import EventType, event_changes, event_sentence, event_types, internal_codes
from prm_portal.core.models import ActivityEvent
from prm_portal.core.services import activity_record
from referrals.events import ReferralEvent
from referrals.services import referral_expire_overdue
from tests.factories import LeadFactory
from tests.referrals.factories import days_ago, inbound

LANGUAGES = ("cs", "es", "pl")
SNAKE_CASE = re.compile(r"\b[a-z0-9]+_[a-z0-9_]+\b")


def _sample_event(member):
    """An unsaved event of `member` with a plausible value for every placeholder of its sentence."""
    data, changes = {}, {}
    for name in member.placeholders:
        if name == "actor":
            continue
        if name.startswith(("old_", "new_")):
            field = name[4:].replace("_", " ")
            changes.setdefault(field, ["Alpha", "Omega"])
        else:
            data[name] = "Contoso Prague"
    if changes:
        data["changes"] = changes
    actor = User(first_name="Dana", last_name="Nováková", email="dana@vendor.example", role=User.Role.VENDOR_ADMIN)
    return ActivityEvent(content_type=ContentType.objects.get_for_model(ActivityEvent), object_id=1,
                         verb=member.value, actor=actor, data=data)


def _assert_readable(text, member):
    assert member.value not in text, text
    assert "%(" not in text and ")s" not in text, text
    assert not SNAKE_CASE.search(text), text


def test_every_event_type_reads_as_a_translated_sentence_in_every_language(db):
    assert len(event_types()) >= 40
    for member in event_types():
        event = _sample_event(member)
        with translation.override("en"):
            english = event_sentence(event, viewer=None)
        _assert_readable(english, member)
        assert english[0].isupper(), english
        for language in LANGUAGES:
            with translation.override(language):
                text = event_sentence(event, viewer=None)
            _assert_readable(text, member)
            assert text != english, f"{member.value} is not translated into {language}: {text!r}"


def test_every_code_is_namespaced_and_unique():
    codes = [member.value for member in event_types()]
    assert len(codes) == len(set(codes))
    assert all(re.fullmatch(r"[a-z]+\.[a-z_]+", code) for code in codes), codes
    assert LeadEvent.NOTIFIED.value in internal_codes() and LeadEvent.CLAIMED.value not in internal_codes()


def test_activity_record_refuses_a_plain_string_even_a_registered_code(partner_a_user):
    lead = LeadFactory(owner=partner_a_user, partner_account=partner_a_user.partner_account)
    for verb in ("claimed", "lead.claimed"):
        with pytest.raises(TypeError):
            activity_record(target=lead, event=verb, actor=partner_a_user)
    with pytest.raises(TypeError):
        activity_record(target=lead, verb="claimed", actor=partner_a_user)  # the old keyword is gone
    assert not ActivityEvent.objects.filter(object_id=lead.pk).exists()


def test_activity_record_refuses_an_event_type_nobody_registered(partner_a_user):
    class StrayEvent(EventType):
        HAPPENED = "stray.happened", "%(actor)s did something"

    lead = LeadFactory(owner=partner_a_user, partner_account=partner_a_user.partner_account)
    with pytest.raises(ValueError):
        activity_record(target=lead, event=StrayEvent.HAPPENED, actor=partner_a_user)
    assert not ActivityEvent.objects.filter(object_id=lead.pk).exists()


def test_another_partners_person_is_never_named_to_a_partner(partner_a_user, partner_b_user, channel_manager):
    lead = LeadFactory(owner=partner_a_user, partner_account=partner_a_user.partner_account)
    event = activity_record(target=lead, event=LeadEvent.CLAIMED, actor=partner_a_user,
                            partner_account=partner_a_user.partner_account, queue="EMEA Inbound")
    assert event_sentence(event, viewer=channel_manager) == "Adam Rep accepted the lead from EMEA Inbound"
    assert event_sentence(event, viewer=partner_a_user) == "Adam Rep accepted the lead from EMEA Inbound"
    assert event_sentence(event, viewer=partner_b_user) == "Another partner accepted the lead from EMEA Inbound"
    staff_event = activity_record(target=lead, event=LeadEvent.CONVERTED, actor=channel_manager)
    assert event_sentence(staff_event, viewer=partner_b_user) == (
        "Carl Manager converted the lead into an opportunity")


def test_changes_read_by_field_name_and_choice_label_in_the_viewers_language(partner_a_user):
    lead = LeadFactory(owner=partner_a_user, partner_account=partner_a_user.partner_account)
    event = activity_record(target=lead, event=LeadEvent.UPDATED, actor=partner_a_user,
                            partner_account=partner_a_user.partner_account,
                            changes={"status": ["new", "working"], "company_size": ["", "10-49"]})
    assert event_changes(event, viewer=partner_a_user) == [  # in the model's field order
        {"field": "Company size", "old": "—", "new": "10–49 employees"},
        {"field": "Status", "old": "New", "new": "Working"},
    ]
    with translation.override("cs"):
        rows = event_changes(event, viewer=partner_a_user)
        assert rows[1]["old"] == str(Lead.Status.NEW.label) != "New"
        assert rows[1]["field"] != "Status"


def test_a_status_change_is_one_sentence_with_old_and_new_status(partner_a_user):
    lead = LeadFactory(owner=partner_a_user, partner_account=partner_a_user.partner_account)
    event = activity_record(target=lead, event=LeadEvent.STATUS_CHANGED, actor=partner_a_user,
                            partner_account=partner_a_user.partner_account, changes={"status": ["New", "working"]})
    assert event_sentence(event, viewer=partner_a_user) == "Adam Rep changed the status from New to Working"
    assert event_changes(event, viewer=partner_a_user) == []  # the sentence said it all
    with translation.override("es"):
        assert "Working" not in event_sentence(event, viewer=partner_a_user)


def test_set_based_expiry_writes_the_expired_event_type_and_it_reads_as_a_sentence(cast):
    referral = inbound(actor=cast.channel_manager, partner=cast.partner_a, received_at=days_ago(20))
    assert referral_expire_overdue() == 1
    event = ActivityEvent.objects.filter(object_id=referral.pk, content_type__model="referral").latest("id")
    assert event.verb == ReferralEvent.EXPIRED.value
    assert event.partner_account == cast.partner_a
    assert event_sentence(event, viewer=cast.partner_a_user) == "The referral expired without an answer"
    with translation.override("pl"):
        assert event_sentence(event, viewer=cast.partner_a_user) != "The referral expired without an answer"


def test_migration_maps_the_old_verbs_to_event_codes(partner_a_user):
    import importlib

    migration = importlib.import_module("prm_portal.core.migrations.0004_activity_event_types")
    lead = LeadFactory(owner=partner_a_user, partner_account=partner_a_user.partner_account)
    lead_ct = ContentType.objects.get_for_model(Lead)
    old = {
        "claimed": {"queue": "EMEA"}, "assigned": {"owner": "", "partner": "Alpha"},
        "routed": {"rule": "výchozí fronta"}, "resource_added": {"kind": "link", "title": "Deck"},
        "updated": {}, "mystery": {},
    }
    rows = {verb: ActivityEvent.objects.create(content_type=lead_ct, object_id=lead.pk, verb=verb, data=data)
            for verb, data in old.items()}
    direct = ActivityEvent.objects.create(content_type=lead_ct, object_id=lead.pk, verb="claimed", data={})
    migration.verbs_to_codes(apps, None)
    codes = {verb: ActivityEvent.objects.get(pk=row.pk).verb for verb, row in rows.items()}
    assert codes == {
        "claimed": "lead.claimed", "assigned": "lead.assigned_partner", "routed": "lead.routed_default",
        "resource_added": "core.link_added", "updated": "lead.updated", "mystery": "mystery",
    }
    assert ActivityEvent.objects.get(pk=direct.pk).verb == "lead.claimed_direct"
    # An unknown code still reads as a sentence, never as itself.
    assert event_sentence(ActivityEvent.objects.get(pk=rows["mystery"].pk), viewer=None) == (
        "System changed this record")
    migration.codes_to_verbs(apps, None)
    assert ActivityEvent.objects.get(pk=rows["claimed"].pk).verb == "claimed"
