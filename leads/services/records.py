"""Working a lead: edit (C5), change owner and mass reassign (C6, C7), convert (C11), resources (C10)."""

import uuid

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import access
from prm_portal.core.errors import InvalidTransition, NotPermitted
from prm_portal.core.services import activity_record
from prm_portal.core.versioning import version_bump, version_check

from ..emails import lead_assignment_email
from ..events import CLAIM_EVENTS, LeadEvent
from ..models import Lead
from .claims import _quota_acquire, _quota_lock, _quota_release
from .routing import EDITABLE_FIELDS, _assignee_label
from .sla import sla_clock_start, sla_clock_stop, sla_lead_touched

# --- Edit (C5) ----------------------------------------------------------------------------------------------------


def _display(lead, field, value):
    """The value as the timeline keeps it: codes, not labels (each viewer reads them in their own language)."""
    return value


def _first_response(lead):
    """The owner's first status change since the claim: when the dashboards' response time stops."""
    if lead.claimed_at is not None and lead.first_response_at is None:
        lead.first_response_at = timezone.now()


def lead_first_responses_rebuild() -> int:
    """Each claimed lead's first status change after its claim, read afresh from its timeline (the migration that
    added `first_response_at` does the same): after a bulk load or a repair. Returns the number of leads."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import OuterRef, Subquery

    from prm_portal.core.models import ActivityEvent

    first = (
        ActivityEvent.objects.filter(content_type=ContentType.objects.get_for_model(Lead), object_id=OuterRef("pk"),
                                     created_at__gt=OuterRef("claimed_at"), data__changes__has_key="status")
        .exclude(verb__in=[e.value for e in CLAIM_EVENTS]).order_by("created_at").values("created_at")[:1]
    )
    return Lead.objects.filter(claimed_at__isnull=False).update(first_response_at=Subquery(first))


@transaction.atomic
def lead_update(*, actor, lead, expected_version=None, **fields) -> Lead:
    """Change a lead's status and fields; records old → new for each changed field. With `expected_version`
    (the edit form's), a lead changed since the form was read is refused with what changed (StaleVersion)."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown lead fields: {sorted(unknown)}")
    if lead.holds_claim:
        _quota_lock(user_id=lead.owner_id, partner_account_id=lead.partner_account_id)
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.status == Lead.Status.CONVERTED:
        raise InvalidTransition(_("A converted lead can no longer be edited."))
    if not access.lead_can_change(actor, lead):
        raise NotPermitted(_("You cannot edit this lead."))
    version_check(lead, expected_version)
    if fields.get("status") == Lead.Status.CONVERTED:
        raise InvalidTransition(_("Use Convert to turn a lead into an opportunity."))
    if "country" in fields:
        fields["country"] = (fields["country"] or "").upper()
    changes = {}
    for field, value in fields.items():
        old = getattr(lead, field)
        if (old or "") != (value or ""):
            changes[field] = [_display(lead, field, old), _display(lead, field, value)]
            setattr(lead, field, value)
    if not changes:
        return lead
    if "status" in changes:
        _first_response(lead)
        closing = lead.status in Lead.CLOSED_STATUSES
        if closing and lead.holds_claim:
            _quota_release(user_id=lead.owner_id, partner_account_id=lead.partner_account_id)
            lead.holds_claim = False
        elif not closing and lead.source_queue_id and lead.owner_id and lead.partner_account_id \
                and not lead.holds_claim and lead.owner.is_partner:
            _quota_acquire(user_id=lead.owner_id, partner_account_id=lead.partner_account_id)
            lead.holds_claim = True
    version_bump(lead)
    lead.save()
    event = LeadEvent.STATUS_CHANGED if set(changes) == {"status"} else LeadEvent.UPDATED
    activity_record(target=lead, event=event, actor=actor, partner_account=lead.partner_account, changes=changes)
    if {"country", "industry"} & set(changes):
        access.record_changed(record=lead)  # the sharing rules match on these (A3)
    sla_lead_touched(lead=lead)  # a touch: the service-level clock starts again (or stops with a closed lead)
    return lead


# --- Change owner, mass reassign (C6, C7) --------------------------------------------------------------------------


def _notify_recipients(*, owner, queue):
    """Who hears about leads given to `owner` or put in `queue`: the owner, or the queue's active members."""
    from accounts.selectors import user_list_assignable_lead_owners

    if owner is not None:
        return [owner]
    return list(
        user_list_assignable_lead_owners().filter(
            Q(queues=queue) | Q(partner_account__queues=queue)
        ).distinct()
    )


def _assign_one(*, actor, lead, owner, queue, batch, expected_version=None):
    if lead.holds_claim:
        _quota_lock(user_id=lead.owner_id, partner_account_id=lead.partner_account_id)
    lead = Lead.objects.select_for_update().get(pk=lead.pk)  # no joins: a lock re-check sees only this row
    version_check(lead, expected_version)
    if lead.status == Lead.Status.CONVERTED:
        raise InvalidTransition(_("%(lead)s is converted and cannot be reassigned.") % {"lead": lead.company})
    before, before_partner = _assignee_label(lead), lead.partner_account_id
    if lead.holds_claim:
        _quota_release(user_id=lead.owner_id, partner_account_id=lead.partner_account_id)
        lead.holds_claim = False
    if owner is not None:
        lead.owner, lead.queue, lead.partner_account_id = owner, None, owner.partner_account_id
    else:
        lead.owner, lead.queue, lead.partner_account = None, queue, None
    version_bump(lead)
    lead.save()
    if queue is None or sla_clock_start(lead=lead, kind="accept") is None:  # given to a person by staff: no clock
        sla_clock_stop(lead=lead)
    activity_record(
        target=lead, event=LeadEvent.REASSIGNED, actor=actor, partner_account=lead.partner_account, batch=batch,
        previous_partner=before_partner, changes={"owner": [before, _assignee_label(lead)]},
    )
    return lead


def _check_target(*, owner, queue, assignable):
    if (owner is None) == (queue is None):
        raise InvalidTransition(_("Choose either a new owner or a queue."))
    if owner is not None and not assignable.filter(pk=owner.pk).exists():
        raise InvalidTransition(_("%(user)s cannot own leads: only active partner users who have signed in "
                                  "at least once can.") % {"user": owner})


@transaction.atomic
def lead_reassign(*, actor, leads, owner=None, queue=None, notify=False, expected_version=None) -> list[Lead]:
    """Give one or many leads to a partner user or a queue (C6, C7).

    With `notify`, each recipient gets ONE email listing all of their leads: `lead_assigned` for a single lead,
    `lead_digest` for several; the idempotency key is the batch and the recipient, so a retry sends it once.
    `expected_version` (the detail page's Change owner form, one lead) refuses a lead changed since it was read.
    """
    from accounts.selectors import user_list_assignable_lead_owners

    if not access.is_vendor_staff(actor):
        raise NotPermitted(_("Only vendor staff reassign leads."))
    _check_target(owner=owner, queue=queue,
                  assignable=user_list_assignable_lead_owners().filter(access.lead_owner_choices_q(actor)))
    leads = sorted(leads, key=lambda lead: lead.pk)
    if not leads:
        raise InvalidTransition(_("Select at least one lead."))
    if not all(access.lead_can_manage(actor, lead) for lead in leads):
        raise NotPermitted(_("You can only reassign leads of the partners you manage."))
    batch = uuid.uuid4().hex
    if expected_version is not None and len(leads) != 1:
        raise TypeError("expected_version applies to one lead; a list reassigns without it.")
    done = [_assign_one(actor=actor, lead=lead, owner=owner, queue=queue, batch=batch,
                        expected_version=expected_version) for lead in leads]
    if notify:
        recipients = _notify_recipients(owner=owner, queue=queue)
        for recipient in recipients:
            lead_assignment_email(recipient=recipient, leads=done, batch=batch, queue=queue)
        for lead in done:
            activity_record(
                target=lead, event=LeadEvent.NOTIFIED, actor=actor, partner_account=lead.partner_account, batch=batch,
                recipients=[r.email for r in recipients],
            )
    return done


# --- Convert (C11) --------------------------------------------------------------------------------------------------


@transaction.atomic
def lead_convert(*, actor, lead, opportunity_name, amount=None, close_date=None, expected_version=None):
    """Turn a qualified lead into an opportunity with its customer account and contact; the lead is Converted.
    With `expected_version` (the Convert form's), a lead changed since the form was read is refused."""
    from opportunities.services import opportunity_create

    if lead.holds_claim:
        _quota_lock(user_id=lead.owner_id, partner_account_id=lead.partner_account_id)
    lead = Lead.objects.select_for_update().get(pk=lead.pk)  # no joins: a lock re-check sees only this row
    if lead.status != Lead.Status.QUALIFIED:
        raise InvalidTransition(_("Only a qualified lead can be converted; this one is %(status)s.")
                                % {"status": lead.get_status_display()})
    if not access.lead_can_convert(actor, lead):
        raise NotPermitted(_("Only the lead's owner (or their partner admin) can convert it."))
    version_check(lead, expected_version)
    if lead.owner is None or not lead.owner.is_partner:
        raise InvalidTransition(_("Only a lead owned by a partner user can be converted."))
    opportunity = opportunity_create(
        actor=actor, name=opportunity_name, partner_account=lead.partner_account, owner=lead.owner,
        customer_name=lead.company, contact_first_name=lead.first_name, contact_last_name=lead.last_name,
        contact_email=lead.email, contact_phone=lead.phone, amount=amount, close_date=close_date,
        source_lead=lead, country=lead.country, industry=lead.industry, description=lead.description,
    )
    if lead.holds_claim:
        _quota_release(user_id=lead.owner_id, partner_account_id=lead.partner_account_id)
        lead.holds_claim = False
    old = lead.status
    lead.status = Lead.Status.CONVERTED
    _first_response(lead)
    version_bump(lead)
    lead.save()
    sla_clock_stop(lead=lead)
    activity_record(
        target=lead, event=LeadEvent.CONVERTED, actor=actor, partner_account=lead.partner_account,
        opportunity=opportunity.pk, changes={"status": [old, Lead.Status.CONVERTED.value]},
    )
    return opportunity


# --- Resources (C10) ---------------------------------------------------------------------------------------------


@transaction.atomic
def lead_resource_add(*, actor, lead, kind, title, body="", url="", file=None):
    """A note, link or file on the lead; for an accepted lead it is a touch (its service-level clock restarts)."""
    from prm_portal.core.services import resource_add

    if not access.target_can_change(actor, lead):
        raise NotPermitted(_("You may look at this lead but not add to it."))
    resource = resource_add(actor=actor, target=lead, kind=kind, title=title, body=body, url=url, file=file,
                            partner_account=lead.partner_account)
    sla_lead_touched(lead=Lead.objects.select_for_update().get(pk=lead.pk))
    return resource
