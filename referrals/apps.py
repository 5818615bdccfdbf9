from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = _("Referrals")

    def ready(self):
        from prm_portal.core.visibility import visibility_register

        from .selectors import referral_list_visible_to

        visibility_register("referrals.referral", referral_list_visible_to)
