"""Redis down, broker down: pages still serve, work is recorded and picked up later (the sweep)."""

import logging
from datetime import timedelta
from unittest import mock

import pytest
from celery.app.task import Task
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from leads.models import Lead, LeadImport
from leads.services import lead_import_sweep
from opportunities.models import Opportunity, Stage
from prm_portal.core.cache import SafeRedisCache
from prm_portal.core.publish import task_publish, task_publish_on_commit
from tests.factories import QueueFactory

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1
CSV = "company,last_name,email\nKovo Hradec,Horák,jan@kovo.example\nPivovar Lipno,Nová,anna@lipno.example\n"


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {"default": {"BACKEND": "prm_portal.core.cache.SafeRedisCache", "LOCATION": DEAD_REDIS,
                                   "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}}}


@pytest.fixture
def broker_down():
    with mock.patch.object(Task, "apply_async", side_effect=OperationalError("[Errno 111] Connection refused")):
        yield


# --- the cache backend ----------------------------------------------------------------------------------------


def test_unreachable_redis_is_a_miss_and_writes_are_no_ops(caplog):
    cache = SafeRedisCache(DEAD_REDIS, {"OPTIONS": {"socket_connect_timeout": 0.2}})
    with caplog.at_level(logging.WARNING, logger="prm_portal.core.cache"):
        assert cache.get("k", "fallback") == "fallback"
    assert "Cache unreachable" in caplog.text
    assert cache.set("k", 1) is None
    assert cache.add("lock", True) is True  # a lock is granted: allauth's rate limits fail open, never 429
    assert cache.get_many(["a", "b"]) == {}
    assert cache.delete("k") is False
    assert cache.get_or_set("k", 5) == 5
    with pytest.raises(ValueError):
        cache.incr("counter")


def test_after_a_failure_redis_is_not_asked_again_for_a_while(settings):
    settings.CACHE_RETRY_SECONDS = 60
    cache = SafeRedisCache(DEAD_REDIS, {"OPTIONS": {"socket_connect_timeout": 0.2}})
    cache.get("k")
    with mock.patch("django.core.cache.backends.redis.RedisCacheClient.get") as client_get:
        assert cache.get("k", 7) == 7
    client_get.assert_not_called()


def test_reachable_redis_still_caches(settings):
    cache = SafeRedisCache("redis://127.0.0.1:6379/9", {})
    cache.set("hardening:k", "v", 10)
    assert cache.get("hardening:k") == "v"
    cache.delete("hardening:k")


def test_settings_use_the_safe_backend_when_redis_url_is_set():
    import importlib
    import os

    import prm_portal.settings.base as base

    with mock.patch.dict(os.environ, {"REDIS_URL": "redis://127.0.0.1:6379/9"}):
        reloaded = importlib.reload(base)
        assert reloaded.CACHES["default"]["BACKEND"] == "prm_portal.core.cache.SafeRedisCache"
    importlib.reload(base)


# --- publishing ------------------------------------------------------------------------------------------------


def test_publishing_with_the_broker_down_logs_and_returns_false(broker_down, caplog):
    from leads.tasks import lead_import_sweep_task

    with caplog.at_level(logging.WARNING, logger="prm_portal.core.publish"):
        assert task_publish(lead_import_sweep_task) is False
    assert "Broker unreachable" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_publishing_on_commit_with_the_broker_down_does_not_raise(broker_down):
    from django.db import transaction

    from leads.tasks import lead_import_sweep_task

    with transaction.atomic():
        task_publish_on_commit(lead_import_sweep_task)  # runs at commit: must not raise


# --- whole requests with Redis and the broker down -------------------------------------------------------------

pytestmark_outage = pytest.mark.django_db(transaction=True)


@pytestmark_outage
def test_sign_in_works_with_redis_down(client, redis_down, broker_down, partner_a_user, password):
    response = client.post(reverse("account_login"), {"login": partner_a_user.email, "password": password})
    assert response.status_code == 302
    assert client.get(reverse("reports:home")).status_code == 200


@pytestmark_outage
def test_failed_sign_in_with_redis_down_is_refused_not_an_error(client, redis_down, partner_a_user):
    response = client.post(reverse("account_login"), {"login": partner_a_user.email, "password": "wrong"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


@pytestmark_outage
def test_home_serves_with_redis_and_broker_down(redis_down, broker_down, cast, login_as):
    for user in (cast.vendor_admin, cast.channel_manager, cast.partner_a_user):
        assert login_as(user).get(reverse("reports:home")).status_code == 200


@pytestmark_outage
def test_creating_an_opportunity_saves_it_with_redis_and_broker_down(redis_down, broker_down, cast, login_as):
    stage = Stage.objects.order_by("order").first()
    response = login_as(cast.partner_a_user).post(reverse("opportunities:create"), {
        "name": "Outage deal", "customer_name": "Pivovar Lipno", "amount": "1200", "currency": "EUR",
        "close_date": "2027-02-02", "stage": stage.pk, "next_step": "", "description": "",
        "owner": cast.partner_a_user.pk})
    assert response.status_code == 302
    assert Opportunity.objects.filter(name="Outage deal").exists()


@pytestmark_outage
def test_csv_import_with_the_broker_down_is_recorded_and_the_sweep_runs_it(redis_down, channel_manager, client):
    QueueFactory(is_default=True)
    client.force_login(channel_manager)
    with mock.patch.object(Task, "apply_async", side_effect=OperationalError("[Errno 111] Connection refused")):
        response = client.post(reverse("leads:import"), {"file": SimpleUploadedFile("leads.csv", CSV.encode())})
        assert response.status_code == 302
        job = LeadImport.objects.get()
        assert job.status == LeadImport.Status.PENDING  # the doorbell was lost, the job row is the record
        assert client.get(response["Location"]).status_code == 200
        assert "1 failed" not in lead_import_sweep()  # a sweep during the outage loses nothing either
    # Later, the broker is back (eager Celery runs what the sweep queues at once).
    assert "0 queued" in lead_import_sweep()  # too recent: its doorbell may still ring
    LeadImport.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    assert "1 queued" in lead_import_sweep()
    job.refresh_from_db()
    assert job.status == LeadImport.Status.DONE
    assert Lead.objects.count() == 2
