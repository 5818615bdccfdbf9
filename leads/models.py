"""Leads, the queues partners claim them from, claim limits and routing (C1–C4, C8, C9)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Queue(models.Model):
    """A named lead queue; its members (partner accounts or users) may claim its leads."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    member_accounts = models.ManyToManyField(
        "accounts.PartnerAccount", verbose_name=_("member partner accounts"), blank=True, related_name="queues"
    )
    member_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("member users"), blank=True, related_name="queues"
    )
    is_default = models.BooleanField(
        _("default queue"), default=False, help_text=_("Catches every new lead no assignment rule matches.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="queue_one_default"),
        ]

    def __str__(self):
        return self.name


class Lead(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        WORKING = "working", _("Working")
        QUALIFIED = "qualified", _("Qualified")
        UNQUALIFIED = "unqualified", _("Unqualified")
        CONVERTED = "converted", _("Converted")

    CLOSED_STATUSES = (Status.UNQUALIFIED, Status.CONVERTED)

    class CompanySize(models.TextChoices):
        MICRO = "1-9", _("1–9 employees")
        SMALL = "10-49", _("10–49 employees")
        MEDIUM = "50-249", _("50–249 employees")
        LARGE = "250-999", _("250–999 employees")
        ENTERPRISE = "1000+", _("1,000+ employees")

    company = models.CharField(_("company"), max_length=200)
    first_name = models.CharField(_("first name"), max_length=80, blank=True)
    last_name = models.CharField(_("last name"), max_length=80)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    industry = models.CharField(_("industry"), max_length=80, blank=True)
    company_size = models.CharField(_("company size"), max_length=10, choices=CompanySize.choices, blank=True)
    source = models.CharField(_("source"), max_length=80, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.NEW)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_leads",
        db_index=False,  # lead_owner_inbox_idx and lead_owner_status_idx start with it
    )
    queue = models.ForeignKey(
        Queue, verbose_name=_("queue"), null=True, blank=True, on_delete=models.PROTECT, related_name="leads"
    )
    partner_account = models.ForeignKey(
        "accounts.PartnerAccount",
        verbose_name=_("partner account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="leads",
        db_index=False,  # lead_partner_inbox_idx and lead_partner_status_idx start with it
    )
    source_queue = models.ForeignKey(
        Queue, verbose_name=_("claimed from"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    # When the owner first changed the status after the claim (the dashboards' response time): kept by the services
    # in the same write as the status, cleared by every claim and recall.
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True, editable=False)
    holds_claim = models.BooleanField(
        _("counts against claim limits"),
        default=False,
        help_text=_("Claimed from a queue and still open: counted by the owner's and the partner's claim limits."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Added one by every write service, under the row lock; forms and API clients send back the one they read.
    version = models.PositiveIntegerField(_("version"), default=1, db_default=1, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="lead_owned_or_queued_not_both",
                condition=Q(owner__isnull=True) | Q(queue__isnull=True),
            ),
            models.CheckConstraint(
                name="lead_claim_held_by_owner",
                condition=Q(holds_claim=False) | Q(owner__isnull=False, partner_account__isnull=False),
            ),
        ]
        indexes = [
            # The Leads tab takes the newest rows of each part of a person's inbox (their own, their partner's, one
            # queue's) from these, in list order and index-only, so its cost follows the inbox, not the table.
            models.Index(fields=["queue", "-created_at", "-id"], condition=Q(owner__isnull=True),
                         name="lead_queue_inbox_idx"),
            models.Index(fields=["owner", "-created_at", "-id"], name="lead_owner_inbox_idx"),
            models.Index(fields=["partner_account", "-created_at", "-id"], name="lead_partner_inbox_idx"),
            models.Index(fields=["owner", "status"], name="lead_owner_status_idx"),
            models.Index(fields=["partner_account", "status"], name="lead_partner_status_idx"),
            # The dashboards' claims per month and response times, read from the index alone.
            models.Index(fields=["claimed_at"], include=["partner_account", "owner", "first_response_at"],
                         condition=Q(claimed_at__isnull=False), name="lead_claimed_idx"),
            # The API's sync order (updated_after, then page by page): updated_at, then id.
            models.Index(fields=["updated_at", "id"], name="lead_updated_idx"),
        ]

    def __str__(self):
        return f"{self.company} — {self.contact_name}"

    @property
    def contact_name(self):
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_open(self):
        return self.status not in self.CLOSED_STATUSES

    @property
    def is_claimable(self):
        """Waiting to be accepted: in a queue, or given to a partner account but to nobody there yet."""
        return self.owner_id is None and (self.queue_id is not None or self.partner_account_id is not None)


class ClaimLimitSettings(models.Model):
    """The vendor's claim limits (C4): how many open queue leads a partner user / account may hold at once."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    max_open_per_user = models.PositiveIntegerField(_("open queue leads per partner user"), default=5)
    max_open_per_partner = models.PositiveIntegerField(_("open queue leads per partner account"), default=25)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("claim limits")
        verbose_name_plural = _("claim limits")
        constraints = [models.CheckConstraint(name="claim_limits_singleton", condition=Q(id=1))]

    def __str__(self):
        return str(_("Claim limits"))

    @classmethod
    def load(cls):
        obj, _created = cls.objects.get_or_create(id=1)
        return obj


class PartnerClaimLimit(models.Model):
    """A per-partner override of the claim limits; blank keeps the portal-wide value."""

    partner_account = models.OneToOneField(
        "accounts.PartnerAccount", on_delete=models.CASCADE, related_name="claim_limit", verbose_name=_("partner")
    )
    max_open_per_user = models.PositiveIntegerField(_("open queue leads per partner user"), null=True, blank=True)
    max_open_per_partner = models.PositiveIntegerField(
        _("open queue leads per partner account"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("partner claim limit")
        verbose_name_plural = _("partner claim limits")

    def __str__(self):
        return str(self.partner_account)


class UserClaimQuota(models.Model):
    """How many open queue leads a partner user holds. The claim locks this row before the lead.

    `ceiling` is the limit in force at the last claim; the check constraint is the database's safety
    net: no code path can push the count past the limit a claim was granted under.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE,
                                related_name="claim_quota")
    open_count = models.PositiveIntegerField(default=0)
    ceiling = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(name="user_quota_within_ceiling", condition=Q(open_count__lte=F("ceiling"))),
        ]

    def __str__(self):
        return f"{self.user_id}: {self.open_count}"


class PartnerClaimQuota(models.Model):
    """How many open queue leads a partner account's users hold together (see UserClaimQuota)."""

    partner_account = models.OneToOneField(
        "accounts.PartnerAccount", primary_key=True, on_delete=models.CASCADE, related_name="claim_quota"
    )
    open_count = models.PositiveIntegerField(default=0)
    ceiling = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(name="partner_quota_within_ceiling", condition=Q(open_count__lte=F("ceiling"))),
        ]

    def __str__(self):
        return f"{self.partner_account_id}: {self.open_count}"


class RoundRobinGroup(models.Model):
    """Queues and/or users that take new leads in turn (C8). The cursor lives in the database."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    cursor = models.PositiveBigIntegerField(_("leads routed"), default=0)

    class Meta:
        ordering = ["name"]
        verbose_name = _("round-robin group")

    def __str__(self):
        return self.name


class RoundRobinMember(models.Model):
    group = models.ForeignKey(RoundRobinGroup, on_delete=models.CASCADE, related_name="members")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    queue = models.ForeignKey(Queue, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        limit_choices_to={"role__in": ["partner_admin", "partner_user"]},
    )

    class Meta:
        ordering = ["group", "position", "id"]
        constraints = [
            models.CheckConstraint(
                name="rr_member_queue_xor_user",
                condition=(Q(queue__isnull=False, user__isnull=True) | Q(queue__isnull=True, user__isnull=False)),
            ),
        ]

    def __str__(self):
        return str(self.queue or self.user)


class AssignmentRule(models.Model):
    """One ordered lead assignment rule (C9): criteria (blank = any) and a target. First match wins."""

    class Target(models.TextChoices):
        QUEUE = "queue", _("Queue")
        PARTNER_ACCOUNT = "partner_account", _("Partner account")
        PARTNER_USER = "partner_user", _("Partner user")
        ROUND_ROBIN = "round_robin", _("Round-robin group")
        NEAREST_PARTNER = "nearest_partner", _("Nearest matching partner")

    class PartnerReach(models.TextChoices):
        ANYWHERE = "anywhere", _("Anywhere (nearest first)")
        REGION = "region", _("In the lead's region")
        COUNTRY = "country", _("In the lead's country")

    name = models.CharField(_("name"), max_length=120)
    order = models.PositiveIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    countries = models.CharField(_("countries"), max_length=200, blank=True,
                                 help_text=_("Comma-separated ISO codes, e.g. CZ, SK. Blank: any."))
    industries = models.CharField(_("industries"), max_length=300, blank=True,
                                  help_text=_("Comma-separated. Blank: any."))
    company_sizes = models.CharField(_("company sizes"), max_length=100, blank=True,
                                     help_text=_("Comma-separated, e.g. 50-249, 250-999. Blank: any."))
    sources = models.CharField(_("sources"), max_length=300, blank=True, help_text=_("Comma-separated. Blank: any."))
    keywords = models.CharField(_("keywords"), max_length=300, blank=True,
                                help_text=_("Comma-separated; one found in company, industry or description matches."))
    regions = models.CharField(_("regions"), max_length=300, blank=True,
                               help_text=_("Comma-separated world regions of the lead's country, e.g. Europe, "
                                           "Eastern Europe, EMEA. Blank: any."))
    target = models.CharField(_("target"), max_length=20, choices=Target.choices, default=Target.QUEUE)
    target_queue = models.ForeignKey(Queue, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    target_partner_account = models.ForeignKey(
        "accounts.PartnerAccount", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        limit_choices_to={"role__in": ["partner_admin", "partner_user"]},
    )
    target_group = models.ForeignKey(RoundRobinGroup, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    # Nearest matching partner: which partners qualify by their business profile, and how near they must be.
    partner_match_industry = models.BooleanField(
        _("partner serves the lead's industry"), default=True,
        help_text=_("Only partners whose business profile lists the lead's industry."))
    partner_match_company_size = models.BooleanField(
        _("partner serves the lead's company size"), default=False,
        help_text=_("Only partners whose business profile lists the lead's company size."))
    partner_reach = models.CharField(_("partner location"), max_length=10, choices=PartnerReach.choices,
                                     default=PartnerReach.ANYWHERE)
    fallback_queue = models.ForeignKey(
        Queue, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("fallback queue"),
        help_text=_("Where the lead goes when the rule matches but nobody it names can take the lead (away, "
                    "inactive, disabled or at the claim limit). Blank: the next rule is tried."))

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("assignment rule")
        constraints = [
            models.CheckConstraint(
                name="rule_target_set",
                condition=(
                    Q(target="queue", target_queue__isnull=False)
                    | Q(target="partner_account", target_partner_account__isnull=False)
                    | Q(target="partner_user", target_user__isnull=False)
                    | Q(target="round_robin", target_group__isnull=False)
                    | Q(target="nearest_partner")
                ),
            ),
        ]

    def __str__(self):
        return self.name


class LeadImport(models.Model):
    """One CSV upload (C12): validated whole, imported whole or not at all; its progress for the page."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Rejected")

    class FailureReason(models.TextChoices):
        INTERRUPTED = "interrupted", _(
            "The import was interrupted several times before it could finish, so it was stopped. Nothing was "
            "imported: upload the file again, or split it into smaller files.")
        TIMED_OUT = "timed_out", _(
            "The import took too long and was stopped. Nothing was imported: split the file into smaller files "
            "and upload them one by one.")
        ERROR = "error", _(
            "The import stopped on an unexpected error. Nothing was imported: upload the file again; if it "
            "happens again, tell your administrator.")

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    filename = models.CharField(max_length=200)
    content = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    total_rows = models.PositiveIntegerField(default=0)
    imported_rows = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)  # the file's bad rows, "Line N: field: reason"
    # Why the import as a whole did not happen; shown on the job's page in the reader's language.
    failure_reason = models.CharField(max_length=20, choices=FailureReason.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The lease: a worker claims a Waiting job (or a Running one whose lease ran out) and owns it until
    # lease_until; a worker that dies leaves the lease to expire and the sweep queues the job again, until
    # LEADS_IMPORT_MAX_ATTEMPTS attempts have started.
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["lease_until"], condition=Q(status__in=["pending", "running"]),
                         name="leadimport_unfinished_idx"),
        ]

    def __str__(self):
        return self.filename


