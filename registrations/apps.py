from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistrationsConfig(AppConfig):
    name = "registrations"
    verbose_name = _("Deal registration and channel conflicts")

    def ready(self):
        """Above the record apps: hears of every new lead, opportunity and outbound deal through the access
        policy's record-created hook (conflict detection in the creating transaction), and tells core which
        registrations a person may see (Recent Items)."""
        from accounts import access
        from prm_portal.core.visibility import visibility_register

        from .selectors import registration_list_visible_to
        from .services import conflict_detect_record

        access.register_record_created_hook(conflict_detect_record)
        visibility_register("registrations.registration", registration_list_visible_to)
        _notification_kinds()


def _notification_kinds():
    """The kinds of email a person may choose a delivery for (at once, daily digest, none)."""
    from prm_portal.core.notify import notification_kind_register

    notification_kind_register(
        "registration_decision", _("Deal registration outcomes"), audience="partner",
        templates=("registration_decided", "registration_under_review", "registration_review_finished"),
        description=_("Your deal registration was approved, rejected, needs more information or is under review."))
    notification_kind_register(
        "registration_protection", _("Deal registration protection"), audience="partner",
        templates=("registration_protection",),
        description=_("The protection of your deal registration ends soon, lapsed or was extended."))
    notification_kind_register(
        "registration_review", _("Deal registrations and conflicts to decide"), audience="staff",
        templates=("registration_submitted", "registration_renewal_requested", "conflict_opened"),
        description=_("A partner you manage registered a deal or asks for an extension; a channel conflict "
                      "waits for your decision."))
