"""docker-compose.yml, the Dockerfile and .env.example against the settings. No Docker engine here: what can be
checked without one is checked (the compose file's structure, the image's instructions, the variables)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
PORTAL = ("migrate", "web", "worker", "beat")
LONG_RUNNING = ("db", "redis", "web", "worker", "beat", "mailpit")
ENV_READ = re.compile(r"""\benv(?:\.\w+)?\(\s*["']([A-Z][A-Z0-9_]*)["']""")
STRONG_KEY = "x8#Lq2!vT9zR4mW7pY1sK6dF3hJ0gB5nC8eA2uI4oP7rS1tV9wX3yZ6-strong"


def settings_variables():
    text = "\n".join(p.read_text() for p in (ROOT / "prm_portal" / "settings").glob("*.py"))
    return set(ENV_READ.findall(text))


def test_the_settings_variable_scan_finds_what_the_settings_read():
    found = settings_variables()
    assert {"SECRET_KEY", "DATABASE_URL", "EMAIL_URL", "SENTRY_DSN", "OUTBOX_MESSAGE_ID_DOMAIN", "LOG_LEVEL"} <= found


def test_every_variable_compose_gives_the_portal_is_one_the_settings_read():
    known = settings_variables()
    for name in PORTAL:
        env = SERVICES[name]["environment"]
        unknown = sorted(set(env) - known - {"DJANGO_SETTINGS_MODULE"})
        assert not unknown, f"{name} sets {unknown}, which no setting reads"
        assert env["DJANGO_SETTINGS_MODULE"] == "prm_portal.settings.production"


def test_compose_wires_the_portal_to_its_database_broker_cache_and_mail():
    env = SERVICES["web"]["environment"]
    db = SERVICES["db"]["environment"]
    assert env["DATABASE_URL"] == f"postgres://{db['POSTGRES_USER']}:{db['POSTGRES_PASSWORD']}@db:5432/{db['POSTGRES_DB']}?conn_max_age=60"
    assert env["CELERY_BROKER_URL"].startswith("redis://redis:6379/")
    assert env["REDIS_URL"].startswith("redis://redis:6379/") and env["REDIS_URL"] != env["CELERY_BROKER_URL"]
    assert env["EMAIL_URL"] == "smtp://mailpit:1025"
    assert ":?" in env["SECRET_KEY"], "compose must refuse to start without a SECRET_KEY, never supply one"


def test_every_image_is_pinned_to_a_version():
    for name, service in SERVICES.items():
        image = service["image"]
        repo, _, tag = image.rpartition(":")
        assert repo and tag and tag != "latest", f"{name}: {image} is not pinned"
    assert re.fullmatch(r"16\.\d+(-\w+)?", SERVICES["db"]["image"].split(":")[1])
    assert re.fullmatch(r"7\.\d+\.\d+(-\w+)?", SERVICES["redis"]["image"].split(":")[1])
    assert re.fullmatch(r"v\d+\.\d+\.\d+", SERVICES["mailpit"]["image"].split(":")[1])


def test_long_running_services_restart_and_migrate_runs_once():
    for name in LONG_RUNNING:
        assert SERVICES[name]["restart"] == "unless-stopped", name
    assert SERVICES["migrate"]["restart"] == "no"
    assert "migrate --noinput" in " ".join(SERVICES["migrate"]["command"])


def test_web_worker_and_beat_wait_for_healthy_services_and_a_finished_migrate():
    for name in ("db", "redis"):
        assert SERVICES[name]["healthcheck"]["test"]
    for name in ("web", "worker", "beat"):
        depends = SERVICES[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert depends["db"]["condition"] == "service_healthy", name
        assert depends["redis"]["condition"] == "service_healthy", name
    assert set(SERVICES["migrate"]["depends_on"]) == {"db", "redis"}


def test_the_broker_keeps_its_data():
    redis = SERVICES["redis"]
    command = redis["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert any(volume.endswith(":/data") for volume in redis["volumes"])
    assert volume_name(redis["volumes"][0]) in COMPOSE["volumes"]


def volume_name(spec):
    return spec.split(":")[0]


def test_ports_are_published_on_this_machine_only():
    for name in ("web", "mailpit"):
        for port in SERVICES[name]["ports"]:
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} to every network"


def test_the_image_runs_as_a_user_with_a_python_healthcheck():
    dockerfile = (ROOT / "Dockerfile").read_text()
    user = re.findall(r"^USER\s+(\S+)", dockerfile, re.M)
    assert user and user[-1] not in ("root", "0"), "the image must not run as root"
    healthcheck = re.search(r"^HEALTHCHECK .*?(?=^\S)", dockerfile, re.M | re.S).group(0)
    assert "python" in healthcheck and "urllib" in healthcheck and "/healthz" in healthcheck
    assert "curl" not in healthcheck
    assert "collectstatic" in dockerfile


def test_env_example_lists_every_variable_the_settings_read():
    example = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#?\s?([A-Z][A-Z0-9_]+)=", example, re.M))
    missing = sorted(settings_variables() - listed)
    assert not missing, f".env.example lacks {missing}"
    assert {"PRM_ADMIN_EMAIL", "PRM_ADMIN_PASSWORD"} <= listed


def _import_production(secret_key, extra=None, code=None):
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE", "SENTRY_DSN")}
    env.update({"DJANGO_SETTINGS_MODULE": "prm_portal.settings.production", "ALLOWED_HOSTS": "prm.example.com",
                **(extra or {})})
    if secret_key is not None:
        env["SECRET_KEY"] = secret_key
    code = code or "import django; django.setup(); from django.conf import settings; print('started', settings.DEBUG)"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("key", [
    None, "", "short-key",
    "change-me-to-a-long-random-string-before-going-live-0123456789",
    "replace-me-with-the-output-of-the-command-above",
    "a" * 80,
])
def test_production_refuses_to_start_without_a_strong_secret_key(key):
    result = _import_production(key)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "SECRET_KEY" in result.stderr
    assert "started" not in result.stdout


def test_production_starts_with_a_strong_secret_key():
    result = _import_production(STRONG_KEY)
    assert result.returncode == 0, result.stderr
    assert "started False" in result.stdout


def test_production_logs_are_json_lines_with_the_request_id():
    code = (
        "import django, logging; django.setup()\n"
        "from prm_portal.core.requestid import set_request_id\n"
        "set_request_id('req-0123456789')\n"
        "logging.getLogger('prm.test').warning('hello %s', 'world')\n"
    )
    result = _import_production(STRONG_KEY, code=code)
    assert result.returncode == 0, result.stderr
    import json

    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert line["message"] == "hello world"
    assert line["request_id"] == "req-0123456789"
    assert line["level"] == "WARNING" and line["logger"] == "prm.test" and line["time"]


def test_sentry_is_on_with_django_and_celery_integrations_only_when_a_dsn_is_set():
    code = (
        "import django; django.setup()\n"
        "import sentry_sdk\n"
        "client = sentry_sdk.get_client()\n"
        "print('active', client.is_active(), sorted(getattr(client, 'integrations', {})))\n"
    )
    off = _import_production(STRONG_KEY, code=code)
    assert off.returncode == 0, off.stderr
    assert "active False" in off.stdout
    on = _import_production(STRONG_KEY, {"SENTRY_DSN": "http://public@127.0.0.1:9/1"}, code=code)
    assert on.returncode == 0, on.stderr
    assert "active True" in on.stdout
    assert "'celery'" in on.stdout and "'django'" in on.stdout
