"""Working a lead: edit (C5), change owner and mass reassign (C6, C7), convert (C11), resources (C10)."""

import uuid

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from prm_portal.core.errors import InvalidTransition
from prm_portal.core.services import activity_record

from ..emails import lead_assignment_email
from ..models import Lead
from .claims import _quota_acquire, _quota_lock, _quota_release
from .routing import EDITABLE_FIELDS, _assignee_label

# --- Edit (C5) ----------------------------------------------------------------------------------------------------


def _display(lead, field, value):
    if field == "status":
        return str(Lead.Status(value).label) if value else ""
    if field == "company_size" and value:
        return str(Lead.CompanySize(value).label)
    return value


@transaction.atomic
def lead_update(*, actor, lead, **fields) -> Lead:
    """Change a lead's status and fields; records old → new for each changed field."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown lead fields: {sorted(unknown)}")
    if lead.holds_claim:
        _quota_lock(user_id=lead.owner_id, partner_account_id=lead.partner_account_id)
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.status == Lead.Status.CONVERTED:
        raise InvalidTransition(_("A converted lead can no longer be edited."))
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
        closing = lead.status in Lead.CLOSED_STATUSES
        if closing and lead.holds_claim:
            _quota_release(user_id=lead.owner_id, partner_account_id=lead.partner_account_id)
            lead.holds_claim = False
        elif not closing and lead.source_queue_id and lead.owner_id and lead.partner_account_id \
                and not lead.holds_claim and lead.owner.is_partner:
            _quota_acquire(user_id=lead.owner_id, partner_account_id=lead.partner_account_id)
            lead.holds_claim = True
    lead.save()
    activity_record(target=lead, verb="updated", actor=actor, partner_account=lead.partner_account, changes=changes)
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


def _assign_one(*, actor, lead, owner, queue, batch):
    if lead.holds_claim:
        _quota_lock(user_id=lead.owner_id, partner_account_id=lead.partner_account_id)
    lead = Lead.objects.select_for_update().get(pk=lead.pk)  # no joins: a lock re-check sees only this row
    if lead.status == Lead.Status.CONVERTED:
        raise InvalidTransition(_("%(lead)s is converted and cannot be reassigned.") % {"lead": lead.company})
    before = _assignee_label(lead)
    if lead.holds_claim:
        _quota_release(user_id=lead.owner_id, partner_account_id=lead.partner_account_id)
        lead.holds_claim = False
    if owner is not None:
        lead.owner, lead.queue, lead.partner_account_id = owner, None, owner.partner_account_id
    else:
        lead.owner, lead.queue, lead.partner_account = None, queue, None
    lead.save()
    activity_record(
        target=lead, verb="reassigned", actor=actor, partner_account=lead.partner_account, batch=batch,
        changes={"owner": [before, _assignee_label(lead)]},
    )
    return lead


def _check_target(*, owner, queue, assignable):
    if (owner is None) == (queue is None):
        raise InvalidTransition(_("Choose either a new owner or a queue."))
    if owner is not None and not assignable.filter(pk=owner.pk).exists():
        raise InvalidTransition(_("%(user)s cannot own leads: only active partner users who have signed in "
                                  "at least once can.") % {"user": owner})


@transaction.atomic
def lead_reassign(*, actor, leads, owner=None, queue=None, notify=False) -> list[Lead]:
    """Give one or many leads to a partner user or a queue (C6, C7).

    With `notify`, each recipient gets ONE email listing all of their leads: `lead_assigned` for a single lead,
    `lead_digest` for several; the idempotency key is the batch and the recipient, so a retry sends it once.
    """
    from accounts.selectors import user_list_assignable_lead_owners

    if not actor.is_vendor_staff:
        raise InvalidTransition(_("Only vendor staff reassign leads."))
    _check_target(owner=owner, queue=queue, assignable=user_list_assignable_lead_owners())
    leads = sorted(leads, key=lambda lead: lead.pk)
    if not leads:
        raise InvalidTransition(_("Select at least one lead."))
    batch = uuid.uuid4().hex
    done = [_assign_one(actor=actor, lead=lead, owner=owner, queue=queue, batch=batch) for lead in leads]
    if notify:
        recipients = _notify_recipients(owner=owner, queue=queue)
        for recipient in recipients:
            lead_assignment_email(recipient=recipient, leads=done, batch=batch, queue=queue)
        for lead in done:
            activity_record(
                target=lead, verb="notified", actor=actor, partner_account=lead.partner_account, batch=batch,
                recipients=[r.email for r in recipients],
            )
    return done


# --- Convert (C11) --------------------------------------------------------------------------------------------------


@transaction.atomic
def lead_convert(*, actor, lead, opportunity_name, amount=None, close_date=None):
    """Turn a qualified lead into an opportunity with its customer account and contact; the lead is Converted."""
    from opportunities.services import opportunity_create

    if lead.holds_claim:
        _quota_lock(user_id=lead.owner_id, partner_account_id=lead.partner_account_id)
    lead = Lead.objects.select_for_update().get(pk=lead.pk)  # no joins: a lock re-check sees only this row
    if lead.status != Lead.Status.QUALIFIED:
        raise InvalidTransition(_("Only a qualified lead can be converted; this one is %(status)s.")
                                % {"status": lead.get_status_display()})
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
    old = lead.get_status_display()
    lead.status = Lead.Status.CONVERTED
    lead.save()
    activity_record(
        target=lead, verb="converted", actor=actor, partner_account=lead.partner_account,
        opportunity=opportunity.pk, changes={"status": [str(old), str(lead.get_status_display())]},
    )
    return opportunity


# --- Resources (C10) ---------------------------------------------------------------------------------------------


def lead_resource_add(*, actor, lead, kind, title, body="", url="", file=None):
    from prm_portal.core.services import resource_add

    return resource_add(actor=actor, target=lead, kind=kind, title=title, body=body, url=url, file=file,
                        partner_account=lead.partner_account)
