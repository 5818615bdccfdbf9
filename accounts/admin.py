"""The admin's accounts screens: users, partner accounts with their locations, contacts, business profiles and the
portal settings. Rows and rights come from the access policy (accounts.admin_site); saves go through
accounts.services, each with its timeline event."""

from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.admin.utils import unquote
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.admin_site import PortalInlineMixin, PortalModelAdmin
from prm_portal.core.errors import InvalidTransition

from . import access, services
from .admin_forms import UserAdminAddForm, UserAdminChangeForm, UserAdminPasswordForm
from .models import BusinessProfile, Contact, PartnerAccount, PartnerLocation, PortalSettings, User

PARTNER_ONLY = admin.RelatedOnlyFieldListFilter  # lists only the partners of the rows shown, never all of them


@admin.register(User)
class UserAdmin(PortalModelAdmin, DjangoUserAdmin):
    """Vendor admins administer everyone; channel managers the partner people of the partners they manage, without
    staff fields, staff roles or passwords (access.user_administrable_q, user_can_administer_staff)."""

    form = UserAdminChangeForm
    add_form = UserAdminAddForm
    change_password_form = UserAdminPasswordForm
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "role", "partner_account", "is_active", "last_login"]
    list_filter = ["role", "is_active", ("partner_account", PARTNER_ONLY)]
    search_fields = ["email", "first_name", "last_name"]
    list_select_related = ["partner_account"]
    filter_horizontal = ["groups", "user_permissions"]
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "first_name", "last_name", "role", "partner_account",
                                                 "usable_password", "password1", "password2")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).filter(access.user_administrable_q(request.user))

    def object_allowed(self, request, obj, action):
        return access.user_can_administer(request.user, obj)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.add_fieldsets
        staff_admin = access.user_can_administer_staff(request.user)
        status = ("is_active", "is_staff", "is_superuser", "groups", "user_permissions") if staff_admin else (
            "is_active",)
        return (
            (None, {"fields": ("email", "password") if staff_admin else ("email",)}),
            (_("Person"), {"fields": ("first_name", "last_name", "phone", "title", "language")}),
            (_("Role"), {"fields": ("role", "partner_account", "location", "must_change_password")}),
            (_("Permissions"), {"fields": status}),
            (_("Dates"), {"fields": ("last_login", "date_joined")}),
        )

    def get_readonly_fields(self, request, obj=None):
        readonly = ["last_login", "date_joined"]
        if obj is None:
            return readonly
        if not access.user_can_administer_staff(request.user):
            readonly.append("partner_account")  # a person moves to another partner by a vendor admin only
        if obj.pk == request.user.pk:  # nobody raises, demotes or locks out themselves
            readonly += [f for f in ("role", "partner_account", "is_active", *services.USER_STAFF_FIELDS)
                         if f not in readonly]
        return readonly

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role":
            allowed = access.user_roles_assignable_by(request.user)
            kwargs["choices"] = [(value, label) for value, label in db_field.choices if value in allowed]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            changes = {f: data[f] for f in form.changed_data if f in services.USER_ADMIN_FIELDS}
            services.user_admin_update(actor=request.user, user=obj, changes=changes)
            obj.refresh_from_db()
            return
        password = data.get("password1") if data.get("set_usable_password", True) else None
        created = services.user_admin_create(
            actor=request.user, email=data["email"], role=data["role"], partner_account=data.get("partner_account"),
            first_name=data.get("first_name", ""), last_name=data.get("last_name", ""), password=password or None,
        )
        obj.pk = created.pk

    def save_related(self, request, form, formsets, change):
        """Groups and permissions were saved by the service, with the event; nothing else is related."""

    def user_change_password(self, request, id, form_url=""):
        """Set password: vendor admins only, through the service (never a channel manager, not even for partner
        people: they reset their own from the sign-in page)."""
        user = self.get_object(request, unquote(id))
        if not access.user_can_administer_staff(request.user):
            raise PermissionDenied
        form = self.change_password_form(user, request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                saved = services.user_admin_password_set(actor=request.user, user=user,
                                                         password=form.new_password())
            except InvalidTransition as exc:
                messages.error(request, str(exc))
            else:
                self.log_change(request, saved, [{"changed": {"fields": ["password"]}}])
                if saved.pk == request.user.pk:
                    update_session_auth_hash(request, saved)
                messages.success(request, gettext("Password changed successfully.") if saved.has_usable_password()
                                 else gettext("Password-based authentication was disabled."))
                return HttpResponseRedirect(reverse("admin:accounts_user_change", args=[saved.pk],
                                                    current_app=self.admin_site.name))
        title = _("Change password: %s") if user.has_usable_password() else _("Set password: %s")
        context = {
            **self.admin_site.each_context(request),
            "title": title % user.get_username(),
            "adminForm": admin.helpers.AdminForm(form, [(None, {"fields": list(form.base_fields)})], {}),
            "form_url": form_url,
            "form": form,
            "is_popup": IS_POPUP_VAR in request.POST or IS_POPUP_VAR in request.GET,
            "is_popup_var": IS_POPUP_VAR,
            "add": True,
            "change": False,
            "has_delete_permission": False,
            "has_change_permission": True,
            "has_absolute_url": False,
            "opts": self.opts,
            "original": user,
            "save_as": False,
            "show_save": True,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.change_user_password_template or "admin/auth/user/change_password.html",
                                context)


LOCATION_FIELDS = ("name", "address", "city", "country", "contact_name", "phone", "email")


class PartnerLocationInline(PortalInlineMixin, admin.TabularInline):
    model = PartnerLocation
    fields = LOCATION_FIELDS
    extra = 0
    can_delete = False


# The partner account fields the admin edits (accounts.services.partner_account_update records each change).
PARTNER_ACCOUNT_FIELDS = ("name", "owner", "website", "phone", "country", "industry", "logo_url", "primary_color")
PARTNER_ACCOUNT_ADD_FIELDS = ("name", "owner", "website", "phone", "country", "industry")


@admin.register(PartnerAccount)
class PartnerAccountAdmin(PortalModelAdmin):
    list_display = ["name", "owner", "is_partner", "country", "created_at"]
    list_filter = ["is_partner", ("owner", PARTNER_ONLY)]
    search_fields = ["name"]
    inlines = [PartnerLocationInline]
    actions = ["enable_as_partner", "disable_partner"]

    def get_queryset(self, request):
        from .selectors import partner_account_list_visible_to

        return partner_account_list_visible_to(user=request.user)

    def object_allowed(self, request, obj, action):
        return access.manages_partner(request.user, obj.pk)

    def get_fields(self, request, obj=None):
        status = ("is_partner", "partner_enabled_at", "partner_disabled_at")
        if obj is None:
            return [f for f in PARTNER_ACCOUNT_ADD_FIELDS
                    if f != "owner" or access.user_can_administer_staff(request.user)]
        return [*PARTNER_ACCOUNT_FIELDS, *status]

    def get_readonly_fields(self, request, obj=None):
        readonly = ["is_partner", "partner_enabled_at", "partner_disabled_at"]
        if obj is not None and not access.user_can_administer_staff(request.user):
            readonly.append("owner")  # only a vendor admin gives an account to another channel manager
        return readonly

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "owner":  # vendor staff (the field's limit_choices_to); vendor admins only pick it
            return admin.ModelAdmin.formfield_for_foreignkey(self, db_field, request, **kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            fields = {f: data[f] for f in form.changed_data if f in PARTNER_ACCOUNT_FIELDS}
            services.partner_account_update(actor=request.user, partner_account=obj, **fields)
            obj.refresh_from_db()
            return
        created = services.partner_account_create(
            actor=request.user, name=data["name"], owner=data.get("owner"),
            **{f: data.get(f) or "" for f in ("website", "phone", "country", "industry")},
        )
        obj.pk = created.pk

    def save_formset(self, request, form, formset, change):
        """Locations through the service (added or updated, with the partner's timeline event)."""
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for location_form in formset.forms:
            if not location_form.has_changed():
                continue
            location = location_form.instance if location_form.instance.pk else None
            saved = services.location_save(actor=request.user, partner_account=form.instance, location=location,
                                           **{f: location_form.cleaned_data.get(f) or "" for f in LOCATION_FIELDS})
            if location is None:
                formset.new_objects.append(saved)
            else:
                formset.changed_objects.append((saved, location_form.changed_data))

    def _each(self, request, queryset, service, done):
        for account in queryset:
            try:
                service(actor=request.user, partner_account=account)
            except InvalidTransition as exc:
                self.message_user(request, f"{account}: {exc}", messages.WARNING)
            else:
                self.message_user(request, done % {"name": account.name}, messages.SUCCESS)

    @admin.action(description=_("Enable as partner"), permissions=["change"])
    def enable_as_partner(self, request, queryset):
        self._each(request, queryset, services.partner_account_enable, _("%(name)s is enabled as a partner."))

    @admin.action(description=_("Disable partner (deactivates its users, keeps its data)"), permissions=["change"])
    def disable_partner(self, request, queryset):
        self._each(request, queryset, services.partner_account_disable, _("%(name)s is disabled as a partner."))


class PartnerScopedAdmin(PortalModelAdmin):
    """Rows of the partners the person manages (access.staff_scope_q); one row: may they manage its partner."""

    partner_field = "partner_account"

    def get_queryset(self, request):
        return super().get_queryset(request).filter(access.staff_scope_q(request.user, field=self.partner_field))

    def object_allowed(self, request, obj, action):
        *path, last = self.partner_field.split("__")
        for part in path:
            obj = getattr(obj, part)
        return access.manages_partner(request.user, getattr(obj, f"{last}_id"))


@admin.register(BusinessProfile)
class BusinessProfileAdmin(PartnerScopedAdmin):
    list_display = ["partner_account", "updated_at"]
    search_fields = ["partner_account__name", "keywords"]
    fields = ["partner_account", "keywords", "company_sizes", "industries", "description", "listed",
              "public_description", "public_slug"]
    readonly_fields = ["partner_account", "public_slug"]

    def has_add_permission(self, request):
        return False  # every partner account has its profile from the start

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        account = obj.partner_account
        services.business_profile_update(
            actor=request.user, partner_account=account, keywords=data["keywords"] or [],
            company_sizes=data["company_sizes"] or [], industries=data["industries"] or [],
            description=data["description"], logo_url=account.logo_url, primary_color=account.primary_color,
            listed=data.get("listed"), public_description=data.get("public_description"),
        )


@admin.register(Contact)
class ContactAdmin(PartnerScopedAdmin):
    list_display = ["__str__", "email", "partner_account", "user"]
    list_filter = [("partner_account", PARTNER_ONLY)]
    search_fields = ["first_name", "last_name", "email"]
    list_select_related = ["partner_account", "user"]
    fields = ["partner_account", "first_name", "last_name", "email", "phone", "title", "location", "user"]

    def get_readonly_fields(self, request, obj=None):
        # A contact becomes a partner user through "Enable partner user", and stays with its partner.
        return ["user"] if obj is None else ["partner_account", "user"]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            fields = {f: data[f] for f in form.changed_data if f in services.CONTACT_FIELDS}
            services.contact_update(actor=request.user, contact=obj, **fields)
            return
        created = services.contact_create(
            actor=request.user, partner_account=data["partner_account"], first_name=data["first_name"],
            last_name=data["last_name"], email=data.get("email") or "", phone=data.get("phone") or "",
            title=data.get("title") or "", location=data.get("location"),
        )
        obj.pk = created.pk


@admin.register(PortalSettings)
class PortalSettingsAdmin(PortalModelAdmin):
    """Vendor admins see the row. PRM is switched on in Setup → Partners → Settings and never off (the database
    refuses it too); sharing changes through the wizard."""

    list_display = ["__str__", "prm_enabled", "prm_enabled_at", "prm_enabled_by"]
    readonly_fields = ["prm_enabled", "prm_enabled_at", "prm_enabled_by", "share_leads", "share_opportunities",
                       "share_referrals", "sharing_applied_at", "sharing_applied_by"]
    actions = None

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
