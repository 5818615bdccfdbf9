from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SharingConfig(AppConfig):
    name = "sharing"
    verbose_name = _("Sharing")

    def ready(self):
        """Sharing sits above the record apps: it tells the access policy what it shares, and asks to hear of
        every new lead, opportunity and referral so the rules in force cover it too, and of every change to what the
        rules match on."""
        from accounts import access

        from .selectors import shared_pks_q
        from .services import sharing_grant_record, sharing_regrant_record

        access.register_share_provider(shared_pks_q)
        access.register_record_created_hook(sharing_grant_record)
        access.register_record_changed_hook(sharing_regrant_record)
