from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeadsConfig(AppConfig):
    name = "leads"
    verbose_name = _("Leads")

    def ready(self):
        from prm_portal.core.visibility import visibility_register

        from .selectors import lead_list_visible_to

        visibility_register("leads.lead", lead_list_visible_to)

        # Saving a calendar, a holiday or a service level drops this process's cached service levels (a cache,
        # not a state change: the rows themselves are written by the admin).
        from django.db.models.signals import post_delete, post_save

        from .models import BusinessCalendar, Holiday, QueueServiceLevel
        from .services.sla import service_levels_forget

        for model in (BusinessCalendar, Holiday, QueueServiceLevel):
            post_save.connect(service_levels_forget, sender=model, dispatch_uid=f"sla-forget-save-{model.__name__}")
            post_delete.connect(service_levels_forget, sender=model,
                                dispatch_uid=f"sla-forget-delete-{model.__name__}")
