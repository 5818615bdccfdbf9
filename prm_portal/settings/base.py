"""Settings shared by every environment. Values come from the environment (django-environ)."""

from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "accounts.admin_site.PortalAdminConfig",  # django.contrib.admin with the portal's scoped site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",  # the form renderer below finds Django's own widget templates through the app
    "allauth",
    "allauth.account",
    "guardian",
    "django_celery_beat",
    "django_htmx",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Redoc's files, served by us (the API docs work offline)
    "prm_portal.core",
    "accounts",
    "leads",
    "opportunities",
    "referrals",
    "finder",  # the public partner finder (above the record apps)
    "sharing",
    "registrations",  # deal registration before the deal, channel conflicts (above the record apps)
    "webhooks",  # signed webhooks through the outbox
    "reports",
    "notifications",
]

MIDDLEWARE = [
    "prm_portal.core.requestid.RequestIdMiddleware",  # first: every log line of the request carries its id
    "prm_portal.core.health.HealthCheckMiddleware",  # /healthz and /readyz, whatever the Host header says
    "django.middleware.security.SecurityMiddleware",
    "prm_portal.core.csp.ContentSecurityPolicyMiddleware",  # every response, however early it is answered
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "accounts.middleware.AuthenticationMiddleware",  # Django's, the person read at once (not a lazy proxy)
    "accounts.firstrun.FirstRunMiddleware",  # a blank install's sign-in page hands over to the first screen
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "prm_portal.core.middleware.UserLanguageMiddleware",
    "prm_portal.core.middleware.UserTimeZoneMiddleware",  # dates and times in the person's own time zone
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accounts.middleware.PortalAccessMiddleware",
]

ROOT_URLCONF = "prm_portal.urls"
WSGI_APPLICATION = "prm_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "prm_portal.core.context_processors.portal",
            ],
        },
    }
]

# Forms render with the project's templates, so templates/django/forms/ marks required fields everywhere (the label's
# asterisk, aria-required on the widget) without touching each form.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# --- Database: one schema for all apps. Embedded SQLite when DATABASE_URL is unset (make run).
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share the file: write transactions take the lock up front and wait for it
    # (no "database is locked" on a lock upgrade), and WAL lets readers go on meanwhile.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 30, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# The statements every request or Accept runs (the signed-in person, the claim, Recent Items) are prepared once per
# kept connection (prm_portal.core.sql.execute_prepared): never where connections are not kept (CONN_MAX_AGE 0, as
# behind PgBouncer in transaction mode), and not at all with DATABASE_PREPARED_STATEMENTS=false.
DATABASE_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache: Redis when REDIS_URL is set (allauth's rate limits need a shared cache). A Redis outage is a cache miss,
# never an error page (prm_portal.core.cache: rate limits fail open meanwhile); a dead Redis costs at most
# CACHE_SOCKET_TIMEOUT seconds, then the cache is skipped for CACHE_RETRY_SECONDS.
REDIS_URL = env("REDIS_URL", default="")
CACHE_SOCKET_TIMEOUT = env.float("CACHE_SOCKET_TIMEOUT", default=0.5)
CACHE_RETRY_SECONDS = env.int("CACHE_RETRY_SECONDS", default=5)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "prm_portal.core.cache.SafeRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": CACHE_SOCKET_TIMEOUT, "socket_timeout": CACHE_SOCKET_TIMEOUT},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Auth
AUTH_USER_MODEL = "accounts.User"
# Django's and allauth's backends, each loading the person with their partner account (accounts/backends.py).
AUTHENTICATION_BACKENDS = [
    "accounts.backends.PortalModelBackend",
    "accounts.backends.PortalAllauthBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "reports:home"
LOGOUT_REDIRECT_URL = "account_login"

ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",
    "change_password": "5/m/user",
}
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""

GUARDIAN_RAISE_403 = False
GUARDIAN_RENDER_403 = False
ANONYMOUS_USER_NAME = None

