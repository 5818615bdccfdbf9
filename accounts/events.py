"""What happens to partner accounts, their people and the portal's settings (SPEC A-B, G), as event types."""

from django.utils.translation import gettext_lazy as _

from prm_portal.core.events import INTERNAL, EventType, register

from .models import BusinessProfile, Contact, PartnerAccount, PartnerLocation, RecordType, User


@register
class AccountEvent(EventType):
    PRM_ENABLED = "account.prm_enabled", INTERNAL, _("%(actor)s enabled partner relationship management")
    SHARING_APPLIED = "account.sharing_applied", INTERNAL, _("%(actor)s applied new sharing settings")
    CREATED = "account.created", _("%(actor)s created the partner account")
    UPDATED = "account.updated", _("%(actor)s edited the partner account")
    PARTNER_ENABLED = "account.partner_enabled", _("%(actor)s enabled the account as a partner")
    PARTNER_DISABLED = "account.partner_disabled", _("%(actor)s disabled the partner and deactivated its users")
    CONTACT_ADDED = "account.contact_added", _("%(actor)s added the contact %(contact)s")
    CONTACT_UPDATED = "account.contact_updated", _("%(actor)s updated the contact %(contact)s")
    PARTNER_USER_ENABLED = "account.partner_user_enabled", _("%(actor)s enabled %(user)s as a partner user")
    WELCOME_RESENT = "account.welcome_resent", _("%(actor)s sent the welcome email to %(user)s again")
    PARTNER_USER_UPDATED = "account.partner_user_updated", _("%(actor)s changed the role or location of %(user)s")
    PARTNER_USER_ACTIVATED = "account.partner_user_activated", _("%(actor)s reactivated %(user)s")
    PARTNER_USER_DEACTIVATED = "account.partner_user_deactivated", _("%(actor)s deactivated %(user)s")
    SHARED = "account.shared", INTERNAL, _("%(actor)s shared the account with %(channel_manager)s")
    PASSWORD_SET = "account.password_set", _("%(actor)s set a new password")
    PREFERENCES_CHANGED = "account.preferences_changed", _("%(actor)s changed their language or time zone")
    AWAY_CHANGED = "account.away_changed", _("%(actor)s changed the dates they are away")
    BUSINESS_PROFILE_UPDATED = "account.business_profile_updated", _("%(actor)s updated the business profile")
    LOCATION_ADDED = "account.location_added", _("%(actor)s added the location %(location)s")
    LOCATION_UPDATED = "account.location_updated", _("%(actor)s updated the location %(location)s")
    # The Django admin's user screens (accounts.services.user_admin_*).
    USER_CREATED = "account.user_created", _("%(actor)s created the user %(user)s as %(new_role)s")
    USER_UPDATED = "account.user_updated", _("%(actor)s changed the user %(user)s")
    USER_PASSWORD_SET = "account.user_password_set", INTERNAL, _("%(actor)s set a new password for %(user)s")
    USER_PASSWORD_DISABLED = "account.user_password_disabled", INTERNAL, _(
        "%(actor)s turned off password sign-in for %(user)s")

    def change_models(self, target_model):
        if self in (AccountEvent.PARTNER_USER_UPDATED, AccountEvent.PARTNER_USER_ACTIVATED,
                    AccountEvent.PREFERENCES_CHANGED, AccountEvent.PARTNER_USER_DEACTIVATED,
                    AccountEvent.USER_CREATED, AccountEvent.USER_UPDATED):
            return [User]
        if self is AccountEvent.BUSINESS_PROFILE_UPDATED:
            return [BusinessProfile, PartnerAccount]
        if self is AccountEvent.LOCATION_UPDATED:
            return [PartnerLocation]
        if self is AccountEvent.CONTACT_UPDATED:
            return [Contact]
        return super().change_models(target_model)

    def extra_fields(self):
        return {
            "shared_record_types": (_("shared records"), RecordType),
            "rules": (_("sharing rules"), None),
            "is_active": (_("active"), None),
        }

    def shows_changes(self):
        return self in (AccountEvent.UPDATED, AccountEvent.PARTNER_USER_UPDATED, AccountEvent.USER_UPDATED,
                        AccountEvent.PREFERENCES_CHANGED,
                        AccountEvent.SHARING_APPLIED,
                        AccountEvent.BUSINESS_PROFILE_UPDATED, AccountEvent.LOCATION_UPDATED,
                        AccountEvent.CONTACT_UPDATED)
