"""Signed webhooks (H5): endpoints that chose event types, one delivery per event and endpoint (sent through the
outbox, kind "webhook"), and the log of every attempt."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class WebhookEndpoint(models.Model):
    """An HTTPS address that receives the chosen events. A vendor admin's (no partner) hears of every event; a
    partner admin's only of records that admin may see (`created_by` is the one whose sight scopes it)."""

    url = models.URLField(_("address"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    partner_account = models.ForeignKey(
        "accounts.PartnerAccount", verbose_name=_("partner"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="webhook_endpoints",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    event_types = models.JSONField(_("event types"), default=list)
    secret = models.CharField(_("signing secret"), max_length=100, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    disabled_at = models.DateTimeField(_("disabled"), null=True, blank=True)
    disabled_reason = models.CharField(_("why disabled"), max_length=300, blank=True)
    # The first failed attempt since the last success: failing for WEBHOOK_DISABLE_AFTER_HOURS disables it.
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        indexes = [models.Index(fields=["is_active"], name="webhook_active_idx", condition=Q(is_active=True))]

    def __str__(self):
        return self.url


class WebhookDelivery(models.Model):
    """One event for one endpoint: its Standard Webhooks id and the JSON body, fixed when the event happened (what
    the owner could see then). Sent by the outbox row named `message_key`; a resend queues another row."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries",
                                 db_index=False)  # webhook_delivery_log_idx starts with it
    event_type = models.CharField(_("event type"), max_length=40)
    webhook_id = models.CharField(_("webhook id"), max_length=64, unique=True)
    payload = models.JSONField(_("payload"))
    message_key = models.CharField(max_length=200, blank=True)
    resends = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_log_idx")]

    def __str__(self):
        return self.webhook_id


class WebhookAttempt(models.Model):
    """One POST of a delivery: the answer's status code (none when the endpoint could not be reached)."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts")
    status_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.delivery_id}: {self.status_code or self.error}"

    @property
    def succeeded(self):
        return self.status_code is not None and 200 <= self.status_code < 300