class WebFormSubmission(models.Model):
    """One accepted web-to-lead submission: its form token may make one lead only (the unique hash), and the
    submissions from one address in the last minutes are counted for the rate limit. The address is kept as a
    keyed hash, never in clear. Rows older than the token's lifetime are pruned."""

    token_hash = models.CharField(max_length=64, unique=True)
    source_key = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["source_key", "created_at"], name="webform_source_recent_idx")]

    def __str__(self):
        return self.token_hash[:12]


# --- Service levels (issue 13): calendars, per-queue limits, each lead's clock, claim cool-downs ------------------


def validate_time_zone(value):
    import zoneinfo

    from django.core.exceptions import ValidationError

    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(zone)s is not a time zone, e.g. Europe/Prague."), params={"zone": value})


def validate_working_days(value):
    from django.core.exceptions import ValidationError

    if not value or any(c not in "1234567" for c in value) or len(set(value)) != len(value):
        raise ValidationError(_("List the working days as digits 1 (Monday) to 7 (Sunday), e.g. 12345."))


class BusinessCalendar(models.Model):
    """When the clock of a service level runs: working days and hours in a time zone, minus holidays."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=63, default="UTC", validators=[validate_time_zone],
                                 help_text=_("e.g. Europe/Prague"))
    working_days = models.CharField(_("working days"), max_length=7, default="12345",
                                    validators=[validate_working_days],
                                    help_text=_("Digits 1 (Monday) to 7 (Sunday), e.g. 12345."))
    day_starts = models.TimeField(_("working day starts"), default="09:00")
    day_ends = models.TimeField(_("working day ends"), default="17:00")

    class Meta:
        ordering = ["name"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        constraints = [
            models.CheckConstraint(name="calendar_day_ends_after_start", condition=Q(day_ends__gt=F("day_starts"))),
        ]

    def __str__(self):
        return self.name


class Holiday(models.Model):
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="holidays",
                                 db_index=False)  # holiday_unique_date starts with it
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=120, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="holiday_unique_date")]

    def __str__(self):
        return f"{self.date} {self.name}".strip()


class QueueServiceLevel(models.Model):
    """A queue's service levels, in business hours of its calendar. Blank limit: no clock for that stage."""

    queue = models.OneToOneField(Queue, on_delete=models.CASCADE, related_name="service_level",
                                 verbose_name=_("queue"))
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("calendar"))
    accept_within_hours = models.PositiveIntegerField(
        _("accept within (business hours)"), null=True, blank=True,
        help_text=_("A lead waiting in the queue must be accepted within this time."))
    first_touch_within_hours = models.PositiveIntegerField(
        _("first touch within (business hours)"), null=True, blank=True,
        help_text=_("An accepted lead must be worked on (status, edit or note) within this time."))
    progress_within_days = models.PositiveIntegerField(
        _("progress within (business days)"), null=True, blank=True,
        help_text=_("After that, a lead with no activity for this long is overdue."))
    remind_at_percent = models.PositiveSmallIntegerField(
        _("reminder at (percentage of the limit)"), default=50,
        help_text=_("The owner (or the queue's members) are reminded when this share of the time is used."))
    grace_hours = models.PositiveIntegerField(
        _("grace period (business hours)"), default=4,
        help_text=_("Past the limit the channel manager is told; after this further time the lead is recalled."))
    cooldown_hours = models.PositiveIntegerField(
        _("re-claim cool-down (hours)"), default=72,
        help_text=_("A recalled lead's former owner may not accept it again for this long."))
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("queue manager"), limit_choices_to={"role__in": ["vendor_admin", "channel_manager"]},
        help_text=_("Told about breaches of leads no partner holds (and of partners without a channel manager)."))

    class Meta:
        verbose_name = _("queue service level")
        verbose_name_plural = _("queue service levels")
        constraints = [
            models.CheckConstraint(name="service_level_reminder_percent",
                                   condition=Q(remind_at_percent__gte=1, remind_at_percent__lte=99)),
        ]

    def __str__(self):
        return str(self.queue)