# --- I18N
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("cs", _("Czech")), ("es", _("Spanish")), ("pl", _("Polish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates and numbers follow the active language (Django's formats), with the portal's English short formats.
FORMAT_MODULE_PATH = ["prm_portal.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- Email (EMAIL_URL: smtp://host:port, consolemail://, filemail://path ...)
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="PRM Portal <no-reply@prm.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Seconds an SMTP connect or reply may take before the attempt fails (a hung server never blocks a worker).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)

# --- Outbox (F1, F3): every email is a row written with the change; the relay delivers it after commit.
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=8)  # then Failed, until a vendor admin retries it
OUTBOX_BACKOFF_SECONDS = env.int("OUTBOX_BACKOFF_SECONDS", default=30)  # doubles after each failed attempt
OUTBOX_BACKOFF_MAX_SECONDS = env.int("OUTBOX_BACKOFF_MAX_SECONDS", default=3600)
# A claimed row is the relay's for this long; if its worker dies, another relay takes it after that. Deliveries
# start only in the lease's first half, so keep it well above a few EMAIL_TIMEOUTs.
OUTBOX_LEASE_SECONDS = env.int("OUTBOX_LEASE_SECONDS", default=300)
OUTBOX_BATCH_SIZE = env.int("OUTBOX_BATCH_SIZE", default=100)
OUTBOX_RELAY_MAX_SECONDS = env.int("OUTBOX_RELAY_MAX_SECONDS", default=240)  # one relay run claims no more after
# The right-hand side of every Message-ID (derived once per message, kept on its row, the same on every attempt).
OUTBOX_MESSAGE_ID_DOMAIN = env(
    "OUTBOX_MESSAGE_ID_DOMAIN", default=parseaddr(DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "prm.example"
)
PORTAL_BASE_URL = env("PORTAL_BASE_URL", default="http://127.0.0.1:8000")

# --- Celery (Redis in production; kombu's filesystem transport when no broker is configured)
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _folder in ("out", "processed"):  # kombu's filesystem transport does not create its folders
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
    }
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# No task runs forever: the soft limit raises inside the task (it can clean up), the hard one ends the process.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=1500)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=1800)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "clear-expired-sessions": {
        "task": "prm_portal.core.tasks.sessions_clear_expired_task",
        "schedule": crontab(minute=17, hour=3),
    },
    "outbox-relay-sweep": {  # delivers whatever the on-commit doorbell missed (broker down, worker died)
        "task": "prm_portal.core.tasks.outbox_relay_task",
        "schedule": timedelta(minutes=1),
    },
    "leads-import-sweep": {  # starts the CSV imports whose doorbell was lost or whose worker died
        "task": "leads.tasks.lead_import_sweep_task",
        "schedule": timedelta(minutes=1),
    },
    "leads-web-form-prune": {
        "task": "leads.tasks.web_form_submission_prune_task",
        "schedule": crontab(minute=41),
    },
    "finder-submissions-prune": {
        "task": "finder.tasks.finder_submission_prune_task",
        "schedule": crontab(minute=43),
    },
    "referrals-expire-overdue": {
        "task": "referrals.tasks.referral_expire_overdue_task",
        "schedule": crontab(minute="*/15"),
    },
    "registrations-lapse-overdue": {  # protections that ended lapse; a reminder goes out before (H3)
        "task": "registrations.tasks.registration_lapse_overdue_task",
        "schedule": crontab(minute=23),
    },
    "leads-sla-ladder": {  # reminders, escalations and recalls of leads past their queue's service levels
        "task": "leads.tasks.sla_ladder_run_task",
        "schedule": timedelta(minutes=5),
    },
    "notifications-digests": {  # each person's daily digest, at their time in their time zone
        "task": "notifications.tasks.notification_digest_send_due_task",
        "schedule": crontab(minute="*/15"),
    },
    "beat-heartbeat": {  # /readyz fails when beat has not had this run for HEALTH_BEAT_MAX_AGE_SECONDS
        "task": "prm_portal.core.health.beat_heartbeat_task",
        "schedule": timedelta(minutes=1),
    },
}
# Referrals left in Received this many days close as Expired (E4); a reminder goes out two days before.
REFERRAL_EXPIRY_DAYS = env.int("REFERRAL_EXPIRY_DAYS", default=14)
REFERRAL_REMINDER_DAYS_BEFORE = env.int("REFERRAL_REMINDER_DAYS_BEFORE", default=2)
# Deal registrations (H3): an approval protects the deal this many days unless it is extended; a reminder goes out
# this many days before the protection lapses.
REGISTRATION_PROTECTION_DAYS = env.int("REGISTRATION_PROTECTION_DAYS", default=90)
REGISTRATION_REMINDER_DAYS_BEFORE = env.int("REGISTRATION_REMINDER_DAYS_BEFORE", default=7)
# Webhooks (H5): HTTPS endpoints only (WEBHOOK_ALLOW_HTTP_LOCALHOST lets tests use http://127.0.0.1); each attempt
# may take WEBHOOK_TIMEOUT_SECONDS; an endpoint failing for WEBHOOK_DISABLE_AFTER_HOURS without a success is
# disabled and its owner told. Retries: exponential backoff for about a day (webhooks.services).
WEBHOOK_ALLOW_HTTP_LOCALHOST = env.bool("WEBHOOK_ALLOW_HTTP_LOCALHOST", default=False)
# Endpoints go to public addresses only (a partner admin's endpoint could otherwise probe the vendor's network);
# true lets the vendor's own endpoints reach its internal systems. Partners' endpoints stay public-only.
WEBHOOK_ALLOW_PRIVATE_NETWORKS = env.bool("WEBHOOK_ALLOW_PRIVATE_NETWORKS", default=False)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
WEBHOOK_DISABLE_AFTER_HOURS = env.int("WEBHOOK_DISABLE_AFTER_HOURS", default=24)

