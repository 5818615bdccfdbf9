from django.contrib import admin

from .models import CustomerAccount, CustomerContact, Opportunity, Stage


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin):
    list_display = ["name", "probability", "kind", "order"]
    list_editable = ["probability", "kind", "order"]


@admin.register(Opportunity)
class OpportunityAdmin(admin.ModelAdmin):
    list_display = ["name", "customer_account", "stage", "amount", "close_date", "owner", "partner_account"]
    list_filter = ["stage", "partner_account"]
    search_fields = ["name", "customer_account__name"]
    list_select_related = ["customer_account", "stage", "owner", "partner_account"]
    raw_id_fields = ["owner", "source_lead", "customer_account", "customer_contact"]


class CustomerContactInline(admin.TabularInline):
    model = CustomerContact
    extra = 0


@admin.register(CustomerAccount)
class CustomerAccountAdmin(admin.ModelAdmin):
    list_display = ["name", "partner_account", "country"]
    search_fields = ["name"]
    inlines = [CustomerContactInline]
