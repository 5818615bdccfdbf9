from django.db.models import QuerySet
from django.http import Http404

from .models import Opportunity


def opportunity_list_visible_to(*, user) -> QuerySet[Opportunity]:
    """Partner users: their own; partner admins: their partner's; channel managers: their accounts'."""
    qs = Opportunity.objects.select_related("stage", "customer_account", "owner", "partner_account")
    if user.is_vendor_admin:
        return qs
    if user.is_channel_manager:
        return qs.filter(partner_account__owner=user)
    if user.is_partner_admin:
        return qs.filter(partner_account=user.partner_account_id)
    if user.is_partner:
        return qs.filter(owner=user)
    return qs.none()


def opportunity_get_for_user(*, user, pk) -> Opportunity:
    try:
        return opportunity_list_visible_to(user=user).get(pk=pk)
    except Opportunity.DoesNotExist:
        raise Http404("No such opportunity.")
