"""Reads for leads: what a user may see, scoped in the query."""

from django.db.models import Q, QuerySet
from django.http import Http404

from .models import Lead


def lead_list_visible_to(*, user) -> QuerySet[Lead]:
    """Partner people: leads they own, their partner's (admins), and open leads of their queues.
    Channel managers: leads of the partner accounts they own and every open queue lead. Admins: all."""
    qs = Lead.objects.select_related("owner", "queue", "partner_account")
    if user.is_vendor_admin:
        return qs
    if user.is_channel_manager:
        return qs.filter(Q(partner_account__owner=user) | Q(owner__isnull=True))
    if user.is_partner:
        in_my_queues = Q(owner__isnull=True) & (
            Q(queue__member_users=user) | Q(queue__member_accounts=user.partner_account_id)
        )
        mine = Q(owner=user)
        if user.is_partner_admin:
            mine |= Q(partner_account=user.partner_account_id)
        return qs.filter(Q(pk__in=Lead.objects.filter(in_my_queues).values("pk")) | mine)
    return qs.none()


def lead_get_for_user(*, user, pk) -> Lead:
    try:
        return lead_list_visible_to(user=user).get(pk=pk)
    except Lead.DoesNotExist:
        raise Http404("No such lead.")
