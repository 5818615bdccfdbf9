from django.contrib import admin

from .models import SharingRule


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
