"""Vendor staff's admin screens for referrals and deal registrations. Changes go through the services."""

from django.contrib import admin, messages
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from accounts import access
from accounts.admin import PARTNER_ONLY
from accounts.admin_site import PortalInlineMixin, PortalModelAdmin
from prm_portal.core.errors import InvalidTransition

from . import services
from .models import DealRegistration, Referral, Solution, StageMark, TeamMember


class ReadOnlyInline(PortalInlineMixin, admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TeamMemberInline(ReadOnlyInline):
    model = TeamMember
    fields = ["name", "phone", "email", "user"]


class SolutionInline(ReadOnlyInline):
    model = Solution
    fields = ["kind", "name", "assessment_type"]


class StageMarkInline(ReadOnlyInline):
    model = StageMark
    fields = ["stage", "marked_by", "marked_at"]


@admin.register(Referral)
class ReferralAdmin(PortalModelAdmin):
    """Read-only: partners answer referrals in the portal; new inbound referrals are sent from its Send page."""

    list_display = ["__str__", "partner_account", "location", "referral_type", "direction", "deal_type", "status",
                    "received_at"]
    list_filter = ["status", "referral_type", "direction", "deal_type", ("partner_account", PARTNER_ONLY)]
    search_fields = ["name", "customer_name", "customer_duns", "crm_id", "campaign_id", "sender_email"]
    date_hierarchy = "received_at"
    list_select_related = ["partner_account", "location"]
    inlines = [TeamMemberInline, SolutionInline, StageMarkInline]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(access.referral_visible_q(request.user))

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Referral._meta.fields]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def add_view(self, request, form_url="", extra_context=None):
        return redirect("referrals:send")


@admin.register(DealRegistration)
class DealRegistrationAdmin(PortalModelAdmin):
    list_display = ["referral", "status", "contract_value", "submitted_by", "submitted_at", "reviewed_by"]
    list_filter = ["status"]
    search_fields = ["referral__name", "referral__customer_name"]
    readonly_fields = ["referral", "status", "contract_value", "contract_signed_on", "customer_po", "details",
                       "submitted_by", "submitted_at", "reviewed_by", "reviewed_at", "review_comment"]
    actions = ["approve", "reject", "ask_more_info"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("referral").filter(
            access.referral_visible_q(request.user, prefix="referral__"))

    def object_allowed(self, request, obj, action):
        return action == "view" or access.referral_can_review(request.user, obj.referral)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def _review(self, request, queryset, decision, comment=""):
        done = 0
        for registration in queryset:
            try:
                services.deal_registration_review(actor=request.user, registration=registration, decision=decision,
                                                  comment=comment)
                done += 1
            except InvalidTransition as exc:
                self.message_user(request, f"{registration}: {exc}", messages.ERROR)
        if done:
            self.message_user(request, _("%(n)d registrations reviewed.") % {"n": done}, messages.SUCCESS)

    @admin.action(description=_("Approve selected registrations"), permissions=["change"])
    def approve(self, request, queryset):
        self._review(request, queryset, "approve")

    @admin.action(description=_("Reject selected registrations"), permissions=["change"])
    def reject(self, request, queryset):
        self._review(request, queryset, "reject", comment=str(_("Rejected by the vendor's review.")))

    @admin.action(description=_("Ask for more information"), permissions=["change"])
    def ask_more_info(self, request, queryset):
        self._review(request, queryset, "more_info",
                     comment=str(_("Please add more detail; the reviewer will contact you.")))
