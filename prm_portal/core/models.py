"""What every app shares: the activity timeline, recent items, email templates and the outbox."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ActivityEvent(models.Model):
    """One change to one record, written by the service that made it, in the same transaction."""

    # No index of its own: activity_target_idx (content_type, object_id, created_at) starts with it (every event a
    # set-based service writes, a million at a time in `make bench-expiry`, would update both).
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, db_index=False)
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    verb = models.CharField(_("what happened"), max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    partner_account = models.ForeignKey(
        "accounts.PartnerAccount", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "created_at"], name="activity_target_idx")]

    def __str__(self):
        from .events import event_sentence  # the sentence, never the code (events imports this module)

        return event_sentence(self, viewer=None)


class RecentItem(models.Model):
    """A record the user opened or claimed lately, for the Recent Items sidebar (B5)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recent_items",
                             db_index=False)  # recent_item_unique and recent_item_user_idx start with it
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    label = models.CharField(max_length=200)
    url = models.CharField(max_length=300)
    touched_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-touched_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "content_type", "object_id"], name="recent_item_unique")
        ]
        indexes = [models.Index(fields=["user", "-touched_at"], name="recent_item_user_idx")]

    def __str__(self):
        return self.label


class EmailTemplate(models.Model):
    """An admin-edited version of one email (F2); without one, the file template is used."""

    key = models.CharField(_("email"), max_length=60, help_text=_("e.g. partner_welcome, lead_assigned"))
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")
    subject = models.CharField(_("subject"), max_length=200)
    body_text = models.TextField(_("text body"))
    body_html = models.TextField(_("HTML body"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key", "language"]
        constraints = [models.UniqueConstraint(fields=["key", "language"], name="email_template_unique")]

    def __str__(self):
        return f"{self.key} ({self.language})"


class OutboxMessage(models.Model):
    """A message the portal owes someone (an email; later a webhook), written in the transaction of the change that
    causes it and delivered by the relay (prm_portal.core.outbox) after commit: the source of truth (F1, F3).

    `kind` picks the deliver function registered for it; `payload` is what that function needs (for an email:
    template_key, to, context, language). The relay leases a row (Sending until `lease_until`), delivers it outside
    any transaction, then records Sent, or Pending again with a backoff, or Failed after the last attempt."""

    class Kind(models.TextChoices):
        EMAIL = "email", _("Email")
        WEBHOOK = "webhook", _("Webhook")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.EMAIL)
    # Unique by a constraint, not unique=True: that would add a second (pattern) index no query of ours uses, and
    # every message written updates every index (`make bench-expiry` writes a million).
    idempotency_key = models.CharField(_("idempotency key"), max_length=200)
    payload = models.JSONField(_("payload"), default=dict, encoder=DjangoJSONEncoder)
    message_id = models.CharField(_("Message-ID"), max_length=255)
    summary = models.CharField(_("summary"), max_length=250, blank=True, help_text=_("e.g. the email's subject"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    lease_until = models.DateTimeField(_("leased until"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The relay's pick: due rows, pending or with an expired lease (a claim moves next_attempt_at to the
            # lease's end), oldest first.
            models.Index(
                fields=["next_attempt_at", "id"], name="outbox_due_idx",
                condition=models.Q(status__in=["pending", "sending"]),
            ),
            models.Index(fields=["status", "-created_at"], name="outbox_status_idx"),
        ]
        constraints = [models.UniqueConstraint(fields=["idempotency_key"], name="outbox_idempotency_key_uniq")]

    def __str__(self):
        return f"{self.kind} {self.idempotency_key} ({self.status})"


class Resource(models.Model):
    """A note, link or file a channel manager (or partner) attaches to a record (C10, D3)."""

    class Kind(models.TextChoices):
        NOTE = "note", _("Note")
        LINK = "link", _("Link")
        FILE = "file", _("File")

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, db_index=False)  # resource_target_idx
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    kind = models.CharField(_("kind"), max_length=4, choices=Kind.choices)
    title = models.CharField(pgettext_lazy("resource title", "title"), max_length=200)
    body = models.TextField(_("note"), blank=True)
    url = models.URLField(_("link"), blank=True)
    file = models.FileField(_("file"), upload_to="resources/%Y/%m/", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="resource_target_idx")]

    def __str__(self):
        return self.title


class ApiToken(models.Model):
    """A person's key to the REST API, for one client (e.g. "CRM sync"), created and revoked on their own page.

    Only a SHA-256 of the secret is kept: the secret is shown once, when it is made (prm_portal.core.apitokens).
    A token works until it expires or is revoked, and never for a deactivated person."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens",
                             verbose_name=_("user"), db_index=False)  # api_token_user_idx starts with it
    name = models.CharField(_("client"), max_length=100, help_text=_("What uses the token, e.g. CRM sync."))
    prefix = models.CharField(_("starts with"), max_length=16, help_text=_("The secret's first characters."))
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("revoked by"))

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="api_token_user_idx")]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    def is_active(self, now=None) -> bool:
        return self.revoked_at is None and self.expires_at > (now or timezone.now())
