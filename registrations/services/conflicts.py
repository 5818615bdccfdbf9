"""Channel conflicts (H4): detection on every new lead, opportunity, outbound referral and deal registration, and
the channel manager's decision.

Detection runs inside the transaction creating the record (the record apps call `access.record_created`, which
calls `conflict_detect_record`; registrations call it themselves). It stores the record's customer keys and looks
them up among other parties' records in one index-only scan (CustomerKey). What a partner learns is only that
its record is under review (UNDER_REVIEW_MESSAGE); a collision with another partner's approved, protected
registration refuses the creation with the same message (InvalidTransition rolls the creation back).
"""

import contextlib
import contextvars

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import access
from prm_portal.core.errors import InvalidTransition, NotPermitted
from prm_portal.core.services import activity_record

from .. import emails
from ..events import ConflictEvent
from ..keys import evidence_kind, keys_for
from ..models import Conflict, CustomerKey, Registration

# What a partner is told, whatever collided with what: never who else, never which record.
UNDER_REVIEW_MESSAGE = gettext_lazy("This customer is under review by the channel team.")
# The record types whose creation another partner's protected registration refuses (a partner creates them);
# leads and inbound referrals are handed to a partner by the vendor: they open a conflict instead.
REFUSABLE = {"registrations.registration", "opportunities.opportunity", "referrals.referral"}
DETECTED = {"leads.lead", "opportunities.opportunity", "referrals.referral", "registrations.registration"}
MAX_MATCHED_KEYS = 200

_linked_registration = contextvars.ContextVar("linked_registration", default=None)


@contextlib.contextmanager
def conflict_detection_linked_to(registration):
    """Records created inside this block are the registration's own (its opportunity): their keys are stored, and
    they collide with nothing the registration did not already."""
    token = _linked_registration.set(registration.pk)
    try:
        yield
    finally:
        _linked_registration.reset(token)


def _is_detected(record) -> bool:
    label = record._meta.label_lower
    if label == "referrals.referral":
        return record.direction == "outbound"
    return label in DETECTED


def record_is_open(record) -> bool:
    """Still being worked: an open lead, referral or registration (approved ones only while protected), an
    opportunity in an open stage."""
    label = record._meta.label_lower
    if label == "opportunities.opportunity":
        return record.stage.kind == "open"
    if label == "registrations.registration":
        return record.status in (Registration.Status.SUBMITTED, Registration.Status.MORE_INFO) or (
            record.is_protected())
    return bool(getattr(record, "is_open", True))


def customer_keys_store(record, keys=None) -> dict:
    """Replace the record's rows in the key table with its current keys; returns {key: kind}."""
    keys = keys_for(record) if keys is None else keys
    content_type = ContentType.objects.get_for_model(record)
    CustomerKey.objects.filter(content_type=content_type, object_id=record.pk).delete()
    CustomerKey.objects.bulk_create(
        CustomerKey(key=key, content_type=content_type, object_id=record.pk,
                    partner_account_id=record.partner_account_id)
        for key in keys
    )
    return keys


def customer_key_matches(*, keys, partner_account_id, exclude=None):
    """Rows of other parties' records sharing one of `keys`: (key, content_type_id, object_id, partner_id).
    Another party is another partner, or the vendor (no partner) for a partner's record and the reverse."""
    qs = CustomerKey.objects.filter(key__in=list(keys))
    if partner_account_id is None:
        qs = qs.exclude(partner_account__isnull=True)
    else:
        qs = qs.exclude(partner_account_id=partner_account_id)
    if exclude is not None:
        qs = qs.exclude(content_type=exclude[0], object_id=exclude[1])
    return qs.values_list("key", "content_type_id", "object_id", "partner_account_id")[:MAX_MATCHED_KEYS]


def _candidates(matches):
    """The open records behind the matched keys: [(record, partner_id, [keys])], oldest first."""
    by_record = {}
    for key, content_type_id, object_id, partner_id in matches:
        entry = by_record.setdefault((content_type_id, object_id), {"partner": partner_id, "keys": []})
        entry["keys"].append(key)
    by_type = {}
    for content_type_id, object_id in by_record:
        by_type.setdefault(content_type_id, []).append(object_id)
    found = []
    for content_type_id, ids in by_type.items():
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        qs = model._default_manager.filter(pk__in=ids)
        if model._meta.label_lower == "opportunities.opportunity":
            qs = qs.select_related("stage")
        for record in qs:
            if record_is_open(record):
                entry = by_record[(content_type_id, record.pk)]
                found.append((record, entry["partner"], sorted(entry["keys"])))
    # An approved registration's opportunity is the same deal as the registration: one conflict, not two.
    linked = {record.opportunity_id for record, _p, _k in found
              if record._meta.label_lower == "registrations.registration" and record.opportunity_id}
    found = [item for item in found
             if not (item[0]._meta.label_lower == "opportunities.opportunity" and item[0].pk in linked)]
    return sorted(found, key=lambda item: (_created_at(item[0]), item[0].pk))


def _created_at(record):
    for name in ("submitted_at", "created_at", "received_at"):
        value = getattr(record, name, None)
        if value is not None:
            return value
    return timezone.now()


