"""Users, partner accounts, their locations and contacts, and the portal-wide PRM switch."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager, Group
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("role", User.Role.VENDOR_ADMIN)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """Everyone who signs in: vendor staff (admins, channel managers) and partner people."""

    class Role(models.TextChoices):
        VENDOR_ADMIN = "vendor_admin", _("Vendor admin")
        CHANNEL_MANAGER = "channel_manager", _("Channel manager")
        PARTNER_ADMIN = "partner_admin", _("Partner admin")
        PARTNER_USER = "partner_user", _("Partner user")

    PARTNER_ROLES = (Role.PARTNER_ADMIN, Role.PARTNER_USER)
    VENDOR_ROLES = (Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER)

    username = None
    email = models.EmailField(_("email address"), unique=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.PARTNER_USER)
    partner_account = models.ForeignKey(
        "accounts.PartnerAccount",
        verbose_name=_("partner account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    location = models.ForeignKey(
        "accounts.PartnerLocation",
        verbose_name=_("location scope"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="scoped_users",
        help_text=_("A partner user limited to one location sees that location's referrals only."),
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    title = models.CharField(pgettext_lazy("job title", "title"), max_length=120, blank=True)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")
    # An IANA name such as "Europe/Prague"; empty: the portal's TIME_ZONE. Pages and emails show times in it.
    time_zone = models.CharField(_("time zone"), max_length=63, blank=True, default="")
    must_change_password = models.BooleanField(
        _("must change password"), default=False, help_text=_("Set for a temporary password.")
    )
    # Away (issue 13): routing gives no new lead to a person away on the day it arrives; both dates included.
    away_from = models.DateField(_("away from"), null=True, blank=True)
    away_until = models.DateField(_("away until"), null=True, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        ordering = ["email"]
        constraints = [
            models.CheckConstraint(
                name="user_partner_role_has_partner",
                condition=(
                    Q(role__in=["partner_admin", "partner_user"], partner_account__isnull=False)
                    | Q(role__in=["vendor_admin", "channel_manager"], partner_account__isnull=True)
                ),
            ),
        ]

    def __str__(self):
        return self.get_full_name() or self.email

    @property
    def is_partner(self):
        return self.role in self.PARTNER_ROLES

    @property
    def is_partner_admin(self):
        return self.role == self.Role.PARTNER_ADMIN

    @property
    def is_vendor_staff(self):
        return self.role in self.VENDOR_ROLES or self.is_superuser

    @property
    def is_vendor_admin(self):
        if self.is_superuser or self.role == self.Role.VENDOR_ADMIN:
            return True
        if self.role in self.PARTNER_ROLES:
            return False  # partner people are never vendor admins, whatever group they are put in: no query
        return self.groups.filter(name="prm_admin").exists()

    @property
    def is_channel_manager(self):
        return self.role == self.Role.CHANNEL_MANAGER

    def is_away_on(self, day) -> bool:
        """Away on `day`: within the dates the person set (an open end means from / until further notice)."""
        if self.away_from is None and self.away_until is None:
            return False
        return (self.away_from is None or self.away_from <= day) and (self.away_until is None or day <= self.away_until)


class PartnerAccount(models.Model):
    """A company in the vendor's channel, owned by a channel manager."""

    name = models.CharField(_("name"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("channel manager"),
        on_delete=models.PROTECT,
        related_name="owned_partner_accounts",
        limit_choices_to={"role__in": ["vendor_admin", "channel_manager"]},
    )
    is_partner = models.BooleanField(_("enabled as partner"), default=False)
    partner_enabled_at = models.DateTimeField(_("enabled as partner at"), null=True, blank=True)
    partner_disabled_at = models.DateTimeField(_("partner disabled at"), null=True, blank=True)
    website = models.URLField(_("website"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    industry = models.CharField(_("industry"), max_length=80, blank=True)
    logo_url = models.CharField(_("logo URL"), max_length=500, blank=True)
    primary_color = models.CharField(_("brand colour"), max_length=7, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("partner account")
        verbose_name_plural = _("partner accounts")

    def __str__(self):
        return self.name

    @property
    def partner_status(self):
        if self.is_partner:
            return "partner"
        return "disabled" if self.partner_enabled_at else "not_partner"


class PartnerLocation(models.Model):
    """One of a partner's offices; referrals belong to a location (E8)."""

    partner_account = models.ForeignKey(PartnerAccount, on_delete=models.CASCADE, related_name="locations",
                                        db_index=False)  # location_unique_name_per_partner starts with it
    name = models.CharField(_("name"), max_length=120)
    address = models.CharField(_("address"), max_length=250, blank=True)
    city = models.CharField(_("city"), max_length=120, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    contact_name = models.CharField(_("contact name"), max_length=120, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)

    class Meta:
        ordering = ["partner_account_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["partner_account", "name"], name="location_unique_name_per_partner")
        ]

    def __str__(self):
        return f"{self.name} ({self.city})" if self.city else self.name


class Contact(models.Model):
    """A person at a partner account; may be enabled as a partner user (B3)."""

    partner_account = models.ForeignKey(PartnerAccount, on_delete=models.CASCADE, related_name="contacts")
    first_name = models.CharField(_("first name"), max_length=80)
    last_name = models.CharField(_("last name"), max_length=80)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    title = models.CharField(pgettext_lazy("job title", "title"), max_length=120, blank=True)
    location = models.ForeignKey(PartnerLocation, verbose_name=_("location"), null=True, blank=True,
                                 on_delete=models.SET_NULL)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="contact"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["last_name", "first_name"]

    def __str__(self):
        return f"{self.first_name} {self.last_name}"


class PortalSettings(models.Model):
    """The single row of portal-wide settings. PRM, once enabled, stays enabled (A2)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    prm_enabled = models.BooleanField(default=False)
    prm_enabled_at = models.DateTimeField(null=True, blank=True)
    prm_enabled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A3 step 1: which record types partners may be given access to by the sharing rules.
    share_leads = models.BooleanField(_("share leads"), default=True)
    share_opportunities = models.BooleanField(_("share opportunities"), default=True)
    share_referrals = models.BooleanField(_("share referrals"), default=True)
    sharing_applied_at = models.DateTimeField(_("sharing rules applied at"), null=True, blank=True)
    sharing_applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("portal settings")
        verbose_name_plural = _("portal settings")
        constraints = [
            models.CheckConstraint(name="portal_settings_singleton", condition=Q(id=1)),
            models.CheckConstraint(
                name="prm_enabled_records_when",
                condition=Q(prm_enabled=False) | Q(prm_enabled_at__isnull=False),
            ),
        ]

    def __str__(self):
        return "Portal settings"

    @classmethod
    def load(cls):
        obj, _created = cls.objects.get_or_create(id=1)
        return obj

    def shared_record_types(self):
        return [
            rt for rt, on in (
                (RecordType.LEAD, self.share_leads),
                (RecordType.OPPORTUNITY, self.share_opportunities),
                (RecordType.REFERRAL, self.share_referrals),
            ) if on
        ]


class BusinessProfile(models.Model):
    """What a partner sells and to whom (B8): assignment rules (C9) and referral matching (E13) read it."""

    partner_account = models.OneToOneField(PartnerAccount, on_delete=models.CASCADE, related_name="profile")
    keywords = models.JSONField(_("keywords"), default=list, blank=True, help_text=_("Lower-case words."))
    company_sizes = models.JSONField(_("preferred company sizes"), default=list, blank=True)
    industries = models.JSONField(_("preferred industries"), default=list, blank=True)
    description = models.TextField(_("about the partner"), blank=True)
    # The public partner finder (finder app) shows only partners that chose to be listed, with what they chose to
    # publish: the public description, keywords, preferences and the locations' city and country.
    listed = models.BooleanField(_("listed in the partner finder"), default=False)
    public_description = models.TextField(_("public description"), max_length=2000, blank=True)
    # The partner's page in the finder, /find/<public_slug>/; set when first listed, then kept (links stay valid).
    public_slug = models.SlugField(_("public address"), max_length=80, unique=True, null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("business profile")

    def __str__(self):
        return f"Profile of {self.partner_account}"


class RecordType(models.TextChoices):
    """The record types partners may be given access to (the share_* flags above). The sharing app's rules and
    grants use them; they stay here because the portal settings row holds the flags."""

    LEAD = "lead", _("Leads")
    OPPORTUNITY = "opportunity", _("Opportunities")
    REFERRAL = "referral", _("Referrals")


class UserGrantBase(UserObjectPermissionBase):
    """django-guardian's direct foreign-key object permission of a user, without an index of its own on the user:
    the unique key (user, permission, content_object) starts with it, and a grant written updates every index."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, db_index=False)

    class Meta(UserObjectPermissionBase.Meta):
        abstract = True


class GroupGrantBase(GroupObjectPermissionBase):
    """The same for a group (each sharing rule grants through its own group: `make bench-sharing` writes 1.2 M)."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, db_index=False)

    class Meta(GroupObjectPermissionBase.Meta):
        abstract = True


class PartnerAccountUserObjectPermission(UserGrantBase):
    """A channel manager's access to a partner account they do not own (granted by a vendor admin)."""

    content_object = models.ForeignKey(PartnerAccount, on_delete=models.CASCADE)

    class Meta(UserGrantBase.Meta):
        abstract = False
