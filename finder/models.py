"""The public partner finder: customers' inquiries and the record that keeps the public form from being abused."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class FinderInquiry(models.Model):
    """A customer's inquiry sent from the public partner finder (seed 003: "customer inquiries").

    It becomes a customer-inquiry referral for one partner at a time; every referral it becomes shares `inquiry`
    (Referral.inquiry), so no partner is offered it twice. When a partner declines or lets it expire, the next best
    match is offered it; when none is left, the customer is told to choose another partner (Unanswered).
    """

    class Status(models.TextChoices):
        OPEN = "open", _("With a partner")
        PLACED = "placed", _("Accepted by a partner")
        UNANSWERED = "unanswered", _("No partner could take it")

    inquiry = models.UUIDField(_("inquiry"), default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    # The partner the customer chose on its page; empty when sent to the best matching partners.
    chosen_partner = models.ForeignKey(
        "accounts.PartnerAccount", verbose_name=_("chosen partner"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    contact_name = models.CharField(_("contact name"), max_length=200)
    email = models.EmailField(_("email"))
    language = models.CharField(_("language"), max_length=8, default="en")  # the customer's, for their emails
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("partner finder inquiry")
        verbose_name_plural = _("partner finder inquiries")
        indexes = [models.Index(fields=["status"], name="finder_inquiry_open_idx",
                                condition=models.Q(status="open"))]

    def __str__(self):
        return str(self.inquiry)


class FinderSubmission(models.Model):
    """One accepted inquiry form: its token may send one inquiry only (the unique hash), and the submissions from
    one address and to one email in the last hour are counted for the rate limits. Address and email are kept as
    keyed hashes, never in clear; the rows are pruned after FINDER_RATE_WINDOW_SECONDS and the token's lifetime.
    In the database, not the cache: the limits hold while Redis is down."""

    token_hash = models.CharField(max_length=64, unique=True)
    address_key = models.CharField(max_length=64)
    email_key = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["address_key", "created_at"], name="finder_sub_address_idx"),
            models.Index(fields=["email_key", "created_at"], name="finder_sub_email_idx"),
        ]

    def __str__(self):
        return self.token_hash[:12]