class LeadClock(models.Model):
    """The running service-level clock of one lead: when its reminder, deadline and recall fall (worked out in
    business time when the clock starts) and how far up the ladder it is. `next_at` is when the next step is due
    (None once recalled): the ladder's one indexed condition."""

    class Kind(models.TextChoices):
        ACCEPT = "accept", _("Accept")
        FIRST_TOUCH = "first_touch", _("First touch")
        PROGRESS = "progress", _("Progress")

    class Step(models.IntegerChoices):
        RUNNING = 0, _("On time")
        REMINDED = 1, _("Reminded")
        ESCALATED = 2, _("Escalated")
        RECALLED = 3, _("Recalled")

    lead = models.OneToOneField(Lead, primary_key=True, on_delete=models.CASCADE, related_name="sla_clock")
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    limit = models.PositiveIntegerField(help_text="Hours (accept, first touch) or days (progress), for the wording.")
    started_at = models.DateTimeField()
    remind_at = models.DateTimeField()
    due_at = models.DateTimeField()
    recall_at = models.DateTimeField()
    step = models.PositiveSmallIntegerField(choices=Step.choices, default=Step.RUNNING)
    next_at = models.DateTimeField(null=True)
    # Bumped at each (re)start: the emails' idempotency keys name it, so a new clock's steps mail again.
    generation = models.PositiveIntegerField(default=1)

    class Meta:
        indexes = [models.Index(fields=["next_at"], condition=Q(next_at__isnull=False), name="leadclock_next_idx")]
        constraints = [
            models.CheckConstraint(name="leadclock_step_range", condition=Q(step__gte=0, step__lte=3)),
        ]

    def __str__(self):
        return f"{self.lead_id}: {self.kind} step {self.step}"


class LeadClaimBlock(models.Model):
    """A recalled lead's former owner may not accept it again until `until` (the queue's cool-down)."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="claim_blocks",
                             db_index=False)  # claim_block_unique starts with it
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    until = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["lead", "user"], name="claim_block_unique")]

    def __str__(self):
        return f"{self.lead_id}/{self.user_id} until {self.until}"
