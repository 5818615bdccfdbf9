"""Sharing rules (A3) and the grants they write: which leads, opportunities and referrals partners see beyond
their own.

The rule and the lead and opportunity grant tables were first created by the accounts app; they keep their
tables (`accounts_*`) so no row moved when sharing became its own app above the record apps.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# The record types a rule can share. They stay with PortalSettings (accounts), whose share_* flags say which of
# them are on (the wizard's step 1); sharing names them from here.
from accounts.models import GroupGrantBase, RecordType, UserGrantBase

__all__ = [
    "LeadGroupObjectPermission", "LeadUserObjectPermission", "OpportunityGroupObjectPermission",
    "OpportunityUserObjectPermission", "RecordType", "ReferralGroupObjectPermission", "ReferralUserObjectPermission",
    "SharingRule",
]


class SharingRule(models.Model):
    """A3: records of one type matching the criteria are shared with a partner account or a queue's members."""

    class Access(models.TextChoices):
        READ = "read", _("Read only")
        EDIT = "edit", _("Read and edit")

    record_type = models.CharField(_("record type"), max_length=12, choices=RecordType.choices)
    partner_account = models.ForeignKey(
        "accounts.PartnerAccount",
        verbose_name=_("partner account"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sharing_rules",
    )
    queue = models.ForeignKey(
        "leads.Queue",
        verbose_name=_("queue"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sharing_rules",
    )
    country = models.CharField(_("country"), max_length=2, blank=True, help_text=_("Blank: any country."))
    industry = models.CharField(_("industry"), max_length=80, blank=True, help_text=_("Blank: any industry."))
    access = models.CharField(_("access"), max_length=4, choices=Access.choices, default=Access.READ)
    group = models.OneToOneField(
        "auth.Group", null=True, blank=True, editable=False, on_delete=models.SET_NULL, related_name="sharing_rule",
        help_text=_("Holds this rule's object permissions: one grant per record, whatever the number of grantees."),
    )
    position = models.PositiveSmallIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "accounts_sharingrule"
        ordering = ["position", "id"]
        verbose_name = _("sharing rule")
        verbose_name_plural = _("sharing rules")
        constraints = [
            models.CheckConstraint(
                name="sharing_rule_one_grantee",
                condition=(
                    Q(partner_account__isnull=False, queue__isnull=True)
                    | Q(partner_account__isnull=True, queue__isnull=False)
                ),
            ),
        ]

    def __str__(self):
        return f"{self.get_record_type_display()} → {self.partner_account or self.queue}"


# Direct foreign-key object permissions (django-guardian): one table per shared model, never the generic ones.
# `sharing_rule` marks the grants a sharing rule made, so re-applying the rules replaces exactly those.


class LeadUserObjectPermission(UserGrantBase):
    content_object = models.ForeignKey("leads.Lead", on_delete=models.CASCADE)
    sharing_rule = models.ForeignKey(SharingRule, null=True, blank=True, on_delete=models.CASCADE, related_name="+")

    class Meta(UserGrantBase.Meta):
        abstract = False
        db_table = "accounts_leaduserobjectpermission"


class LeadGroupObjectPermission(GroupGrantBase):
    content_object = models.ForeignKey("leads.Lead", on_delete=models.CASCADE)
    sharing_rule = models.ForeignKey(SharingRule, null=True, blank=True, on_delete=models.CASCADE, related_name="+")

    class Meta(GroupGrantBase.Meta):
        abstract = False
        db_table = "accounts_leadgroupobjectpermission"


class OpportunityUserObjectPermission(UserGrantBase):
    content_object = models.ForeignKey("opportunities.Opportunity", on_delete=models.CASCADE)
    sharing_rule = models.ForeignKey(SharingRule, null=True, blank=True, on_delete=models.CASCADE, related_name="+")

    class Meta(UserGrantBase.Meta):
        abstract = False
        db_table = "accounts_opportunityuserobjectpermission"


class OpportunityGroupObjectPermission(GroupGrantBase):
    content_object = models.ForeignKey("opportunities.Opportunity", on_delete=models.CASCADE)
    sharing_rule = models.ForeignKey(SharingRule, null=True, blank=True, on_delete=models.CASCADE, related_name="+")

    class Meta(GroupGrantBase.Meta):
        abstract = False
        db_table = "accounts_opportunitygroupobjectpermission"


class ReferralUserObjectPermission(UserGrantBase):
    content_object = models.ForeignKey("referrals.Referral", on_delete=models.CASCADE)
    sharing_rule = models.ForeignKey(SharingRule, null=True, blank=True, on_delete=models.CASCADE, related_name="+")

    class Meta(UserGrantBase.Meta):
        abstract = False


class ReferralGroupObjectPermission(GroupGrantBase):
    content_object = models.ForeignKey("referrals.Referral", on_delete=models.CASCADE)
    sharing_rule = models.ForeignKey(SharingRule, null=True, blank=True, on_delete=models.CASCADE, related_name="+")

    class Meta(GroupGrantBase.Meta):
        abstract = False
