from django.contrib import admin

from .models import Lead, Queue


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]
    filter_horizontal = ["member_accounts", "member_users"]


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    list_display = ["company", "contact_name", "status", "queue", "owner", "partner_account", "created_at"]
    list_filter = ["status", "queue", "partner_account"]
    search_fields = ["company", "last_name", "email"]
    date_hierarchy = "created_at"
    list_select_related = ["queue", "owner", "partner_account"]
    raw_id_fields = ["owner"]