# --- REST API (prm_portal.core: api = the error body and schema, throttles, apitokens = the tokens)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "prm_portal.core.apitokens.ApiTokenAuthentication",  # first: a refused token answers 401 + WWW-Authenticate
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "accounts.api_permissions.PortalGate",  # the pages' gates hold for tokens too
    ],
    # Per token (token clients), per user (sessions), per address (anonymous); counted in the default cache, whose
    # outage lets requests through rather than failing them.
    "DEFAULT_THROTTLE_CLASSES": [
        "prm_portal.core.throttles.ApiBurstRateThrottle",
        "prm_portal.core.throttles.ApiSustainedRateThrottle",
        "prm_portal.core.throttles.ApiAnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "burst": env("API_THROTTLE_BURST", default="60/min"),
        "user": env("API_THROTTLE_USER", default="1000/hour"),
        "anon": env("API_THROTTLE_ANON", default="100/hour"),
    },
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "prm_portal.core.api.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "prm_portal.core.api.PortalAutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "PRM Portal API",
    "DESCRIPTION": (
        "Partner relationship management: leads, opportunities and referrals.\n\n"
        "Authenticate with a token from Profile → API tokens: `Authorization: Bearer <token>`. Every error answers "
        "`{detail, code}` (400 adds `errors` per field). Lists are ordered by `updated_at`, then `id`: pass the last "
        "`updated_at` you saw as `updated_after` to fetch what changed since. A record's ETag is its version: send it "
        "as `If-Match` with a change, and a change made meanwhile answers 412."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "REDOC_DIST": "SIDECAR",  # no CDN
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated", "accounts.api_permissions.PortalGate"],
    "COMPONENT_SPLIT_REQUEST": True,  # what a client sends and what it reads are described apart (read-only fields)
    "PARSER_WHITELIST": ["rest_framework.parsers.JSONParser"],  # the contract is JSON (forms serve the browsable API)
    "WEBHOOKS": [f"webhooks.schema.{name}" for name in ("LEAD", "REFERRAL", "REGISTRATION", "CONFLICT")],  # H5
    "ENUM_NAME_OVERRIDES": {
        "DeclineReasonEnum": "referrals.models.Referral.DeclineReason",
        "ReferralStatusEnum": "referrals.models.Referral.Status",
        "ReferralTypeEnum": "referrals.models.Referral.Type",
        "LeadStatusEnum": "leads.models.Lead.Status",
        "SalesStageEnum": "referrals.models.SalesStage",
    },
}

# --- Brand: the vendor's name, logo and colours (a partner's own override these in its portal).
PORTAL_BRAND = {
    "name": env("BRAND_NAME", default="Acme Partner Portal"),
    "logo_url": env("BRAND_LOGO_URL", default="/static/img/logo.svg"),
    "primary_color": env("BRAND_PRIMARY_COLOR", default="#1f5fbf"),
    "accent_color": env("BRAND_ACCENT_COLOR", default="#f59e0b"),
}

