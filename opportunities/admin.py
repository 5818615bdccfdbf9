from django.contrib import admin

from prm_portal.core.cachegen import cache_generation_bump

from .models import CustomerAccount, CustomerContact, Opportunity, Stage


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin):
    list_display = ["name", "probability", "kind", "order"]
    list_editable = ["probability", "kind", "order"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        cache_generation_bump("dashboards")


@admin.register(Opportunity)
class OpportunityAdmin(admin.ModelAdmin):
    list_display = ["name", "customer_account", "stage", "amount", "close_date", "owner", "partner_account"]
    list_filter = ["stage", "partner_account"]
    search_fields = ["name", "customer_account__name"]
    list_select_related = ["customer_account", "stage", "owner", "partner_account"]
    raw_id_fields = ["owner", "source_lead", "customer_account", "customer_contact"]
    def get_readonly_fields(self, request, obj=None):
        # Stage moves go through the portal (opportunity_stage_change) so the timeline records them.
        return ["stage", "created_at", "updated_at"] if obj else ["created_at", "updated_at"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        cache_generation_bump("dashboards")


class CustomerContactInline(admin.TabularInline):
    model = CustomerContact
    extra = 0


@admin.register(CustomerAccount)
class CustomerAccountAdmin(admin.ModelAdmin):
    list_display = ["name", "partner_account", "country"]
    search_fields = ["name"]
    inlines = [CustomerContactInline]
