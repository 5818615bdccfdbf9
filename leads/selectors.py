"""Reads for leads: what a user may see, scoped in the query (never filtered in Python)."""

from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.sharing import shared_pks_q

from .models import Lead, LeadImport

VIEWS = ("all", "mine", "queue")


def _queue_ids(user):
    from .services import queue_ids_for

    return queue_ids_for(user=user)


def lead_list_visible_to(*, user, view="all") -> QuerySet[Lead]:
    """Partner people: leads they own (all of their partner's for partner admins), open leads of their
    queues and leads given to their partner account but to nobody there yet.
    Channel managers: leads of the partner accounts they own and every unowned lead. Admins: all."""
    qs = Lead.objects.select_related("owner", "queue", "partner_account")
    if user.is_partner:
        # The queue ids are read first (one small query) so the lead query can use its indexes.
        waiting = Q(owner__isnull=True) & (
            Q(queue_id__in=_queue_ids(user)) | Q(queue__isnull=True, partner_account_id=user.partner_account_id)
        )
        mine = Q(owner=user)
        if user.is_partner_admin:
            mine |= Q(partner_account_id=user.partner_account_id, owner__isnull=False)
        if view == "mine":
            return qs.filter(mine)
        if view == "queue":
            return qs.filter(waiting)
        # Leads the vendor's sharing rules (setup wizard, A3) show this partner, read-only.
        return qs.filter(mine | waiting | shared_pks_q(user=user, model=Lead))
    if not user.is_vendor_staff:
        return qs.none()
    if not user.is_vendor_admin:
        qs = qs.filter(Q(partner_account__owner=user) | Q(owner__isnull=True, queue__isnull=False)
                       | Q(owner__isnull=True, partner_account__isnull=True))
    if view == "mine":
        return qs.filter(owner__isnull=False)
    if view == "queue":
        return qs.filter(owner__isnull=True)
    return qs


def lead_get_for_user(*, user, pk) -> Lead:
    try:
        return lead_list_visible_to(user=user).select_related("source_queue").get(pk=pk)
    except (Lead.DoesNotExist, ValueError):
        raise Http404("No such lead.")


def lead_owner_choices_for(*, user):
    """Partner users `user` may give a lead to (B6): all assignable ones for admins, their partners' for CMs."""
    from accounts.selectors import user_list_assignable_lead_owners

    qs = user_list_assignable_lead_owners()
    if user.is_vendor_admin:
        return qs
    if user.is_channel_manager:
        return qs.filter(partner_account__owner=user)
    return qs.none()


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
