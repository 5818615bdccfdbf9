"""Production: everything from the environment; passes `manage.py check --deploy`."""

import copy

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import LOGGING as BASE_LOGGING
from .base import env

DEBUG = False
SECRET_KEY = env("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")

# Keys that were ever published (in this repository's files) or are too weak to sign sessions and password links.
KNOWN_SECRET_KEYS = {
    "change-me-to-a-long-random-string-before-going-live-0123456789",  # the old docker-compose default
    "local-dev-only-not-secret-0123456789-abcdefghijklmnopqrstuvwxyz",  # settings/local.py
    "test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGH",  # settings/test.py
    "replace-me-with-the-output-of-the-command-above",  # .env.example
}
MIN_SECRET_KEY_LENGTH = 50


def secret_key_problem(key):
    """Why `key` must not sign production sessions, or None when it will do."""
    if not key:
        return "SECRET_KEY is empty"
    if key in KNOWN_SECRET_KEYS or "change-me" in key.lower() or key.startswith("django-insecure-"):
        return "SECRET_KEY is a published example value"
    if len(key) < MIN_SECRET_KEY_LENGTH or len(set(key)) < 5:
        return f"SECRET_KEY is shorter than {MIN_SECRET_KEY_LENGTH} characters or too repetitive"
    return None


if problem := secret_key_problem(SECRET_KEY):
    raise ImproperlyConfigured(
        f"{problem}. Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(64))' "
        "and set it in the environment (or .env)."
    )

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Behind PgBouncer in transaction mode a connection changes hands between transactions: server-side cursors (what
# QuerySet.iterator() uses, e.g. the CSV exports) cannot live there. Keep CONN_MAX_AGE at 0 (DATABASE_URL without
# ?conn_max_age) in that case; PgBouncer does the pooling.
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool("DATABASE_DISABLE_SERVER_SIDE_CURSORS",  # noqa: F405
                                                               default=False)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # noqa: F405 - a kept connection is checked before reuse

# JSON log lines (time, level, logger, request_id, message): what log shippers parse without a grok pattern.
LOGGING = copy.deepcopy(BASE_LOGGING)
LOGGING["handlers"]["console"]["formatter"] = "json"
