"""Referrals: inbound leads sent to a partner, outbound co-sell deals, their sales stages and registration (E1-E13)."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

FLAME_HOURS = 72


class SalesStage(models.TextChoices):
    """The standard sales stages (E10); `SALES_STAGE_PERCENT` gives each its percentage."""

    CREATED = "created", pgettext_lazy("sales stage", "Created")
    ACCEPTED = "accepted", pgettext_lazy("sales stage", "Accepted")
    SECURING_LOE = "securing_loe", _("Securing customer LOE")
    DATA_COLLECTION = "data_collection", _("Data collection")
    PREPARING_REPORT = "preparing_report", _("Preparing assessment report")
    PRESENT_TO_CUSTOMER = "present_to_customer", _("Present to customer")
    WON = "won", pgettext_lazy("sales stage", "Won")


SALES_STAGE_PERCENT = {
    SalesStage.CREATED: 10,
    SalesStage.ACCEPTED: 10,
    SalesStage.SECURING_LOE: 20,
    SalesStage.DATA_COLLECTION: 40,
    SalesStage.PREPARING_REPORT: 60,
    SalesStage.PRESENT_TO_CUSTOMER: 80,
    SalesStage.WON: 100,
}
SALES_STAGE_ORDER = list(SalesStage.values)
# The stages a partner marks by hand between acceptance and Won.
WORK_STAGES = [
    SalesStage.SECURING_LOE,
    SalesStage.DATA_COLLECTION,
    SalesStage.PREPARING_REPORT,
    SalesStage.PRESENT_TO_CUSTOMER,
]


class Referral(models.Model):
    class Type(models.TextChoices):
        CUSTOMER_INQUIRY = "customer_inquiry", _("Customer inquiry")
        MARKETING_QUALIFIED = "marketing_qualified", _("Marketing qualified")
        SALES_QUALIFIED = "sales_qualified", _("Sales qualified")
        CO_SELL = "co_sell", _("Co-sell deal")

    class Direction(models.TextChoices):
        INBOUND = "inbound", _("Inbound")
        OUTBOUND = "outbound", _("Outbound")

    class DealType(models.TextChoices):
        SOLUTION_ASSESSMENT = "solution_assessment", _("Solution assessment")
        CO_SELL = "co_sell", _("Co-sell")
        SERVICES = "services", _("Services")
        LICENSING = "licensing", _("Licensing")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        ACCEPTED = "accepted", _("Accepted")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")
        DECLINED = "declined", _("Declined")
        EXPIRED = "expired", _("Expired")

    OPEN_STATUSES = (Status.RECEIVED, Status.ACCEPTED)
    CLOSED_STATUSES = (Status.WON, Status.LOST, Status.DECLINED, Status.EXPIRED)

    class DeclineReason(models.TextChoices):
        NO_BUDGET = "no_budget", _("No budget")
        NO_RESPONSE = "no_response", _("No response from the customer")
        OTHER_VENDOR = "other_vendor", _("Customer chose another vendor")
        REQUIREMENT_NOT_MET = "requirement_not_met", _("Requirement not met")
        NOT_A_CUSTOMER = "not_a_customer", _("Not a customer")
        TIMELINE_TOO_SHORT = "timeline_too_short", _("Timeline too short")
        SPAM = "spam", _("Spam")
        OTHER = "other", _("Other")

    class CompanySize(models.TextChoices):
        MICRO = "1-9", _("1–9 employees")
        SMALL = "10-49", _("10–49 employees")
        MEDIUM = "50-249", _("50–249 employees")
        LARGE = "250-999", _("250–999 employees")
        ENTERPRISE = "1000+", _("1,000+ employees")

    referral_type = models.CharField(_("referral type"), max_length=20, choices=Type.choices)
    # One inquiry offered to partner after partner (E13) keeps one id, so it is never offered twice to the same one.
    inquiry = models.UUIDField(_("inquiry"), default=uuid.uuid4, editable=False, db_index=True)
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices)
    deal_type = models.CharField(_("deal type"), max_length=20, choices=DealType.choices, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RECEIVED)
    # No index of its own: referral_partner_status_idx starts with it (every write of a referral updated both).
    partner_account = models.ForeignKey(
        "accounts.PartnerAccount", verbose_name=_("partner"), on_delete=models.PROTECT, related_name="referrals",
        db_index=False,
    )
    # Fixed at creation (E8): services never change it and a database trigger refuses an UPDATE that would.
    location = models.ForeignKey(
        "accounts.PartnerLocation", verbose_name=_("location"), on_delete=models.PROTECT, related_name="referrals"
    )

    # Who sent it: a vendor user, another partner's user, or (marketplace) the customer.
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("sender"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="sent_referrals",
    )
    sender_name = models.CharField(_("sender name"), max_length=200, blank=True)
    sender_email = models.EmailField(_("sender email"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # The customer and what they need.
    customer_name = models.CharField(_("customer"), max_length=200)
    customer_duns = models.CharField(_("DUNS number"), max_length=13, blank=True)
    customer_city = models.CharField(_("customer city"), max_length=120, blank=True)
    customer_country = models.CharField(_("customer country"), max_length=2, blank=True)
    customer_size = models.CharField(_("company size"), max_length=10, choices=CompanySize.choices, blank=True)
    customer_industry = models.CharField(_("industry"), max_length=80, blank=True)
    need = models.TextField(_("customer need"), blank=True)
    keywords = models.JSONField(_("keywords"), default=list, blank=True)
    contact_name = models.CharField(_("contact name"), max_length=200, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_notes = models.TextField(_("notes for the contact"), blank=True)
    contact_consent = models.BooleanField(_("customer agreed to share contact details"), default=False)
    contact_requested_at = models.DateTimeField(
        _("customer asked to be contacted at"), null=True, blank=True,
        help_text=_("Shows the flame alert (E5)."),
    )

    # The deal, filled on acceptance (inbound) or creation (outbound).
    name = models.CharField(_("deal name"), max_length=200, blank=True)
    estimated_value = models.DecimalField(_("estimated value"), max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    estimated_close_date = models.DateField(_("estimated close date"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    crm_id = models.CharField(_("CRM ID"), max_length=100, blank=True)
    campaign_id = models.CharField(_("campaign ID"), max_length=100, blank=True)
    sales_stage = models.CharField(
        _("sales stage"), max_length=20, choices=SalesStage.choices, default=SalesStage.CREATED
    )

    decline_reason = models.CharField(_("decline reason"), max_length=20, choices=DeclineReason.choices, blank=True)
    close_notes = models.TextField(_("closing notes"), blank=True)
    lost_reason = models.CharField(_("lost reason"), max_length=200, blank=True)

    received_at = models.DateTimeField(_("received"), default=timezone.now)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    expiry_reminder_sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Added one by every write service, under the row lock; forms and API clients send back the one they read.
    version = models.PositiveIntegerField(_("version"), default=1, db_default=1, editable=False)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        indexes = [
            # The expiry task's scan (E4): only received referrals, by age.
            models.Index(fields=["received_at"], name="referral_received_due_idx", condition=Q(status="received")),
            models.Index(fields=["partner_account", "status", "-received_at"], name="referral_partner_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                name="referral_closed_has_closed_at",
                condition=Q(status__in=["received", "accepted"]) | Q(closed_at__isnull=False),
            ),
        ]

    def __str__(self):
        return self.name or self.customer_name

    @property
    def title(self):
        return self.name or self.customer_name

    @property
    def is_open(self):
        return self.status in self.OPEN_STATUSES

    @property
    def is_closed(self):
        return self.status in self.CLOSED_STATUSES

    @property
    def probability(self):
        if self.status == self.Status.WON:
            return 100
        if self.status in (self.Status.LOST, self.Status.DECLINED, self.Status.EXPIRED):
            return 0
        return SALES_STAGE_PERCENT.get(self.sales_stage, 0)

    @property
    def expires_at(self):
        if self.status != self.Status.RECEIVED:
            return None
        return self.received_at + timedelta(days=settings.REFERRAL_EXPIRY_DAYS)

    def flame(self, now=None):
        """'' when the customer did not ask to be contacted; 'hot' in the first 72 hours; 'later' afterwards."""
        if not self.contact_requested_at or not self.is_open:
            return ""
        now = now or timezone.now()
        return "hot" if now - self.contact_requested_at < timedelta(hours=FLAME_HOURS) else "later"

    @property
    def is_solution_assessment(self):
        return self.deal_type == self.DealType.SOLUTION_ASSESSMENT


class TeamMember(models.Model):
    """Someone working on the referral (E3, E6, E9); linked to a portal user when the email is one of the partner's."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="team_members")
    name = models.CharField(pgettext_lazy("person", "name"), max_length=200)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="referral_teams"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["referral", "user"], name="team_member_unique_user", condition=Q(user__isnull=False)
            ),
        ]

    def __str__(self):
        return self.name


