"""The portal's kinds of notification: what a person chooses a delivery for, and the email templates of each.

Apps added later may register their own kinds with prm_portal.core.notify.notification_kind_register in their
AppConfig.ready; an email whose template no kind names is sent at once, without preferences.
"""

from django.utils.translation import gettext_lazy as _

from prm_portal.core.notify import notification_kind_register

DIGEST = "digest"  # the daily digest itself: always sent; its unsubscribe turns off what it gathers

notification_kind_register(
    "account_password", _("Password emails"), mandatory=True, templates=("password_reset",),
    description=_("Links to set or reset your password."))
notification_kind_register(
    "account_welcome", _("Welcome emails"), mandatory=True, templates=("partner_welcome",),
    description=_("Your invitation to the portal."))
notification_kind_register(
    "system_test", _("Test emails"), mandatory=True, templates=("test_ping",),
    description=_("Emails an administrator sends to check delivery."))
notification_kind_register(
    "lead_assigned", _("Leads given to me"), templates=("lead_assigned", "lead_digest"), audience="partner",
    description=_("A lead (or several) was assigned to you."))
notification_kind_register(
    "lead_sla_reminder", _("Service-level reminders"), templates=("lead_sla_reminder",),
    audience="partner", description=_("A lead you hold, or one waiting in your queue, is running out of time."))
notification_kind_register(
    "lead_recalled", _("Leads taken back from me"), templates=("lead_recalled",), audience="partner",
    description=_("A lead you held went back to its queue because its time ran out."))
notification_kind_register(
    "lead_sla_escalation", _("Service-level breaches"), templates=("lead_sla_escalation",), audience="staff",
    description=_("A lead of a partner you manage, or of a queue you manage, ran out of time."))
notification_kind_register(
    "referral_received", _("Referrals received"), templates=("referral_received",), audience="partner",
    description=_("A new referral for your company."))
notification_kind_register(
    "referral_decision", _("Referral decisions"),
    templates=("referral_declined", "referral_won", "referral_lost", "referral_registration_reviewed"),
    description=_("A referral you sent was declined, won or lost; a deal registration was reviewed."))
notification_kind_register(
    "referral_expiry", _("Referral expiry"), templates=("referral_expiry_reminder", "referral_expired"),
    description=_("A referral is about to expire, or expired unanswered."))
notification_kind_register(
    DIGEST, _("Daily digest"), templates=("notification_digest",),
    description=_("One email a day gathering the notifications you chose to receive that way."))
