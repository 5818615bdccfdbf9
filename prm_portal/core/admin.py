from django.contrib import admin

from .models import ActivityEvent, EmailTemplate, OutboundEmail, Resource


@admin.register(EmailTemplate)
class EmailTemplateAdmin(admin.ModelAdmin):
    """Vendor admins edit each email's subject and bodies per language (F2)."""

    list_display = ["key", "language", "subject", "updated_at"]
    list_filter = ["key", "language"]
    search_fields = ["key", "subject"]


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    list_display = ["template_key", "to", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status", "template_key"]
    search_fields = ["to", "idempotency_key"]
    readonly_fields = [f.name for f in OutboundEmail._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(ActivityEvent)
class ActivityEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "verb", "content_type", "object_id", "actor", "partner_account"]
    list_filter = ["verb", "content_type"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in ActivityEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "content_type", "object_id", "created_by", "created_at"]
    list_filter = ["kind"]
