"""The outbox (F3) against the real things: a hung SMTP server, a worker killed mid-delivery, two relays at once,
and a real Celery worker on Redis (db 5). Real sockets, threads and processes against the test database."""

import email
import os
import signal
import socketserver
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connections, transaction
from django.test.utils import override_settings
from django.utils import timezone

from prm_portal.core import outbox
from prm_portal.core.emails import email_enqueue, email_enqueue_many
from prm_portal.core.models import OutboxMessage

from .test_outbox import real_broker

Status = OutboxMessage.Status
ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/5"
SMTP = "django.core.mail.backends.smtp.EmailBackend"
RELAY_SCRIPT = "import django; django.setup(); from prm_portal.core.outbox import outbox_relay; print(outbox_relay())"


@pytest.fixture
def silent_doorbell(monkeypatch):
    """The rows are committed, but nothing relays them on commit: each test runs the relays it means to."""
    monkeypatch.setattr(outbox, "_ring", lambda: None)


def _enqueue(key, to="rep@alpha.example"):
    email_enqueue(template_key="test_ping", to=to, context={"name": "Adam"}, idempotency_key=key)


def _smtp_settings(port, timeout):
    return {"EMAIL_BACKEND": SMTP, "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": port, "EMAIL_TIMEOUT": timeout,
            "EMAIL_USE_TLS": False, "EMAIL_USE_SSL": False, "EMAIL_HOST_USER": "", "EMAIL_HOST_PASSWORD": ""}


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class HangingSMTPServer:
    """Accepts connections on 127.0.0.1 and never says a word."""

    def __init__(self):
        self.accepted = threading.Event()
        self.stop = threading.Event()
        owner = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                owner.accepted.set()
                owner.stop.wait(30)

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


class SMTPSink:
    """A small SMTP server on 127.0.0.1 that keeps every message it receives. `delays[i]` seconds pass before it
    answers the end of the i-th message's DATA (a slow server); the message counts as received before that."""

    def __init__(self, delays=()):
        self.delays = list(delays)
        self.messages = []
        self.data_received = threading.Event()
        self.stop = threading.Event()
        self.lock = threading.Lock()
        owner = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, text):
                self.wfile.write(text.encode() + b"\r\n")
                self.wfile.flush()

            def handle(self):
                try:
                    self.reply("220 sink ESMTP")
                    while line := self.rfile.readline():
                        command = line[:4].upper()
                        if command in (b"EHLO", b"HELO"):
                            self.reply("250 sink")
                        elif command in (b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                            self.reply("250 OK")
                        elif command == b"DATA":
                            self.reply("354 End data with <CR><LF>.<CR><LF>")
                            lines = []
                            while (data := self.rfile.readline()) not in (b".\r\n", b""):
                                lines.append(data[1:] if data.startswith(b"..") else data)
                            owner.stop.wait(owner.received(b"".join(lines)))
                            self.reply("250 queued")
                        elif command == b"QUIT":
                            self.reply("221 bye")
                            return
                        else:
                            self.reply("502 not implemented")
                except OSError:  # the client was killed
                    return

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]

    def received(self, data):
        with self.lock:
            self.messages.append(email.message_from_bytes(data))
            index = len(self.messages) - 1
        self.data_received.set()
        return self.delays[index] if index < len(self.delays) else 0

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


def _settings_module(tmp_path, **overrides):
    """A settings module for a child process: the test settings, this test's database, and `overrides`."""
    name = f"outbox_child_settings_{uuid.uuid4().hex[:8]}"
    lines = ["import os", "from prm_portal.settings.test import *  # noqa",
             "DATABASES['default']['NAME'] = os.environ['OUTBOX_TEST_DATABASE']"]
    lines += [f"{key} = {value!r}" for key, value in overrides.items()]
    (tmp_path / f"{name}.py").write_text("\n".join(lines) + "\n")
    return {**os.environ, "DJANGO_SETTINGS_MODULE": name, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)]),
            "OUTBOX_TEST_DATABASE": settings.DATABASES["default"]["NAME"]}


