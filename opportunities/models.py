"""Opportunities, their customers and the ordered stage list (D1, D2)."""

from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

# The default stages' names, translated through the catalogs like any other string, keyed by the stable code the
# row keeps whatever an admin later calls it. English is the key's own name.
DEFAULT_STAGE_NAMES = {
    "prospecting": _("Prospecting"),
    "qualification": _("Qualification"),
    "needs_analysis": _("Needs analysis"),
    "proposal": _("Proposal"),
    "negotiation": _("Negotiation"),
    "closed_won": _("Closed won"),
    "closed_lost": _("Closed lost"),
}


class Stage(models.Model):
    """One step of the sales pipeline. People read `label`: the name an admin gave it in the viewer's language
    (`names`), else the portal's own translation of a default stage the admin has not renamed, else `name`."""

    class Kind(models.TextChoices):
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    code = models.SlugField(
        _("code"), max_length=40, unique=True, null=True, blank=True,
        help_text=_("Set on the default stages, whose names come translated with the portal; empty on a stage "
                    "added here."),
    )
    name = models.CharField(_("name"), max_length=80, unique=True,
                            help_text=_("In English; also shown in a language the stage has no name in."))
    names = models.JSONField(
        _("names in other languages"), default=dict, blank=True,
        help_text=_('The name per language code, e.g. {"cs": "Vyhledávání", "es": "Prospección", "pl": '
                    '"Poszukiwanie"}; a language left out shows the translation the portal has, or the name.'),
    )
    probability = models.PositiveSmallIntegerField(_("probability (%)"))
    kind = models.CharField(_("kind"), max_length=4, choices=Kind.choices, default=Kind.OPEN)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(name="stage_probability_0_100", condition=models.Q(probability__lte=100)),
        ]

    def __str__(self):
        return f"{self.label} ({self.probability} %)"

    def clean(self):
        from django.core.exceptions import ValidationError

        languages = dict(settings.LANGUAGES)
        names = self.names if self.names is not None else {}
        if not isinstance(names, dict) or not all(
            isinstance(k, str) and k in languages and isinstance(v, str) for k, v in names.items()
        ):
            raise ValidationError({"names": _("Give one name per language code (%(codes)s), each as text.")
                                   % {"codes": ", ".join(languages)}})
        self.names = {k: v.strip() for k, v in names.items() if v.strip()}

    def label_in(self, language) -> str:
        """The stage's name for a reader of `language` (a code such as "cs" or "pt-br")."""
        base = (language or settings.LANGUAGE_CODE).split("-")[0]
        edited = (self.names or {}).get(base) or (self.names or {}).get(language or "")
        if edited:
            return edited
        default = DEFAULT_STAGE_NAMES.get(self.code or "")
        if default is not None:
            with translation.override("en"):
                untouched = str(default) == self.name
            if untouched:
                with translation.override(language):
                    return str(default)
        return self.name

    @property
    def label(self) -> str:
        """The name in the active language."""
        return self.label_in(translation.get_language())


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
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="opportunities",
        db_index=False,  # opp_owner_close_idx starts with it
    )
    partner_account = models.ForeignKey(
        "accounts.PartnerAccount",
        verbose_name=_("partner account"),
        on_delete=models.PROTECT,
        related_name="opportunities",
        db_index=False,  # opp_partner_close_idx and opp_partner_created_idx start with it
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
            models.Index(fields=["owner", "close_date"], name="opp_owner_close_idx"),
            models.Index(fields=["partner_account", "close_date"], name="opp_partner_close_idx"),
            # The list's default order (newest first), for everyone and per partner.
            models.Index(fields=["-created_at", "-id"], name="opp_created_idx"),
            models.Index(fields=["partner_account", "-created_at"], name="opp_partner_created_idx"),
            # The dashboards' leads converted per month: only the deals that came from a lead, by creation.
            models.Index(fields=["created_at", "partner_account", "owner"], name="opp_converted_idx",
                         condition=models.Q(source_lead__isnull=False)),
        ]

    def __str__(self):
        return self.name

    @property
    def probability(self):
        return self.stage.probability


class PipelineSummary(models.Model):
    """The opportunities counted and summed per partner, owner, stage and currency: what the Home dashboards read
    instead of grouping every deal (reports.dashboards). The opportunity services keep it in the same transaction
    as the deal's own write (opportunities.services.pipeline_summary_shift); `pipeline_summary_rebuild()` fills it
    from the deals (the migration that created it, and anything that writes deals in bulk). A row stays when its
    count falls to 0; the readers skip it and a rebuild drops it."""

    # The key's unique index serves a partner's rows; the owner's index a rep's.
    partner_account = models.ForeignKey("accounts.PartnerAccount", on_delete=models.CASCADE, related_name="+",
                                        db_index=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="+", db_index=False)
    currency = models.CharField(max_length=3)
    n = models.IntegerField(default=0)
    amount = models.DecimalField(max_digits=18, decimal_places=2, default=0)  # the deals' amounts; none count 0

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["partner_account", "owner", "stage", "currency"],
                                    name="pipeline_summary_key"),
        ]

    def __str__(self):
        return f"{self.partner_account_id}/{self.owner_id}/{self.stage_id}/{self.currency}: {self.n}"
