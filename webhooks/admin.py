"""Webhook endpoints and deliveries in the Django admin: vendor admins only (the access policy gives channel
managers no right on them), read-only (the pages change them)."""

from django.contrib import admin

from accounts.admin_site import PortalModelAdmin

from .models import WebhookDelivery, WebhookEndpoint


class ReadOnlyAdmin(PortalModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdmin):
    list_display = ["url", "partner_account", "is_active", "failing_since", "created_at"]
    list_filter = ["is_active"]
    exclude = ["secret"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["webhook_id", "endpoint", "event_type", "created_at"]
    list_filter = ["event_type"]
    list_select_related = ["endpoint"]