# --- Hardened inputs
# CSV import of leads: the largest file and the most rows accepted; a worker owns a job for LEADS_IMPORT_LEASE_SECONDS
# (its task stops before that), a job Waiting longer than LEADS_IMPORT_REQUEUE_SECONDS is queued again by the sweep,
# and a job whose LEADS_IMPORT_MAX_ATTEMPTS attempts all stopped is Failed.
LEADS_IMPORT_MAX_BYTES = env.int("LEADS_IMPORT_MAX_BYTES", default=5 * 1024 * 1024)
LEADS_IMPORT_MAX_ROWS = env.int("LEADS_IMPORT_MAX_ROWS", default=10_000)
LEADS_IMPORT_LEASE_SECONDS = env.int("LEADS_IMPORT_LEASE_SECONDS", default=900)
LEADS_IMPORT_REQUEUE_SECONDS = env.int("LEADS_IMPORT_REQUEUE_SECONDS", default=60)
LEADS_IMPORT_MAX_ATTEMPTS = env.int("LEADS_IMPORT_MAX_ATTEMPTS", default=3)
# Web-to-lead: forms accepted per source address per window; the longest "How can we help?" text.
LEADS_WEB_FORM_RATE_LIMIT = env.int("LEADS_WEB_FORM_RATE_LIMIT", default=10)
LEADS_WEB_FORM_RATE_WINDOW_SECONDS = env.int("LEADS_WEB_FORM_RATE_WINDOW_SECONDS", default=600)
LEADS_WEB_FORM_DESCRIPTION_MAX_LENGTH = 5000
# Public partner finder (/find/): inquiries accepted per source address and per customer email per window; the
# quickest a person fills the form in; the most partners one inquiry is offered to, one after another.
FINDER_RATE_LIMIT_PER_ADDRESS = env.int("FINDER_RATE_LIMIT_PER_ADDRESS", default=10)
FINDER_RATE_LIMIT_PER_EMAIL = env.int("FINDER_RATE_LIMIT_PER_EMAIL", default=5)
FINDER_RATE_WINDOW_SECONDS = env.int("FINDER_RATE_WINDOW_SECONDS", default=3600)
FINDER_FORM_MIN_SECONDS = env.int("FINDER_FORM_MIN_SECONDS", default=3)
FINDER_INQUIRY_MAX_OFFERS = env.int("FINDER_INQUIRY_MAX_OFFERS", default=5)
# Partner files (resources): the largest file, and the types accepted (by extension AND by content).
RESOURCE_MAX_BYTES = env.int("RESOURCE_MAX_BYTES", default=10 * 1024 * 1024)
RESOURCE_ALLOWED_EXTENSIONS = ["pdf", "png", "jpg", "jpeg", "gif", "txt", "csv", "docx", "xlsx", "pptx", "odt", "ods",
                               "zip"]
# Content-Security-Policy (prm_portal.core.csp): strict for the portal (images may also come from https: a partner's
# logo_url is often on its own site); the Django admin, the browsable API and the API's reference page
# (third-party templates with inline scripts and styles) get CSP_RELAXED_POLICY.
CSP_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; font-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'; object-src 'none'"
)
CSP_RELAXED_PATHS = ["/admin/", "/api/"]
CSP_RELAXED_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: https:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'self'; object-src 'none'"
)

# Home dashboards: numbers cached this long (dropped at once when an opportunity changes). 0 = no cache.
DASHBOARD_CACHE_SECONDS = env.int("DASHBOARD_CACHE_SECONDS", default=60)

SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
# Sessions are read from the cache (Redis, or the shared cache folder) and written through to the database: a
# signed-in request costs no session query (measured by `make bench-claims`). Signing out deletes both; the
# password hash kept in the session is still checked against the user's row on every request.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --- Health (prm_portal.core.health): /readyz's limits.
HEALTH_TIMEOUT_SECONDS = env.float("HEALTH_TIMEOUT_SECONDS", default=2.0)  # per check of the cache and the broker
HEALTH_BEAT_MAX_AGE_SECONDS = env.int("HEALTH_BEAT_MAX_AGE_SECONDS", default=180)
HEALTH_OUTBOX_MAX_AGE_MINUTES = env.int("HEALTH_OUTBOX_MAX_AGE_MINUTES", default=15)

# --- Logs: one line per record on stderr, each with the request id of the request or task behind it
# (prm_portal.core.requestid). Production writes the same records as JSON (settings/production.py).
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "prm_portal.core.requestid.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["request_id"], "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
}

# --- Errors to Sentry: only when SENTRY_DSN is set (nothing leaves the machine otherwise).
SENTRY_DSN = env("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=env("SENTRY_ENVIRONMENT", default="production"),
        release=env("SENTRY_RELEASE", default=None),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
        send_default_pii=False,  # no user emails, cookies or form data in the reports
        integrations=[DjangoIntegration(), CeleryIntegration()],
    )
