"""Reads for accounts. Scoping happens in the query, never in Python; the access policy decides."""

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from . import access
from .models import (
    BusinessProfile,
    Contact,
    PartnerAccount,
    PartnerAccountUserObjectPermission,
    PartnerLocation,
    PortalSettings,
    User,
)


def prm_is_enabled() -> bool:
    return access.prm_is_enabled()


def portal_settings_get() -> PortalSettings:
    return PortalSettings.objects.select_related("prm_enabled_by", "sharing_applied_by").get_or_create(id=1)[0]


def partner_account_list_visible_to(*, user) -> QuerySet[PartnerAccount]:
    return PartnerAccount.objects.select_related("owner").filter(access.partner_account_visible_q(user))


def partner_account_list_managed_by(*, user) -> QuerySet[PartnerAccount]:
    """The vendor-staff list page: accounts with their user counts."""
    if not user.is_vendor_staff:
        return PartnerAccount.objects.none()
    return partner_account_list_visible_to(user=user).annotate(
        user_count=Count("users", distinct=True),
        active_user_count=Count("users", filter=Q(users__is_active=True), distinct=True),
    )


def partner_account_get_for_user(*, user, pk) -> PartnerAccount:
    try:
        return partner_account_list_visible_to(user=user).get(pk=pk)
    except PartnerAccount.DoesNotExist:
        raise Http404("No such partner account.") from None


def partner_account_get_managed_by(*, user, pk) -> PartnerAccount:
    """Vendor-staff screens: the account if this staff member may manage it, 404 otherwise."""
    if not user.is_vendor_staff:
        raise Http404("No such partner account.")
    return partner_account_get_for_user(user=user, pk=pk)


def user_can_manage_partner_account(*, user, partner_account) -> bool:
    return access.is_vendor_staff(user) and access.manages_partner(user, partner_account.pk)


def partner_account_shared_with(*, partner_account) -> QuerySet[User]:
    """Channel managers a vendor admin opened this account to (besides its owner)."""
    return User.objects.filter(
        pk__in=PartnerAccountUserObjectPermission.objects.filter(
            content_object=partner_account, permission__codename="view_partneraccount"
        ).values("user_id")
    ).order_by("last_name", "first_name")


def contact_list_for_account(*, partner_account) -> QuerySet[Contact]:
    return partner_account.contacts.select_related("user", "location")


def contact_get_for_user(*, user, pk) -> Contact:
    """Contacts are managed by vendor staff: another account's contact answers 404."""
    if not user.is_authenticated or not user.is_vendor_staff:
        raise Http404("No such contact.")
    accounts = partner_account_list_visible_to(user=user).values("pk")
    try:
        return Contact.objects.select_related("partner_account", "user", "location").get(
            pk=pk, partner_account__in=accounts
        )
    except Contact.DoesNotExist:
        raise Http404("No such contact.") from None


def partner_user_list_for_account(*, partner_account) -> QuerySet[User]:
    return partner_account.users.select_related("location").order_by("last_name", "first_name", "email")


def partner_user_get_for_user(*, user, pk) -> User:
    """Staff: users of the accounts they manage. Partner admins: their own partner's users. Others: 404."""
    try:
        return User.objects.select_related("partner_account").filter(access.user_administrable_q(user)).get(
            pk=pk, role__in=User.PARTNER_ROLES
        )
    except User.DoesNotExist:
        raise Http404("No such user.") from None


def business_profile_get_for_user(*, user, partner_account_pk) -> BusinessProfile:
    """The partner's own people and the staff who manage it see a profile; everyone else gets 404."""
    account = partner_account_get_for_user(user=user, pk=partner_account_pk)
    # An account made outside the services may have no profile yet: show an empty one (saving creates it).
    return BusinessProfile.objects.filter(partner_account=account).first() or BusinessProfile(partner_account=account)


def location_get_for_user(*, user, pk) -> PartnerLocation:
    accounts = partner_account_list_visible_to(user=user).values("pk")
    try:
        return PartnerLocation.objects.select_related("partner_account").get(pk=pk, partner_account__in=accounts)
    except PartnerLocation.DoesNotExist:
        raise Http404("No such location.") from None


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
    return access.is_vendor_staff(user) and access.manages_partner(user, partner_account_id)


def channel_manager_list() -> QuerySet[User]:
    return User.objects.filter(role=User.Role.CHANNEL_MANAGER, is_active=True).order_by("last_name", "first_name")


def staff_user_list() -> QuerySet[User]:
    return User.objects.filter(Q(role__in=User.VENDOR_ROLES) | Q(is_superuser=True), is_active=True).order_by(
        "last_name", "first_name", "email"
    )



def partner_activity_list(*, partner_account, limit=50):
    """B1: everything recorded about a partner's records (leads, opportunities, referrals, account), newest first."""
    from prm_portal.core.models import ActivityEvent

    return list(
        ActivityEvent.objects.filter(partner_account=partner_account)
        .select_related("actor", "content_type")
        .prefetch_related("target")
        .order_by("-created_at", "-id")[:limit]
    )
