"""Reads for accounts. Scoping happens in the query, never in Python."""

from django.db.models import Q, QuerySet
from django.http import Http404

from .models import PartnerAccount, PortalSettings, User


def prm_is_enabled() -> bool:
    return PortalSettings.objects.filter(id=1, prm_enabled=True).exists()


def partner_account_list_visible_to(*, user) -> QuerySet[PartnerAccount]:
    qs = PartnerAccount.objects.select_related("owner")
    if user.is_vendor_admin:
        return qs
    if user.is_channel_manager:
        return qs.filter(owner=user)
    if user.is_partner:
        return qs.filter(pk=user.partner_account_id)
    return qs.none()


def partner_account_get_for_user(*, user, pk) -> PartnerAccount:
    try:
        return partner_account_list_visible_to(user=user).get(pk=pk)
    except PartnerAccount.DoesNotExist:
        raise Http404("No such partner account.")


def user_list_assignable_lead_owners(*, partner_account=None) -> QuerySet[User]:
    """Partner users a lead may be given to: active, of an active partner, and logged in once (B6)."""
    qs = User.objects.filter(
        role__in=User.PARTNER_ROLES,
        is_active=True,
        last_login__isnull=False,
        partner_account__is_partner=True,
    ).select_related("partner_account")
    if partner_account is not None:
        qs = qs.filter(partner_account=partner_account)
    return qs.order_by("partner_account__name", "last_name", "first_name", "email")


def user_is_manager_of(*, user, partner_account_id) -> bool:
    if user.is_vendor_admin:
        return True
    return user.is_channel_manager and PartnerAccount.objects.filter(
        Q(pk=partner_account_id) & Q(owner=user)
    ).exists()
