"""/healthz (liveness: no database) and /readyz (readiness: database, cache, broker, beat's heartbeat, outbox)."""

import socket
import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from prm_portal.core.health import HEARTBEAT_KEY, beat_heartbeat_task
from prm_portal.core.models import OutboxMessage

CHECKS = ["database", "cache", "broker", "beat", "outbox"]


def _closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once the socket is closed


@pytest.fixture(autouse=True)
def no_heartbeat():
    cache.delete(HEARTBEAT_KEY)
    yield
    cache.delete(HEARTBEAT_KEY)


@pytest.fixture
def beat_ran(db):
    beat_heartbeat_task.delay()  # eager in the tests: what a worker does when beat sends it


def _ready(client, **extra):
    started = time.monotonic()
    response = client.get("/readyz", **extra)
    return response, response.json(), time.monotonic() - started


def test_liveness_answers_without_touching_the_database(client):
    # No `db` fixture: any query here would raise "Database access not allowed".
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_probes_are_answered_whatever_the_host_header(client, db, settings, beat_ran):
    settings.ALLOWED_HOSTS = ["prm.example.com"]
    assert client.get("/auth/login/", HTTP_HOST="10.1.2.3:8000").status_code == 400  # the host check is on
    assert client.get("/healthz", HTTP_HOST="10.1.2.3:8000").status_code == 200
    assert client.get("/readyz", HTTP_HOST="10.1.2.3:8000").status_code == 200


def test_readiness_names_every_check_and_passes_when_all_work(client, beat_ran):
    response, body, _ = _ready(client)
    assert response.status_code == 200, body
    assert list(body["checks"]) == CHECKS
    assert all(check["ok"] for check in body["checks"].values())
    assert body["status"] == "ok" and body["failing"] == []


def test_readiness_fails_naming_the_broker_when_it_is_unreachable(client, settings, beat_ran):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_closed_port()}/0"
    response, body, elapsed = _ready(client)
    assert response.status_code == 503
    assert body["failing"] == ["broker"]
    assert body["checks"]["broker"]["ok"] is False and body["checks"]["broker"]["error"]
    assert "127.0.0.1" not in response.content.decode()  # no addresses on a public endpoint
    assert elapsed < 10


def test_a_broker_that_never_answers_costs_at_most_the_timeout(client, settings, beat_ran):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # accepts connections, never says a word
        settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
        settings.HEALTH_TIMEOUT_SECONDS = 1
        response, body, elapsed = _ready(client)
    assert response.status_code == 503
    assert body["failing"] == ["broker"]
    assert elapsed < 5


@pytest.mark.parametrize("backend", ["django.core.cache.backends.redis.RedisCache",
                                     "prm_portal.core.cache.SafeRedisCache"])
def test_readiness_fails_naming_the_cache_when_redis_is_unreachable(client, settings, db, backend):
    settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
                                   "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}}
    response, body, elapsed = _ready(client)
    assert response.status_code == 503
    assert "cache" in body["failing"]
    assert "beat" in body["failing"]  # its heartbeat lives in the cache: unreadable is not fresh
    assert body["checks"]["database"]["ok"] and body["checks"]["broker"]["ok"]
    assert elapsed < 10


def test_readiness_fails_naming_beat_before_its_first_heartbeat(client, db):
    response, body, _ = _ready(client)
    assert response.status_code == 503
    assert body["failing"] == ["beat"]
    assert body["checks"]["beat"]["error"] == "no heartbeat yet"


def test_readiness_fails_naming_beat_when_the_heartbeat_is_older_than_allowed(client, db, settings):
    settings.HEALTH_BEAT_MAX_AGE_SECONDS = 180
    cache.set(HEARTBEAT_KEY, f"{time.time() - 200:.3f}", None)
    response, body, _ = _ready(client)
    assert response.status_code == 503
    assert body["failing"] == ["beat"]
    cache.set(HEARTBEAT_KEY, f"{time.time() - 100:.3f}", None)
    assert client.get("/readyz").status_code == 200


def _outbox_row(key, status, minutes_ago):
    row = OutboxMessage.objects.create(idempotency_key=key, message_id=f"<{key}@prm.example>",
                                       payload={}, status=status)
    OutboxMessage.objects.filter(pk=row.pk).update(created_at=timezone.now() - timedelta(minutes=minutes_ago))


def test_readiness_fails_naming_the_outbox_when_emails_wait_too_long(client, settings, beat_ran):
    settings.HEALTH_OUTBOX_MAX_AGE_MINUTES = 15
    _outbox_row("fresh", OutboxMessage.Status.PENDING, 2)
    _outbox_row("done", OutboxMessage.Status.SENT, 60)
    _outbox_row("given-up", OutboxMessage.Status.FAILED, 60)
    assert client.get("/readyz").status_code == 200
    _outbox_row("stuck", OutboxMessage.Status.PENDING, 20)
    response, body, _ = _ready(client)
    assert response.status_code == 503
    assert body["failing"] == ["outbox"]
    assert body["checks"]["outbox"]["error"].startswith("1 waiting")


def test_the_heartbeat_is_in_beat_schedule_and_registered(settings):
    from prm_portal.celery import app

    app.loader.import_default_modules()
    entry = settings.CELERY_BEAT_SCHEDULE["beat-heartbeat"]
    assert entry["task"] == "prm_portal.core.health.beat_heartbeat_task"
    assert entry["task"] in app.tasks
    assert entry["schedule"].total_seconds() * 2 < settings.HEALTH_BEAT_MAX_AGE_SECONDS