@pytest.mark.django_db(transaction=True)
def test_a_hung_smtp_server_costs_one_timeout_and_holds_no_lock(silent_doorbell):
    _enqueue("hung")
    row = OutboxMessage.objects.get(idempotency_key="hung")
    result = {}
    with HangingSMTPServer() as server, override_settings(**_smtp_settings(server.port, timeout=2)):

        def relay():
            try:
                started = time.monotonic()
                result["counts"] = outbox.outbox_relay()
                result["seconds"] = time.monotonic() - started
            finally:
                connections.close_all()

        thread = threading.Thread(target=relay)
        thread.start()
        assert server.accepted.wait(10), "the relay never connected"
        # While the relay waits on the server, the row is leased, not locked: another transaction takes it at once.
        with transaction.atomic():
            during = OutboxMessage.objects.select_for_update(nowait=True).get(pk=row.pk)
        assert during.status == Status.SENDING and during.lease_until > timezone.now()
        thread.join(15)
    assert not thread.is_alive() and result["seconds"] < 6
    assert result["counts"] == {"sent": 0, "retry": 1, "failed": 0}
    row.refresh_from_db()
    assert row.status == Status.PENDING and row.attempts == 1 and "timed out" in row.last_error
    assert row.next_attempt_at > timezone.now() and row.lease_until is None
    with transaction.atomic():
        OutboxMessage.objects.select_for_update(nowait=True).get(pk=row.pk)


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_delivery_is_replaced_after_its_lease_with_the_same_message_id(silent_doorbell, tmp_path):
    _enqueue("killed")
    row = OutboxMessage.objects.get(idempotency_key="killed")
    with SMTPSink(delays=[60]) as sink:
        env = _settings_module(tmp_path, OUTBOX_LEASE_SECONDS=4, **_smtp_settings(sink.port, timeout=20))
        first = subprocess.Popen([sys.executable, "-c", RELAY_SCRIPT], cwd=ROOT, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            assert sink.data_received.wait(30), "the first relay never sent the message"
            row.refresh_from_db()
            assert row.status == Status.SENDING and row.attempts == 1
            first.send_signal(signal.SIGKILL)
        finally:
            first.kill()
            first.wait(10)
        assert first.returncode == -signal.SIGKILL

        # Its lease still runs: nobody else takes the row yet (this in-process relay would use locmem).
        assert outbox.outbox_relay() == {"sent": 0, "retry": 0, "failed": 0} and mail.outbox == []
        time.sleep(max((row.lease_until - timezone.now()).total_seconds(), 0) + 0.3)

        second = subprocess.run([sys.executable, "-c", RELAY_SCRIPT], cwd=ROOT, env=env, capture_output=True,
                                text=True, timeout=60)
        assert second.returncode == 0, second.stderr
        assert "'sent': 1" in second.stdout
    row.refresh_from_db()
    assert row.status == Status.SENT and row.attempts == 2
    assert len(sink.messages) == 2, "delivered at least once (the killed attempt's data had reached the server)"
    assert {m["Message-ID"] for m in sink.messages} == {row.message_id}
    assert all(m["To"] == "rep@alpha.example" and m["Subject"] == "Ping for Adam" for m in sink.messages)


class CountingBackend(BaseEmailBackend):
    """Counts each Message-ID it is given; a little slow, so that two relays overlap."""

    sent = []
    lock = threading.Lock()

    def send_messages(self, email_messages):
        for message in email_messages:
            time.sleep(0.005)
            with self.lock:
                self.sent.append((threading.get_ident(), message.extra_headers["Message-ID"]))
        return len(email_messages)


@pytest.mark.django_db(transaction=True)
@override_settings(EMAIL_BACKEND="tests.core.test_outbox_processes.CountingBackend")
def test_two_relays_at_once_send_each_message_exactly_once(silent_doorbell):
    CountingBackend.sent = []
    email_enqueue_many(
        {"template_key": "test_ping", "to": f"rep{i}@alpha.example", "context": {"name": f"Rep {i}"},
         "idempotency_key": f"race-{i}", "language": "en"}
        for i in range(200)
    )
    barrier = threading.Barrier(2)
    results, errors = [], []

    def relay():
        try:
            barrier.wait(timeout=10)
            results.append(outbox.outbox_relay(batch_size=10))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=relay) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    sent = Counter(message_id for _thread, message_id in CountingBackend.sent)
    assert len(sent) == 200 and set(sent.values()) == {1}, "a message was sent twice or not at all"
    assert len(results) == 2 and sum(result["sent"] for result in results) == 200
    assert all(result["sent"] for result in results), "both relays took part"
    assert set(OutboxMessage.objects.values_list("status", "attempts")) == {(Status.SENT, 1)}
    assert set(sent) == set(OutboxMessage.objects.values_list("message_id", flat=True))


@pytest.mark.django_db(transaction=True)
def test_a_real_celery_worker_on_redis_delivers_an_email_committed_with_a_change(tmp_path):
    broker = redis.Redis.from_url(REDIS_URL)
    broker.ping()  # Redis down fails this test: it is not skipped
    broker.flushdb()
    mail_dir = tmp_path / "mail"
    env = _settings_module(tmp_path, CELERY_BROKER_URL=REDIS_URL, CELERY_TASK_ALWAYS_EAGER=False,
                           EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
                           EMAIL_FILE_PATH=str(mail_dir))
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "prm_portal", "worker", "-P", "solo", "-c", "1", "--without-mingle",
         "--without-gossip", "--without-heartbeat", "-l", "info", "-n", f"outbox-test-{os.getpid()}@localhost"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        with real_broker(REDIS_URL), transaction.atomic():
            _enqueue("real-worker")
        row = OutboxMessage.objects.get(idempotency_key="real-worker")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            row.refresh_from_db()
            if row.status == Status.SENT:
                break
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()
            time.sleep(0.2)
    finally:
        worker.terminate()
        try:
            worker.wait(10)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(10)
        log.close()
        broker.flushdb()
    assert row.status == Status.SENT, (tmp_path / "worker.log").read_text()
    files = list(mail_dir.iterdir())
    assert len(files) == 1
    delivered = email.message_from_bytes(files[0].read_bytes())
    assert delivered["To"] == "rep@alpha.example" and delivered["Subject"] == "Ping for Adam"
    assert delivered["Message-ID"] == row.message_id
    assert mail.outbox == [], "delivered by the worker, not in this process"
