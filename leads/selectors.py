"""Reads for leads: what a user may see, scoped in the query (never filtered in Python)."""

from django.db.models import QuerySet
from django.http import Http404

from accounts import access

from .models import Lead, LeadImport

VIEWS = ("all", "mine", "queue")


def lead_list_visible_to(*, user, view="all", queue_ids=None) -> QuerySet[Lead]:
    """The leads `user` may see (the access policy decides), optionally one view: "mine" or "queue"."""
    return Lead.objects.select_related("owner", "queue", "partner_account", "sla_clock").filter(
        access.lead_visible_q(user, view=view if view in VIEWS else "all", queue_ids=queue_ids)
    )


def lead_claimable_ids(*, user, leads, queue_ids=None) -> set[int]:
    """Of `leads` (a page of the list), those waiting for `user` to accept them: in their queues or given to their
    partner account. A lead they only see through a sharing rule is not theirs to accept (one query, whatever
    the number of rows)."""
    waiting = [lead for lead in leads if lead.owner_id is None]
    if not waiting or not user.is_partner:
        return set()
    if queue_ids is None:
        queue_ids = access.queue_ids_for(user)
    return {lead.pk for lead in waiting if access.lead_can_claim(user, lead, queue_ids=queue_ids)}


def sla_breach_list_visible_to(*, user):
    """Service-level breaches (escalations, recalls, re-routings) a vendor staff member may see: those of the
    partners they manage and of leads no partner held; newest first. Nothing for partner people."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import Q

    from prm_portal.core.models import ActivityEvent

    from .events import LeadEvent

    if not access.is_vendor_staff(user):
        return ActivityEvent.objects.none()
    codes = [LeadEvent.SLA_ESCALATED.value, LeadEvent.SLA_RECALLED.value, LeadEvent.SLA_REROUTED.value]
    return (
        ActivityEvent.objects.filter(content_type=ContentType.objects.get_for_model(Lead), verb__in=codes)
        .filter(access.staff_scope_q(user) | Q(partner_account__isnull=True))
        .select_related("actor")
        .order_by("-created_at", "-id")
    )


def lead_get_for_user(*, user, pk) -> Lead:
    try:
        return lead_list_visible_to(user=user).select_related("source_queue").get(pk=pk)
    except (Lead.DoesNotExist, ValueError):
        raise Http404("No such lead.")


def lead_preview_get_for_user(*, user, pk) -> Lead:
    """A lead waiting in one of the user's queues (or given to their partner), as far as a person may read it before
    accepting it: what the preview shows carries no contact details. Anyone else: 404."""
    try:
        return Lead.objects.filter(access.lead_claimable_q(user)).get(pk=pk)
    except (Lead.DoesNotExist, ValueError):
        raise Http404("No such lead.")


def lead_owner_choices_for(*, user):
    """Partner users `user` may give a lead to (B6): all assignable ones for admins, their partners' for CMs."""
    from accounts.selectors import user_list_assignable_lead_owners

    return user_list_assignable_lead_owners().filter(access.lead_owner_choices_q(user))


def queue_choices_for(*, user):
    from .models import Queue

    return Queue.objects.all() if user.is_vendor_staff else Queue.objects.none()


def lead_import_get_for_user(*, user, pk) -> LeadImport:
    try:
        if not user.is_vendor_staff:
            raise LeadImport.DoesNotExist
        qs = LeadImport.objects.all() if user.is_vendor_admin else LeadImport.objects.filter(created_by=user)
        return qs.get(pk=pk)
    except LeadImport.DoesNotExist:
        raise Http404("No such import.")
