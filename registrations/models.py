"""Deal registration before the deal (H3) and channel conflicts between records of the same customer (H4)."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

CURRENCIES = [("EUR", "EUR"), ("USD", "USD"), ("GBP", "GBP"), ("CZK", "CZK"), ("PLN", "PLN")]


class Registration(models.Model):
    """An opportunity a partner found itself and registers to protect its margin; its channel manager reviews it.
    Approved, it is protected until `protected_until` (then it lapses unless extended) and owns an opportunity."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Waiting for review")
        MORE_INFO = "more_info", _("More information requested")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        LAPSED = "lapsed", _("Lapsed")
        CLOSED = "closed", _("Closed after review")

    OPEN_STATUSES = (Status.SUBMITTED, Status.MORE_INFO, Status.APPROVED)

    partner_account = models.ForeignKey(
        "accounts.PartnerAccount", verbose_name=_("partner"), on_delete=models.PROTECT,
        related_name="deal_registrations", db_index=False,  # registration_partner_idx starts with it
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("registered by"), null=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    customer_name = models.CharField(_("customer"), max_length=200)
    customer_country = models.CharField(_("customer country"), max_length=2)
    customer_duns = models.CharField(_("DUNS number"), max_length=13, blank=True)
    customer_domain = models.CharField(_("web domain"), max_length=200, blank=True)
    contact_name = models.CharField(_("contact name"), max_length=200)
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    products = models.TextField(_("products or solutions"))
    estimated_value = models.DecimalField(_("estimated value"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCIES, default="EUR")
    estimated_close_date = models.DateField(_("estimated close date"))
    justification = models.TextField(_("justification"))

    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    protected_until = models.DateField(_("protected until"), null=True, blank=True)
    # The protection end date the partner was last reminded of (a renewal moves the end: a new reminder is due).
    reminded_for = models.DateField(null=True, blank=True, editable=False)
    review_comment = models.TextField(_("reviewer's comment"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    renewal_requested_at = models.DateTimeField(_("renewal requested"), null=True, blank=True)
    opportunity = models.ForeignKey(
        "opportunities.Opportunity", verbose_name=_("opportunity"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    merged_into = models.ForeignKey(
        "self", verbose_name=_("merged into"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(_("registered"), default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # Added one by every write service, under the row lock; forms and API clients send back the one they read.
    version = models.PositiveIntegerField(_("version"), default=1, db_default=1, editable=False)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("deal registration")
        verbose_name_plural = _("deal registrations")
        indexes = [
            models.Index(fields=["partner_account", "-submitted_at"], name="registration_partner_idx"),
            # The lapse task's scan: approved registrations by the end of their protection.
            models.Index(fields=["protected_until"], name="registration_protected_idx",
                         condition=Q(status="approved")),
        ]
        constraints = [
            models.CheckConstraint(name="registration_approved_is_protected",
                                   condition=~Q(status="approved") | Q(protected_until__isnull=False)),
        ]

    def __str__(self):
        return self.customer_name

    @property
    def is_open(self):
        return self.status in self.OPEN_STATUSES

    def is_protected(self, today=None):
        today = today or timezone.localdate()
        return self.status == self.Status.APPROVED and self.protected_until is not None and (
            self.protected_until >= today)


class CustomerKey(models.Model):
    """One customer key (registrations.keys) of one record: the table conflict detection looks keys up in.

    The index on `key` covers the columns the lookup returns, so a lookup is an index-only scan however many
    customer records there are."""

    key = models.CharField(max_length=300)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+",
                                     db_index=False)  # customer_key_record_idx starts with it
    object_id = models.PositiveBigIntegerField()
    partner_account = models.ForeignKey(
        "accounts.PartnerAccount", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["key"], name="customer_key_lookup_idx",
                         include=["content_type", "object_id", "partner_account"]),
            models.Index(fields=["content_type", "object_id"], name="customer_key_record_idx"),
        ]

    def __str__(self):
        return self.key


class Conflict(models.Model):
    """Two records of different partners (or of a partner and the vendor) for the same customer: `first` is the
    one registered earlier, `second` the new one. The channel manager decides; the partners only learn that their
    record is under review."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        RESOLVED = "resolved", _("Resolved")

    class Decision(models.TextChoices):
        FIRST_KEEPS = "first_keeps", _("First registered keeps the protection")
        MERGE = "merge", _("Merge into the first record")
        BOTH_PROCEED = "both_proceed", _("Both proceed")

    # Their indexes are conflict_pair_unique (first) and conflict_second_idx (second), which start with them.
    first_content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+", db_index=False)
    first_object_id = models.PositiveBigIntegerField()
    first = GenericForeignKey("first_content_type", "first_object_id")
    first_partner = models.ForeignKey(
        "accounts.PartnerAccount", verbose_name=_("first partner"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="+",
    )
    second_content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+", db_index=False)
    second_object_id = models.PositiveBigIntegerField()
    second = GenericForeignKey("second_content_type", "second_object_id")
    second_partner = models.ForeignKey(
        "accounts.PartnerAccount", verbose_name=_("second partner"), null=True, blank=True,
        on_delete=models.CASCADE, related_name="+",
    )
    evidence = models.JSONField(_("matched keys"), default=list)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    decision = models.CharField(_("decision"), max_length=20, choices=Decision.choices, blank=True)
    note = models.TextField(_("note"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    created_at = models.DateTimeField(_("opened"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("channel conflict")
        verbose_name_plural = _("channel conflicts")
        constraints = [
            models.UniqueConstraint(
                fields=["first_content_type", "first_object_id", "second_content_type", "second_object_id"],
                name="conflict_pair_unique",
            ),
            models.CheckConstraint(name="conflict_resolved_has_decision",
                                   condition=Q(status="open") | ~Q(decision="")),
        ]
        indexes = [
            models.Index(fields=["created_at"], name="conflict_open_age_idx", condition=Q(status="open")),
            models.Index(fields=["second_content_type", "second_object_id"], name="conflict_second_idx"),
            # Records looked up by their first side use conflict_pair_unique, which starts with the same two columns.
        ]

    def __str__(self):
        return str(_("Conflict %(number)s") % {"number": self.pk})

    @property
    def is_open(self):
        return self.status == self.Status.OPEN
