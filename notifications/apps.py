from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    """Above the record apps: each person's choice, per kind of notification, of immediate email, a daily digest
    or nothing; the digests; and the signed one-click unsubscribe (issue 13). Core's emails reach it through the
    hooks of prm_portal.core.notify, registered here."""

    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from prm_portal.core.notify import notification_hooks_register

        from . import kinds  # noqa: F401  (registers the portal's kinds of notification)
        from .routing import notification_messages_route, unsubscribe_url_for

        notification_hooks_register(route=notification_messages_route, unsubscribe_url=unsubscribe_url_for)