class Favorite(models.Model):
    """A heart on a referral, per user (E2)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favorite_referrals",
                             db_index=False)  # favorite_unique starts with it
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="favorites")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "referral"], name="favorite_unique")]

    def __str__(self):
        return f"{self.user_id} ♥ {self.referral_id}"


class Solution(models.Model):
    """A solution on an outbound deal; fixed after creation (E9)."""

    class Kind(models.TextChoices):
        SOLUTION_ASSESSMENT = "solution_assessment", _("Solution assessment")
        PRODUCT = "product", _("Product or service")

    class AssessmentType(models.TextChoices):
        CLOUD_MIGRATION = "cloud_migration", _("Cloud migration assessment")
        SECURITY = "security", _("Security assessment")
        DATA_AI = "data_ai", _("Data and AI assessment")
        MODERN_WORK = "modern_work", _("Modern work assessment")
        COST_OPTIMISATION = "cost_optimisation", _("Cost optimisation assessment")

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="solutions")
    kind = models.CharField(_("solution type"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("solution"), max_length=200, blank=True)
    assessment_type = models.CharField(
        _("assessment type"), max_length=20, choices=AssessmentType.choices, blank=True
    )

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.get_assessment_type_display() if self.assessment_type else self.name


class StageMark(models.Model):
    """A sales stage the partner marked done (E10)."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="stage_marks",
                                 db_index=False)  # stage_mark_unique starts with it
    stage = models.CharField(max_length=20, choices=SalesStage.choices)
    marked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    marked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["marked_at", "id"]
        constraints = [models.UniqueConstraint(fields=["referral", "stage"], name="stage_mark_unique")]

    def __str__(self):
        return f"{self.referral_id}: {self.stage}"


class DealRegistration(models.Model):
    """The registration a won, eligible deal asks for; vendor staff review it (E11)."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Waiting for review")
        MORE_INFO = "more_info", _("More information requested")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    referral = models.OneToOneField(Referral, on_delete=models.CASCADE, related_name="registration")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    contract_value = models.DecimalField(_("contract value"), max_digits=14, decimal_places=2)
    contract_signed_on = models.DateField(_("contract signed on"))
    customer_po = models.CharField(_("customer purchase order"), max_length=100, blank=True)
    details = models.TextField(_("registration details"))
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField(default=timezone.now)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.TextField(_("reviewer's comment"), blank=True)
    # Added one by every write service, under the row lock; forms and API clients send back the one they read.
    version = models.PositiveIntegerField(_("version"), default=1, db_default=1, editable=False)

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name = _("deal registration")

    def __str__(self):
        return f"Registration of {self.referral}"
