from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "prm_portal.core"
    label = "core"
    verbose_name = _("Portal")

    def ready(self):
        # Every app's event types (<app>/events.py) register on import, as admin.py modules do (STYLE 7).
        autodiscover_modules("events")
        from . import emails  # noqa: F401  registers the outbox's deliver function for emails
