from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinderConfig(AppConfig):
    name = "finder"
    verbose_name = _("Partner finder")

    def ready(self):
        # Referrals never import the finder: it takes charge of its customers' inquiries through their registry.
        from referrals.services import register_inquiry_handler

        from .services import finder_inquiry_declined, finder_inquiry_reoffer_expired

        register_inquiry_handler(on_declined=finder_inquiry_declined, after_expiry=finder_inquiry_reoffer_expired)
