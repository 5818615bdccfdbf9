"""Liveness (/healthz) and readiness (/readyz), and beat's heartbeat task.

/healthz answers 200 while the process serves requests; it touches nothing else (a database outage must not get
every web process restarted). /readyz checks what the portal needs to do its work, each check bounded in time:

- database: PostgreSQL answers a query;
- cache:    the cache (Redis in production) keeps a value and gives it back;
- broker:   a connection to the Celery broker opens;
- beat:     beat's heartbeat task ran recently (beat sends it every minute, a worker runs it: a fresh heartbeat
            means beat, the broker and a worker all work);
- outbox:   no email has waited in the outbox longer than HEALTH_OUTBOX_MAX_AGE_MINUTES.

It answers JSON naming each check and its state, 200 when all pass and 503 naming the failing ones. The reasons
shown are exception class names only (the endpoint is public); the full error goes to the log.

Both are answered by `HealthCheckMiddleware` near the top of MIDDLEWARE, before the host check, HTTPS redirect and
sessions: a probe from a container's own healthcheck (Host: 127.0.0.1) or a load balancer gets the truth whatever
ALLOWED_HOSTS says. The URLconf routes them too, so `reverse("healthz")` works.
"""

import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)

HEARTBEAT_KEY = "prm:beat-heartbeat"
PATHS = {"/healthz", "/readyz"}


def _setting(name, default):
    return getattr(settings, name, default)


# --- the checks: each returns None when fine, or raises / returns a short reason ---------------------------------


def check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache():
    from django.core.cache import caches

    cache = caches["default"]
    key, value = f"prm:readyz:{uuid.uuid4().hex}", uuid.uuid4().hex
    try:
        cache.set(key, value, 30)
        if cache.get(key) != value:
            return "the cache did not keep a value"
    finally:
        cache.delete(key)
    return None


def check_broker():
    from kombu import Connection

    timeout = _setting("HEALTH_TIMEOUT_SECONDS", 2)
    options = dict(_setting("CELERY_BROKER_TRANSPORT_OPTIONS", {}) or {})
    with Connection(settings.CELERY_BROKER_URL, connect_timeout=timeout, transport_options=options) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout)
    return None


def check_beat():
    from django.core.cache import cache

    beat = cache.get(HEARTBEAT_KEY)
    if not beat:
        return "no heartbeat yet"
    age = time.time() - float(beat)
    if age > _setting("HEALTH_BEAT_MAX_AGE_SECONDS", 180):
        return f"last heartbeat {int(age)} s ago"
    return None


def check_outbox():
    from prm_portal.core.models import OutboxMessage

    minutes = _setting("HEALTH_OUTBOX_MAX_AGE_MINUTES", 15)
    waiting = OutboxMessage.objects.filter(
        status__in=[OutboxMessage.Status.PENDING, OutboxMessage.Status.SENDING],
        created_at__lt=timezone.now() - timedelta(minutes=minutes),
    ).count()
    if waiting:
        return f"{waiting} waiting longer than {minutes} min"
    return None


# The database-backed checks run in the request's thread (its connection, its transaction); the network ones run
# in threads of their own so that a hung Redis or broker costs at most HEALTH_TIMEOUT_SECONDS.
IN_THREAD = {"database": check_database, "outbox": check_outbox}
BOUNDED = {"cache": check_cache, "broker": check_broker, "beat": check_beat}
ORDER = ("database", "cache", "broker", "beat", "outbox")


def _run(name, check):
    try:
        reason = check()
    except Exception as exc:  # noqa: BLE001 - any failure of a dependency is a failed check, never a 500
        logger.warning("Readiness check %s failed: %r", name, exc)
        return {"ok": False, "error": exc.__class__.__name__}
    if reason:
        logger.warning("Readiness check %s failed: %s", name, reason)
        return {"ok": False, "error": reason}
    return {"ok": True}


def _run_bounded(name, check, pool, timeout):
    def wrapped():
        try:
            return _run(name, check)
        finally:
            from django.db import connections

            connections.close_all()  # a check thread never keeps a database connection of its own

    return pool.submit(wrapped)


def readiness():
    """{name: {"ok": bool, "error": reason}} for every check, in a stable order."""
    timeout = _setting("HEALTH_TIMEOUT_SECONDS", 2)
    results = {}
    pool = ThreadPoolExecutor(max_workers=len(BOUNDED), thread_name_prefix="readyz")
    try:
        futures = {name: _run_bounded(name, check, pool, timeout) for name, check in BOUNDED.items()}
        for name, check in IN_THREAD.items():
            results[name] = _run(name, check)
        deadline = time.monotonic() + timeout
        for name, future in futures.items():
            try:
                results[name] = future.result(timeout=max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                logger.warning("Readiness check %s gave no answer within %s s", name, timeout)
                results[name] = {"ok": False, "error": "timeout"}
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return {name: results[name] for name in ORDER}


@never_cache
def healthz(request):
    """Liveness: the process answers. No database, no cache, nothing that could fail for another reason."""
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request):
    checks = readiness()
    failing = [name for name, result in checks.items() if not result["ok"]]
    body = {"status": "failing" if failing else "ok", "checks": checks, "failing": failing}
    return JsonResponse(body, status=503 if failing else 200)


healthz.prm_always_open = True
readyz.prm_always_open = True


class HealthCheckMiddleware:
    """Answers GET/HEAD /healthz and /readyz before the host check, HTTPS redirect, sessions and the portal's gates
    (see the module's docstring). Place it right after the request-id middleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path in PATHS and request.method in ("GET", "HEAD"):
            return healthz(request) if request.path == "/healthz" else readyz(request)
        return self.get_response(request)


@shared_task(ignore_result=True)
def beat_heartbeat_task():
    """Sent by beat every minute (CELERY_BEAT_SCHEDULE); /readyz fails when the last run is too old."""
    from django.core.cache import cache

    cache.set(HEARTBEAT_KEY, f"{time.time():.3f}", None)
    return "heartbeat"