def conflict_detect_record(*, record) -> list[Conflict]:
    """The record-created hook (and the registrations' own call): store the record's customer keys, then open a
    conflict with each open record of another party that shares one. Refuses (InvalidTransition, the neutral
    message) a registration, opportunity or outbound deal of a partner when another partner holds an approved,
    protected registration of the same customer."""
    if not _is_detected(record):
        return []
    keys = customer_keys_store(record)
    if not keys or _linked_registration.get() is not None:
        return []
    content_type = ContentType.objects.get_for_model(record)
    candidates = _candidates(customer_key_matches(keys=keys, partner_account_id=record.partner_account_id,
                                                  exclude=(content_type, record.pk)))
    if not candidates:
        return []
    label = record._meta.label_lower
    if label in REFUSABLE and record.partner_account_id is not None:
        for other, _partner_id, _keys in candidates:
            if other._meta.label_lower == "registrations.registration" and other.is_protected():
                raise InvalidTransition(UNDER_REVIEW_MESSAGE, code="under_review")
    opened = []
    for other, partner_id, matched in candidates:
        conflict, created = Conflict.objects.get_or_create(
            first_content_type=ContentType.objects.get_for_model(other), first_object_id=other.pk,
            second_content_type=content_type, second_object_id=record.pk,
            defaults={"first_partner_id": partner_id, "second_partner_id": record.partner_account_id,
                      "evidence": [{"kind": evidence_kind(key), "key": key} for key in matched]},
        )
        if created:
            kinds = sorted({evidence_kind(key) for key in matched})
            activity_record(target=conflict, event=ConflictEvent.OPENED, evidence=kinds,
                            first=f"{other._meta.label_lower}:{other.pk}", second=f"{label}:{record.pk}")
            emails.email_conflict_opened(conflict)
            opened.append(conflict)
    if opened:
        activity_record(target=record, event=ConflictEvent.UNDER_REVIEW, partner_account=record.partner_account)
        if label == "registrations.registration":
            emails.email_registration_under_review(record)
    return opened


def conflicts_open_for(record):
    """Open conflicts with `record` on either side."""
    from django.db.models import Q

    content_type = ContentType.objects.get_for_model(record)
    return Conflict.objects.filter(
        Q(first_content_type=content_type, first_object_id=record.pk)
        | Q(second_content_type=content_type, second_object_id=record.pk),
        status=Conflict.Status.OPEN,
    )


def record_is_under_review(record) -> bool:
    """What a partner may know: that a conflict about its record waits for the channel team (not with whom)."""
    return conflicts_open_for(record).exists()


@transaction.atomic
def conflict_resolve(*, actor, conflict, decision, note="") -> Conflict:
    """The channel manager decides: the first registered keeps the protection (a second registration is not
    approved), merge (a second registration is closed into the first), or both proceed. The second record's
    partner reads only that the review is over and what it means for its own record."""
    conflict = Conflict.objects.select_for_update().get(pk=conflict.pk)
    if not access.conflict_can_resolve(actor, conflict):
        raise NotPermitted(_("Only the channel managers of the partners involved decide this conflict."))
    if conflict.status != Conflict.Status.OPEN:
        raise InvalidTransition(_("This conflict is already decided."), code="state")
    if decision not in Conflict.Decision.values:
        raise InvalidTransition(_("Choose a decision."), code="validation")
    note = (note or "").strip()
    second = conflict.second
    first = conflict.first
    if decision == Conflict.Decision.MERGE and (second is None
                                                or second._meta.label_lower != "registrations.registration"):
        raise InvalidTransition(_("Only a deal registration can be merged into the first record; choose another "
                                  "decision."), code="validation")
    outcome = decision
    if second is not None and second._meta.label_lower == "registrations.registration":
        outcome = _decide_registration(actor=actor, registration=second, first=first, decision=decision)
    elif decision == Conflict.Decision.FIRST_KEEPS:
        outcome = "not_protected"
    now = timezone.now()
    conflict.status = Conflict.Status.RESOLVED
    conflict.decision = decision
    conflict.note = note
    conflict.resolved_by = actor
    conflict.resolved_at = now
    conflict.save(update_fields=["status", "decision", "note", "resolved_by", "resolved_at"])
    activity_record(target=conflict, event=ConflictEvent.RESOLVED, actor=actor, decision=decision, note=note)
    if second is not None:
        activity_record(target=second, event=ConflictEvent.REVIEW_FINISHED, actor=actor,
                        partner_account=second.partner_account, outcome=outcome)
        if second._meta.label_lower == "registrations.registration":
            emails.email_registration_review_finished(second, outcome=outcome)
    return conflict


def _decide_registration(*, actor, registration, first, decision) -> str:
    """What the decision does to a second registration still waiting; returns the outcome its partner reads."""
    from prm_portal.core.versioning import version_bump

    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.status not in (Registration.Status.SUBMITTED, Registration.Status.MORE_INFO):
        return "not_protected" if decision == Conflict.Decision.FIRST_KEEPS else decision
    if decision == Conflict.Decision.BOTH_PROCEED:
        return decision
    if decision == Conflict.Decision.FIRST_KEEPS:
        registration.status = Registration.Status.REJECTED
        registration.review_comment = str(_("The channel team reviewed this registration against existing records "
                                            "for the same customer; it cannot be approved."))
        outcome = "registration_rejected"
    else:
        registration.status = Registration.Status.CLOSED
        if first is not None and first._meta.label_lower == "registrations.registration":
            registration.merged_into = first
        outcome = Conflict.Decision.MERGE
    registration.reviewed_by = actor
    registration.reviewed_at = timezone.now()
    version_bump(registration)
    registration.save()
    return outcome
