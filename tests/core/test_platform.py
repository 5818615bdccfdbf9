import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from accounts.models import PartnerAccount, PortalSettings, User
from leads.models import Lead, Queue
from prm_portal.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]


def test_production_settings_pass_check_deploy_without_warnings():
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "prm_portal.settings.production",
        "SECRET_KEY": "x8#Lq2!vT9zR4mW7pY1sK6dF3hJ0gB5nC8eA2uI4oP7rS1tV9wX3yZ6",
        "ALLOWED_HOSTS": "prm.example.com",
        "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/prm_portal"),
        "REDIS_URL": "redis://127.0.0.1:6379/0",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_celery_app_reads_the_broker_from_django_settings():
    celery_app.loader.import_default_modules()
    assert celery_app.conf.broker_url == settings.CELERY_BROKER_URL
    assert "prm_portal.core.tasks.email_send_task" in celery_app.tasks
    assert "prm_portal.core.tasks.outbox_relay_task" in celery_app.tasks


@pytest.mark.django_db
def test_setup_periodic_tasks_installs_the_schedule_defined_in_code():
    call_command("setup_periodic_tasks")
    call_command("setup_periodic_tasks")
    celery_app.loader.import_default_modules()
    names = set(PeriodicTask.objects.values_list("name", flat=True))
    assert set(settings.CELERY_BEAT_SCHEDULE) <= names
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert PeriodicTask.objects.get(name=name).task == entry["task"]
        assert entry["task"] in celery_app.tasks


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_enables_prm(capsys):
    call_command("seed_demo")
    counts = (User.objects.count(), PartnerAccount.objects.count(), Queue.objects.count(), Lead.objects.count())
    call_command("seed_demo")
    assert (User.objects.count(), PartnerAccount.objects.count(), Queue.objects.count(),
            Lead.objects.count()) == counts
    assert counts[1] == 3 and counts[2] >= 2 and counts[3] > 0
    assert PortalSettings.load().prm_enabled
    out = capsys.readouterr().out
    assert "petra@northwind.example" in out and "Password" in out


def test_test_settings_use_postgresql():
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def test_redis_answers_for_a_real_cache():
    from django.core.cache.backends.redis import RedisCache

    cache = RedisCache("redis://127.0.0.1:6379/15", {"KEY_PREFIX": f"t{os.getpid()}"})
    cache.set("ping", "pong", 5)
    assert cache.get("ping") == "pong"
