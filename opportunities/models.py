"""Opportunities, their customers and the ordered stage list (D1, D2)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Stage(models.Model):
    class Kind(models.TextChoices):
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    name = models.CharField(_("name"), max_length=80, unique=True)
    probability = models.PositiveSmallIntegerField(_("probability (%)"))
    kind = models.CharField(_("kind"), max_length=4, choices=Kind.choices, default=Kind.OPEN)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(name="stage_probability_0_100", condition=models.Q(probability__lte=100)),
        ]

    def __str__(self):
        return f"{self.name} ({self.probability} %)"


class CustomerAccount(models.Model):
    """The end customer a partner sells to."""

    name = models.CharField(_("name"), max_length=200)
    website = models.URLField(_("website"), blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    industry = models.CharField(_("industry"), max_length=80, blank=True)
    partner_account = models.ForeignKey(
        "accounts.PartnerAccount", on_delete=models.PROTECT, related_name="customer_accounts"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class CustomerContact(models.Model):
    account = models.ForeignKey(CustomerAccount, on_delete=models.CASCADE, related_name="contacts")
    first_name = models.CharField(_("first name"), max_length=80, blank=True)
    last_name = models.CharField(_("last name"), max_length=80)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)

    class Meta:
        ordering = ["last_name", "first_name"]

    def __str__(self):
        return f"{self.first_name} {self.last_name}".strip()


CURRENCIES = [("EUR", "EUR"), ("USD", "USD"), ("GBP", "GBP"), ("CZK", "CZK"), ("PLN", "PLN")]


class Opportunity(models.Model):
    name = models.CharField(_("name"), max_length=200)
    customer_account = models.ForeignKey(
        CustomerAccount, verbose_name=_("customer account"), on_delete=models.PROTECT, related_name="opportunities"
    )
    customer_contact = models.ForeignKey(
        CustomerContact, verbose_name=_("contact"), null=True, blank=True, on_delete=models.SET_NULL
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCIES, default="EUR")
    close_date = models.DateField(_("close date"), null=True, blank=True)
    stage = models.ForeignKey(Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="+")
    next_step = models.CharField(_("next step"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="opportunities"
    )
    partner_account = models.ForeignKey(
        "accounts.PartnerAccount",
        verbose_name=_("partner account"),
        on_delete=models.PROTECT,
        related_name="opportunities",
    )
    source_lead = models.OneToOneField(
        "leads.Lead",
        verbose_name=_("source lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunity",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Added one by every write service, under the row lock; forms and API clients send back the one they read.
    version = models.PositiveIntegerField(_("version"), default=1, db_default=1, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = _("opportunities")
        indexes = [
            # The dashboards group by partner, stage and currency and sum amounts: an index-only scan.
            models.Index(fields=["partner_account", "stage", "currency", "amount"], name="opp_dashboard_idx"),
            models.Index(fields=["owner", "close_date"], name="opp_owner_close_idx"),
            models.Index(fields=["partner_account", "close_date"], name="opp_partner_close_idx"),
            # The list's default order (newest first), for everyone and per partner.
            models.Index(fields=["-created_at", "-id"], name="opp_created_idx"),
            models.Index(fields=["partner_account", "-created_at"], name="opp_partner_created_idx"),
        ]

    def __str__(self):
        return self.name

    @property
    def probability(self):
        return self.stage.probability
