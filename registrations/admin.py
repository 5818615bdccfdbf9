"""Vendor staff's admin screens for deal registrations and conflicts: read-only, the decisions are taken on the
portal's pages (through the services)."""

from django.contrib import admin

from accounts import access
from accounts.admin import PARTNER_ONLY
from accounts.admin_site import PortalModelAdmin

from .models import Conflict, Registration


class ReadOnlyAdmin(PortalModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Registration)
class RegistrationAdmin(ReadOnlyAdmin):
    list_display = ["customer_name", "customer_country", "partner_account", "status", "protected_until",
                    "submitted_at"]
    list_filter = ["status", ("partner_account", PARTNER_ONLY)]
    search_fields = ["customer_name", "customer_duns", "customer_domain", "contact_email"]
    date_hierarchy = "submitted_at"
    list_select_related = ["partner_account"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(access.registration_visible_q(request.user))


@admin.register(Conflict)
class ConflictAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "first_partner", "second_partner", "status", "decision", "created_at"]
    list_filter = ["status", "decision"]
    list_select_related = ["first_partner", "second_partner"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(access.conflict_visible_q(request.user))
