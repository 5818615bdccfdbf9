from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeadsConfig(AppConfig):
    name = "leads"
    verbose_name = _("Leads")

    def ready(self):
        from prm_portal.core.visibility import visibility_register

        from .selectors import lead_list_visible_to

        visibility_register("leads.lead", lead_list_visible_to)
