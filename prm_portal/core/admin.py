from django.contrib import admin, messages
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .apitokens import api_token_revoke
from .events import event_sentence
from .models import ActivityEvent, ApiToken, EmailTemplate, OutboxMessage, Resource
from .outbox import outbox_retry


@admin.register(EmailTemplate)
class EmailTemplateAdmin(admin.ModelAdmin):
    """Vendor admins edit each email's subject and bodies per language (F2)."""

    list_display = ["key", "language", "subject", "updated_at"]
    list_filter = ["key", "language"]
    search_fields = ["key", "subject"]


def _is_vendor_admin(request):
    return request.user.is_authenticated and request.user.is_vendor_admin


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """The outbox (F3): what was sent, what is waiting, what failed and why; "Retry" puts Failed rows back.
    Vendor admins only; nothing is added or edited here, and an email's content (links, tokens) is not shown."""

    list_display = ["created_at", "kind", "recipient", "subject_or_template", "status", "attempts", "next_attempt_at",
                    "sent_at", "error"]
    list_filter = ["status", "kind"]
    search_fields = ["idempotency_key", "message_id", "payload__to"]
    date_hierarchy = "created_at"
    actions = ["retry"]
    fields = ["kind", "idempotency_key", "recipient", "template", "summary", "status", "attempts", "next_attempt_at",
              "lease_until", "last_error", "message_id", "created_at", "sent_at"]
    readonly_fields = fields

    def _is_allowed(self, request):
        return _is_vendor_admin(request)

    def has_module_permission(self, request):
        return self._is_allowed(request)

    def has_view_permission(self, request, obj=None):
        return self._is_allowed(request)

    def has_change_permission(self, request, obj=None):
        # The list's "Retry" action, never the form: a message's page is read-only.
        return obj is None and self._is_allowed(request)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("recipient"))
    def recipient(self, obj):
        return obj.payload.get("to", "")

    @admin.display(description=_("template"))
    def template(self, obj):
        return obj.payload.get("template_key", "")

    @admin.display(description=_("subject"))
    def subject_or_template(self, obj):
        return obj.summary or obj.payload.get("template_key", "")

    @admin.display(description=_("last error"))
    def error(self, obj):
        return Truncator(obj.last_error).chars(120)

    @admin.action(description=_("Retry the selected failed messages"), permissions=["change"])
    def retry(self, request, queryset):
        selected = list(queryset.values_list("pk", flat=True))
        count = outbox_retry(actor=request.user, ids=selected)
        self.message_user(
            request,
            ngettext("%(count)d failed message is queued again.", "%(count)d failed messages are queued again.",
                     count) % {"count": count},
            messages.SUCCESS if count else messages.WARNING,
        )
        if len(selected) > count:
            left = len(selected) - count
            self.message_user(
                request,
                ngettext("%(count)d selected message was not Failed and is left as it was.",
                         "%(count)d selected messages were not Failed and are left as they were.",
                         left) % {"count": left},
                messages.WARNING,
            )


@admin.register(ActivityEvent)
class ActivityEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "what", "content_type", "object_id", "actor", "partner_account"]
    list_filter = ["content_type"]
    date_hierarchy = "created_at"
    fields = readonly_fields = ["created_at", "what", "content_type", "object_id", "actor", "partner_account", "data"]

    @admin.display(description=_("what happened"))
    def what(self, obj):
        return event_sentence(obj, viewer=None)  # the admin is vendor staff's: everyone by name

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "content_type", "object_id", "created_by", "created_at"]
    list_filter = ["kind"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Every person's API tokens (vendor admins: the admin site lets no one else in here). Nothing is made or edited
    here (a person makes their own on their profile, and the secret is never stored); "Revoke" stops a token at once."""

    list_display = ["name", "user", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "user__email"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    actions = ["revoke"]
    fields = ["user", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at", "revoked_by"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # The list's "Revoke" action, never the form: a token's page is read-only.
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Revoke the selected API tokens"), permissions=["change"])
    def revoke(self, request, queryset):
        revoked = 0
        for token in queryset.filter(revoked_at__isnull=True):
            api_token_revoke(actor=request.user, token=token)
            revoked += 1
        self.message_user(
            request,
            ngettext("%(count)d token is revoked.", "%(count)d tokens are revoked.", revoked) % {"count": revoked},
            messages.SUCCESS if revoked else messages.WARNING,
        )
