"""`make run` as a person runs it (bin/run-portal, what the Makefile calls): safe by default and, with DEMO=0,
a blank install. The real script, its web server, worker and beat, on a SQLite file of the test's own."""

import os
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ADMIN = "first.admin@vendor.example"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening_addresses(port):
    """Local addresses with a socket LISTENing on `port` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].split(":")
            if fields[3] == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


def _session_processes(sid):
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[3]) == sid:
                yield int(entry.name), (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError, IndexError):
            continue


def _environ(pid):
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


@pytest.fixture
def blank_portal(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "PORTAL_BASE_URL", "HOST", "DEMO", "DJANGO_SETTINGS_MODULE", "REDIS_URL")}
    env.update({
        "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
        "CELERY_BROKER_URL": "memory://",  # never the shared var/broker of a real `make run`
        "DEMO": "0", "PRM_ADMIN_EMAIL": ADMIN, "PRM_ADMIN_PASSWORD": "Quiet-Meadow-Compass-77",
    })
    log = open(tmp_path / "run.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([str(ROOT / "bin" / "run-portal"), str(port)], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail("run-portal stopped:\n" + (tmp_path / "run.log").read_text()[-3000:])
            try:
                if urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).status == 200:
                    break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("the portal did not come up:\n" + (tmp_path / "run.log").read_text()[-3000:])
        yield port, proc, tmp_path
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(30)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        log.close()


def test_make_run_passes_host_demo_and_port_to_the_script():
    makefile = (ROOT / "Makefile").read_text()
    assert "HOST ?= 127.0.0.1" in makefile and "DEMO ?= 1" in makefile
    assert 'HOST="$(HOST)" DEMO="$(DEMO)" bin/run-portal $(PORT)' in makefile


def test_blank_install_listens_on_this_machine_only_links_to_its_port_and_has_only_its_admin(blank_portal):
    port, proc, tmp_path = blank_portal
    assert _listening_addresses(port) == {"0100007F"}, "gunicorn must bind 127.0.0.1 unless HOST says otherwise"
    web = [pid for pid, cmd in _session_processes(proc.pid) if "gunicorn" in cmd]
    assert web
    assert _environ(web[0])["PORTAL_BASE_URL"] == f"http://127.0.0.1:{port}"
    with sqlite3.connect(tmp_path / "portal.sqlite3") as db:
        users = db.execute("SELECT email, role, is_superuser FROM accounts_user").fetchall()
        prm = db.execute("SELECT prm_enabled FROM accounts_portalsettings").fetchall()
        partners = db.execute("SELECT count(*) FROM accounts_partneraccount").fetchone()[0]
    assert users == [(ADMIN, "vendor_admin", 1)]
    assert prm in ([], [(0,)])  # PRM off
    assert partners == 0  # no demo data
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/auth/login/", timeout=10) as page:
        assert page.status == 200 and "No account yet?" in page.read().decode()
