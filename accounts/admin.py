from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from prm_portal.core.errors import InvalidTransition

from . import services
from .models import BusinessProfile, Contact, PartnerAccount, PartnerLocation, PortalSettings, SharingRule, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "role", "partner_account", "is_active", "last_login"]
    list_filter = ["role", "is_active", "partner_account"]
    search_fields = ["email", "first_name", "last_name"]
    list_select_related = ["partner_account"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Person"), {"fields": ("first_name", "last_name", "phone", "title", "language")}),
        (_("Role"), {"fields": ("role", "partner_account", "location", "must_change_password")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "role", "password1", "password2")}),)


class PartnerLocationInline(admin.TabularInline):
    model = PartnerLocation
    extra = 0


@admin.register(PartnerAccount)
class PartnerAccountAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "is_partner", "country", "created_at"]
    list_filter = ["is_partner", "owner"]
    search_fields = ["name"]
    inlines = [PartnerLocationInline]
    readonly_fields = ["is_partner", "partner_enabled_at", "partner_disabled_at"]
    actions = ["enable_as_partner", "disable_partner"]

    def get_queryset(self, request):
        from .selectors import partner_account_list_visible_to

        return partner_account_list_visible_to(user=request.user)

    def _each(self, request, queryset, service, done):
        for account in queryset:
            try:
                service(actor=request.user, partner_account=account)
            except InvalidTransition as exc:
                self.message_user(request, f"{account}: {exc}", messages.WARNING)
            else:
                self.message_user(request, done % {"name": account.name}, messages.SUCCESS)

    @admin.action(description=_("Enable as partner"))
    def enable_as_partner(self, request, queryset):
        self._each(request, queryset, services.partner_account_enable, _("%(name)s is enabled as a partner."))

    @admin.action(description=_("Disable partner (deactivates its users, keeps its data)"))
    def disable_partner(self, request, queryset):
        self._each(request, queryset, services.partner_account_disable, _("%(name)s is disabled as a partner."))


@admin.register(BusinessProfile)
class BusinessProfileAdmin(admin.ModelAdmin):
    list_display = ["partner_account", "updated_at"]
    search_fields = ["partner_account__name", "keywords"]


@admin.register(SharingRule)
class SharingRuleAdmin(admin.ModelAdmin):
    """Read-only: sharing rules change through the external user access wizard, which applies the grants."""

    list_display = ["record_type", "partner_account", "queue", "country", "industry", "access"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["__str__", "email", "partner_account", "user"]
    search_fields = ["first_name", "last_name", "email"]
    list_select_related = ["partner_account", "user"]


@admin.register(PortalSettings)
class PortalSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "prm_enabled", "prm_enabled_at", "prm_enabled_by"]
    # PRM is switched on in Setup → Partners → Settings and never off (the database refuses it too);
    # sharing changes through the wizard. The admin only shows the row.
    readonly_fields = ["prm_enabled", "prm_enabled_at", "prm_enabled_by", "share_leads", "share_opportunities",
                       "share_referrals", "sharing_applied_at", "sharing_applied_by"]
    actions = None

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
