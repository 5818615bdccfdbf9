"""Each person's choice of delivery per kind of notification, their digest time, and the digests (issue 13)."""

import datetime

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Delivery(models.TextChoices):
    IMMEDIATE = "immediate", _("Immediately")
    DIGEST = "digest", _("In my daily digest")
    NONE = "none", _("Never")


class NotificationSettings(models.Model):
    """When a person's daily digest goes out: a time of day in their own time zone (their profile's)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE,
                                related_name="notification_settings")
    digest_time = models.TimeField(_("daily digest at"), default=datetime.time(8, 0))

    class Meta:
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")

    def __str__(self):
        return f"{self.user_id}: {self.digest_time}"


class NotificationPreference(models.Model):
    """A person's delivery for one kind; no row means immediately."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notification_preferences",
                             db_index=False)  # notification_preference_unique starts with it
    kind = models.CharField(_("kind"), max_length=40)
    delivery = models.CharField(_("delivery"), max_length=10, choices=Delivery.choices, default=Delivery.IMMEDIATE)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_unique")]
        indexes = [
            # The router's question for every batch of emails: does anyone want anything but "immediately"?
            models.Index(fields=["user", "kind"], condition=~Q(delivery="immediate"), name="notification_pref_set_idx"),
        ]

    def __str__(self):
        return f"{self.user_id}: {self.kind} → {self.delivery}"


class NotificationPolicy(models.Model):
    """A kind the vendor makes mandatory: sent at once to everyone, whatever their preference."""

    kind = models.CharField(_("kind"), max_length=40, unique=True)
    mandatory = models.BooleanField(_("mandatory"), default=True,
                                    help_text=_("Sent to everyone at once; nobody can turn it off or delay it."))

    class Meta:
        verbose_name = _("notification policy")
        verbose_name_plural = _("notification policies")

    def __str__(self):
        from prm_portal.core.notify import notification_kind_get

        kind = notification_kind_get(self.kind)
        return str(kind.label) if kind else self.kind


class Digest(models.Model):
    """One daily digest of one person: at most one per digest time (the slot), so a second run sends nothing."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             db_index=False)  # digest_one_per_slot starts with it
    slot = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "slot"], name="digest_one_per_slot")]

    def __str__(self):
        return f"{self.user_id} @ {self.slot}"


class DigestItem(models.Model):
    """An email a person chose to get in their digest, kept (with its template and context) until the digest."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=40)
    idempotency_key = models.CharField(max_length=200, unique=True)
    template_key = models.CharField(max_length=60)
    context = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True)
    digest = models.ForeignKey(Digest, null=True, blank=True, on_delete=models.SET_NULL, related_name="items")

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["user", "created_at"], condition=Q(digest__isnull=True),
                                name="digest_item_pending_idx")]

    def __str__(self):
        return f"{self.user_id}: {self.template_key}"
