from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_default_stages(sender, using="default", **kwargs):
    """Stages are reference data: a fresh database (or one flushed between transactional tests) gets them."""
    from .services import stages_ensure_default

    stages_ensure_default(using=using)


class OpportunitiesConfig(AppConfig):
    name = "opportunities"
    verbose_name = _("Opportunities")

    def ready(self):
        from prm_portal.core.visibility import visibility_register

        from .selectors import opportunity_list_visible_to

        visibility_register("opportunities.opportunity", opportunity_list_visible_to)
        post_migrate.connect(_ensure_default_stages, sender=self, dispatch_uid="opportunities_default_stages")
