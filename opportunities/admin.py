"""The admin's opportunity screens: rows of the partners the person manages (access.opportunity_visible_q); edits
go through opportunities.services.opportunity_update, with the deal's timeline event and its version bump, and
deletes through opportunity_delete, which takes the deal out of the dashboards' pipeline summary."""

from django import forms
from django.contrib import admin
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts import access
from accounts.admin import PARTNER_ONLY, PartnerScopedAdmin
from accounts.admin_site import PortalInlineMixin, PortalModelAdmin
from prm_portal.core.cachegen import cache_generation_bump

from . import services
from .models import CustomerAccount, CustomerContact, Opportunity, Stage


@admin.register(Stage)
class StageAdmin(PortalModelAdmin):
    list_display = ["name", "name_here", "probability", "kind", "order"]
    fields = ["name", "names", "code", "probability", "kind", "order"]
    readonly_fields = ["code"]

    @admin.display(description=_("name in your language"))
    def name_here(self, obj):
        return obj.label
    list_editable = ["probability", "kind", "order"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        cache_generation_bump("dashboards")


class OpportunityAdminForm(forms.ModelForm):
    """The owner and the customer account are the deal's partner's (a form error, not a refused save)."""

    class Meta:
        model = Opportunity
        fields = ["name", "partner_account", "customer_account", "owner", "stage", "amount", "currency", "close_date",
                  "next_step", "description"]

    def clean(self):
        cleaned = super().clean()
        partner = cleaned.get("partner_account") if "partner_account" in self.fields else (
            self.instance.partner_account if self.instance.partner_account_id else None)
        if partner is None:
            return cleaned
        owner, customer = cleaned.get("owner"), cleaned.get("customer_account")
        if owner is not None and (owner.partner_account_id != partner.pk or not owner.is_active):
            self.add_error("owner", _("The owner must be an active user of the opportunity's partner account."))
        if customer is not None and customer.partner_account_id != partner.pk:
            self.add_error("customer_account", _("The customer account belongs to another partner."))
        return cleaned


@admin.register(Opportunity)
class OpportunityAdmin(PortalModelAdmin):
    """A deal stays with its partner and its customer account; its stage moves in the portal (Move stage), where
    the timeline shows it. Adding and editing go through the services, with the deal's timeline event."""

    form = OpportunityAdminForm

    list_display = ["name", "customer_account", "stage", "amount", "close_date", "owner", "partner_account"]
    list_filter = ["stage", ("partner_account", PARTNER_ONLY)]
    search_fields = ["name", "customer_account__name"]
    list_select_related = ["customer_account", "stage", "owner", "partner_account"]
    fields = ["name", "partner_account", "customer_account", "customer_contact", "stage", "amount", "currency",
              "close_date", "owner", "next_step", "description", "source_lead", "version", "created_at",
              "updated_at"]
    add_fields = ["name", "partner_account", "customer_account", "owner", "stage", "amount", "currency",
                  "close_date", "next_step", "description"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(access.opportunity_visible_q(request.user))

    def object_allowed(self, request, obj, action):
        return action == "view" or access.opportunity_can_change(request.user, obj)

    def get_fields(self, request, obj=None):
        return self.fields if obj is not None else self.add_fields

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["partner_account", "customer_account", "customer_contact", "stage", "source_lead", "version",
                "created_at", "updated_at"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        owner = form.base_fields.get("owner")
        if obj is not None and owner is not None:  # the owner is one of the deal's partner's active people
            owner.queryset = owner.queryset.filter(partner_account=obj.partner_account_id, is_active=True)
        return form

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        common = {"name": data["name"], "amount": data["amount"], "currency": data["currency"],
                  "close_date": data["close_date"], "next_step": data["next_step"],
                  "description": data["description"], "owner": data["owner"]}
        if change:
            services.opportunity_update(actor=request.user, opportunity=obj, customer_name=obj.customer_account.name,
                                        stage=None, **common)
            obj.refresh_from_db()
            return
        created = services.opportunity_create(actor=request.user, partner_account=data["partner_account"],
                                              customer_account=data["customer_account"], stage=data["stage"],
                                              **common)
        obj.pk = created.pk

    def delete_model(self, request, obj):
        """Deleting goes through the service too: the deal leaves the dashboards' pipeline summary with it."""
        services.opportunity_delete(actor=request.user, opportunity=obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for opportunity in queryset:
                services.opportunity_delete(actor=request.user, opportunity=opportunity)


class CustomerContactInline(PortalInlineMixin, admin.TabularInline):
    model = CustomerContact
    extra = 0


@admin.register(CustomerAccount)
class CustomerAccountAdmin(PartnerScopedAdmin):
    list_display = ["name", "partner_account", "country"]
    list_filter = [("partner_account", PARTNER_ONLY)]
    search_fields = ["name"]
    inlines = [CustomerContactInline]

    def get_readonly_fields(self, request, obj=None):
        return ["partner_account"] if obj is not None else []  # a customer stays with its partner
