"""The Django admin's user forms. Which roles, partner accounts and locations a person may choose is limited by the
admin (accounts.admin) from the access policy; these forms check that the choices fit together, so a bad
combination is a form error, never a database error. Saving goes through accounts.services."""

from django.contrib.auth.forms import AdminPasswordChangeForm, AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from .models import User
from .services import USER_ADMIN_FIELDS

PARTNER_NEEDED = _("A partner admin or partner user belongs to a partner account: choose one.")
NO_PARTNER_FOR_STAFF = _("Vendor staff belong to no partner account: leave it empty.")
LOCATION_ELSEWHERE = _("That location belongs to another partner.")
PARTNER_NOT_STAFF = _("Partner people never use the admin site: they are neither staff nor superusers.")


def _check_shape(form, *, role, partner_account, location):
    if not role:
        return
    if role in User.PARTNER_ROLES and partner_account is None and "partner_account" not in form.errors:
        form.add_error("partner_account" if "partner_account" in form.fields else None, PARTNER_NEEDED)
    if role in User.VENDOR_ROLES and partner_account is not None:
        form.add_error("partner_account" if "partner_account" in form.fields else "role", NO_PARTNER_FOR_STAFF)
    if location is not None and (partner_account is None or location.partner_account_id != partner_account.pk):
        form.add_error("location" if "location" in form.fields else None, LOCATION_ELSEWHERE)


class UserAdminAddForm(AdminUserCreationForm):
    """Add user: who the person is, their role and, for partner people, their partner account. Without a password
    a partner person gets the welcome email with a one-time link."""

    class Meta:
        model = User
        fields = ("email", "first_name", "last_name", "role", "partner_account")

    def clean(self):
        cleaned = super().clean()
        _check_shape(self, role=cleaned.get("role"), partner_account=cleaned.get("partner_account"), location=None)
        return cleaned


class UserAdminChangeForm(UserChangeForm):
    """Change user: the fields the admin shows this person (a channel manager never gets staff fields)."""

    class Meta:
        model = User
        fields = USER_ADMIN_FIELDS

    def clean(self):
        cleaned = super().clean()
        instance = self.instance

        def value(name):
            return cleaned.get(name) if name in self.fields else getattr(instance, name)

        _check_shape(self, role=value("role"), partner_account=value("partner_account"), location=value("location"))
        if value("role") in User.PARTNER_ROLES and (value("is_staff") or value("is_superuser")):
            self.add_error(None, PARTNER_NOT_STAFF)
        return cleaned


class UserAdminPasswordForm(AdminPasswordChangeForm):
    """Set password, for vendor admins: the password goes to the service, never to a field of an event."""

    def new_password(self):
        """The password to set, or None to turn password sign-in off."""
        if not self.cleaned_data.get("set_usable_password", True):
            return None
        return self.cleaned_data["password1"]

