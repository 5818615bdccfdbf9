"""docker-compose.yml cannot run here (no Docker engine); what can be checked of it is checked."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SETTINGS_ENV = {"DATABASE_URL", "CELERY_BROKER_URL", "EMAIL_URL", "SECRET_KEY", "ALLOWED_HOSTS", "DEBUG"}


def test_compose_has_every_service_of_the_stack():
    assert {"db", "redis", "web", "worker", "beat", "mailpit"} <= set(COMPOSE["services"])


def test_db_and_redis_have_healthchecks_that_the_portal_waits_for():
    for name in ("db", "redis"):
        assert COMPOSE["services"][name]["healthcheck"]["test"]
    for name in ("web", "worker", "beat"):
        depends = COMPOSE["services"][name]["depends_on"]
        assert depends["db"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"


def test_portal_services_get_the_variables_the_settings_read():
    base = "".join(p.read_text() for p in (ROOT / "prm_portal" / "settings").glob("*.py"))
    for name in ("web", "worker", "beat"):
        env = COMPOSE["services"][name]["environment"]
        assert SETTINGS_ENV <= set(env), f"{name} lacks {SETTINGS_ENV - set(env)}"
        for var in env:
            if var != "DJANGO_SETTINGS_MODULE":
                assert f'"{var}"' in base, f"{var} is set in compose but never read by the settings"
        db = COMPOSE["services"]["db"]["environment"]
        assert env["DATABASE_URL"] == f"postgres://{db['POSTGRES_USER']}:{db['POSTGRES_PASSWORD']}@db:5432/{db['POSTGRES_DB']}?conn_max_age=60"
        assert env["CELERY_BROKER_URL"].startswith("redis://redis:6379")
        assert env["EMAIL_URL"] == "smtp://mailpit:1025"


def test_the_mail_catcher_shows_its_web_ui():
    assert any(str(p).endswith("8025") for p in COMPOSE["services"]["mailpit"]["ports"])
