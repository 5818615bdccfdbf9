"""Channel managers' admin screens for leads (G3): filters, search, change owner with notification, mass
reassign; and the vendor admin's queues, assignment rules, round-robin groups and claim limits."""

from django.contrib import admin, messages
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts import access
from accounts.admin_site import PortalInlineMixin, PortalModelAdmin
from prm_portal.core.errors import InvalidTransition

from . import services
from .forms import LEAD_FIELDS, ReassignForm
from .models import (
    AssignmentRule,
    BusinessCalendar,
    ClaimLimitSettings,
    Holiday,
    Lead,
    PartnerClaimLimit,
    Queue,
    QueueServiceLevel,
    RoundRobinGroup,
    RoundRobinMember,
)
from .selectors import lead_list_visible_to, lead_owner_choices_for, queue_choices_for


@admin.register(Queue)
class QueueAdmin(PortalModelAdmin):
    """Channel managers look at the queues; vendor admins change them."""

    list_display = ["name", "is_default", "created_at"]
    search_fields = ["name"]
    filter_horizontal = ["member_accounts", "member_users"]


@admin.register(Lead)
class LeadAdmin(PortalModelAdmin):
    list_display = ["company", "contact_name", "status", "queue", "owner", "partner_account", "created_at"]
    list_filter = ["status", "queue", ("partner_account", admin.RelatedOnlyFieldListFilter),
                   ("owner", admin.RelatedOnlyFieldListFilter), "source"]
    search_fields = ["company", "first_name", "last_name", "email"]
    date_hierarchy = "created_at"
    list_select_related = ["queue", "owner", "partner_account"]
    actions = ["reassign_leads"]
    fields = ["company", "first_name", "last_name", "email", "phone", "country", "industry",
              "company_size", "source", "description", "status", "owner_with_change_link", "queue_display",
              "partner_account_display", "source_queue", "claimed_at", "holds_claim"]
    readonly_fields = ["owner_with_change_link", "queue_display", "partner_account_display", "source_queue",
                       "claimed_at", "holds_claim"]

    def get_queryset(self, request):
        return lead_list_visible_to(user=request.user)

    def object_allowed(self, request, obj, action):
        return action == "view" or access.lead_can_manage(request.user, obj)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status == Lead.Status.CONVERTED:
            return [f for f in self.fields]
        return self.readonly_fields

    @admin.display(description=_("owner"))
    def owner_with_change_link(self, obj):
        if obj.pk is None:
            return _("Set by the assignment rules when the lead is saved.")
        url = reverse("admin:leads_lead_change_owner", args=[obj.pk])
        return format_html('{} [<a href="{}">{}</a>]', obj.owner or "—", url, _("Change"))

    @admin.display(description=_("queue"))
    def queue_display(self, obj):
        return obj.queue or "—"

    @admin.display(description=_("partner account"))
    def partner_account_display(self, obj):
        return obj.partner_account or "—"

    def save_model(self, request, obj, form, change):
        """Through the services: a new lead is routed (C9) and both get their timeline events."""
        data = {f: form.cleaned_data[f] for f in form.changed_data if f in services.EDITABLE_FIELDS}
        if change:
            services.lead_update(actor=request.user, lead=obj, **data)
        else:
            created = services.lead_create(actor=request.user, channel="admin",
                                           **{f: form.cleaned_data.get(f) or "" for f in LEAD_FIELDS})
            obj.pk = created.pk

    def get_urls(self):
        own = [path("<int:pk>/change-owner/", self.admin_site.admin_view(self.change_owner_view),
                    name="leads_lead_change_owner")]
        return own + super().get_urls()

    def change_owner_view(self, request, pk):
        leads = self.get_queryset(request).filter(pk=pk)
        lead = leads.first()
        if lead is None or not self.has_change_permission(request, lead):
            raise Http404
        return self._reassign(request, leads, reverse("admin:leads_lead_change", args=[pk]))

    @admin.action(description=_("Change owner of the selected leads…"), permissions=["change"])
    def reassign_leads(self, request, queryset):
        return self._reassign(request, queryset, None)

    def _reassign(self, request, queryset, done_url):
        leads = list(queryset.select_related("owner", "queue"))
        if not leads:
            self.message_user(request, _("None of the selected leads is one you manage."), messages.WARNING)
            return HttpResponseRedirect(reverse("admin:leads_lead_changelist"))
        owners = lead_owner_choices_for(user=request.user)
        queues = queue_choices_for(user=request.user)
        form = ReassignForm(request.POST if "apply" in request.POST else None, owners=owners, queues=queues)
        if form.is_bound and form.is_valid():
            try:
                done = services.lead_reassign(actor=request.user, leads=leads, owner=form.cleaned_data["owner"],
                                              queue=form.cleaned_data["queue"], notify=form.cleaned_data["notify"])
            except InvalidTransition as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                target = form.cleaned_data["owner"] or form.cleaned_data["queue"]
                text = _("%(n)s lead(s) now belong to %(target)s.") % {"n": len(done), "target": target}
                if form.cleaned_data["notify"]:
                    text = f"{text} {_('Notification email sent.')}"
                self.message_user(request, text, messages.SUCCESS)
                return HttpResponseRedirect(done_url or reverse("admin:leads_lead_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Change lead owner"),
            "opts": self.model._meta,
            "leads": leads,
            "form": form,
            "action": None if done_url else "reassign_leads",
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/leads/lead/reassign.html", context)


class RoundRobinMemberInline(PortalInlineMixin, admin.TabularInline):
    model = RoundRobinMember
    extra = 2
    raw_id_fields = ["user"]


@admin.register(RoundRobinGroup)
class RoundRobinGroupAdmin(PortalModelAdmin):
    list_display = ["name", "cursor"]
    readonly_fields = ["cursor"]
    inlines = [RoundRobinMemberInline]


@admin.register(AssignmentRule)
class AssignmentRuleAdmin(PortalModelAdmin):
    list_display = ["order", "name", "is_active", "countries", "regions", "industries", "company_sizes", "sources",
                    "keywords", "target", "target_queue", "target_partner_account", "target_user", "target_group",
                    "fallback_queue"]
    list_display_links = ["name"]
    list_editable = ["order", "is_active"]
    raw_id_fields = ["target_user"]


@admin.register(ClaimLimitSettings)
class ClaimLimitSettingsAdmin(PortalModelAdmin):
    list_display = ["__str__", "max_open_per_user", "max_open_per_partner", "updated_at"]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not ClaimLimitSettings.objects.exists()

    def save_model(self, request, obj, form, change):
        saved = services.claim_limits_set(actor=request.user, max_open_per_user=obj.max_open_per_user,
                                          max_open_per_partner=obj.max_open_per_partner)
        obj.pk = saved.pk

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PartnerClaimLimit)
class PartnerClaimLimitAdmin(PortalModelAdmin):
    list_display = ["partner_account", "max_open_per_user", "max_open_per_partner"]


class HolidayInline(PortalInlineMixin, admin.TabularInline):
    model = Holiday
    extra = 3


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(PortalModelAdmin):
    """The working time of service levels: time zone, working days and hours, holidays (issue 13)."""

    list_display = ["name", "time_zone", "working_days", "day_starts", "day_ends"]
    inlines = [HolidayInline]


@admin.register(QueueServiceLevel)
class QueueServiceLevelAdmin(PortalModelAdmin):
    """Each queue's service levels: accept, first touch and progress limits, reminder, grace and cool-down."""

    list_display = ["queue", "calendar", "accept_within_hours", "first_touch_within_hours", "progress_within_days",
                    "remind_at_percent", "grace_hours", "cooldown_hours", "manager"]
    list_select_related = ["queue", "calendar", "manager"]
    raw_id_fields = ["manager"]
