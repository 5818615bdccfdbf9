from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self):
        """Above the record apps: hears of every event through core's listener registry, and delivers the
        outbox's "webhook" messages (importing services registers the deliverer)."""
        from prm_portal.core.listeners import register_event_listener

        from .services import webhooks_on_event, webhooks_on_events

        register_event_listener(webhooks_on_event, bulk=webhooks_on_events)
        from prm_portal.core.notify import notification_kind_register

        notification_kind_register(
            "webhook_disabled", _("Webhook endpoints disabled"), mandatory=True,
            templates=("webhook_endpoint_disabled",),
            description=_("An endpoint you own kept failing and was disabled."))
