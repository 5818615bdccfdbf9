from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Contact, PartnerAccount, PartnerLocation, PortalSettings, User


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


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["__str__", "email", "partner_account", "user"]
    search_fields = ["first_name", "last_name", "email"]
    list_select_related = ["partner_account", "user"]


@admin.register(PortalSettings)
class PortalSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "prm_enabled", "prm_enabled_at", "prm_enabled_by"]
    readonly_fields = ["prm_enabled", "prm_enabled_at", "prm_enabled_by"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
