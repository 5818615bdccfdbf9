"""One request id per request: on every log line the request writes, back in the response, and carried into the
Celery tasks the request publishes (and restored around them in the worker)."""

import io
import logging
import re

import pytest
from celery import shared_task
from celery.signals import before_task_publish
from django.http import HttpResponse
from django.urls import path

from prm_portal.celery import app as celery_app
from prm_portal.core.requestid import RequestIdFilter, get_request_id

logger = logging.getLogger("prm.ops.test")


@shared_task
def echo_request_id_task():
    logger.warning("inside the task")
    return get_request_id()


def _view(request):
    logger.warning("inside the view")
    echo_request_id_task.delay()
    return HttpResponse("ok")


urlpatterns = [path("ops-request-id/", _view)]
pytestmark = pytest.mark.urls("tests.ops.test_request_id")


@pytest.fixture
def log_lines():
    """What the portal's configured console handler (settings.LOGGING) writes, line by line."""
    handler = next(h for h in logging.getLogger().handlers if any(isinstance(f, RequestIdFilter) for f in h.filters))
    stream = io.StringIO()
    old = handler.setStream(stream)
    yield lambda: stream.getvalue().splitlines()
    handler.setStream(old)


@pytest.fixture
def published_headers():
    seen = []

    def record(headers=None, **kwargs):
        seen.append(dict(headers or {}))

    before_task_publish.connect(record, weak=False)
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False  # really publish (to the in-memory broker of the tests)
    yield seen
    celery_app.conf.task_always_eager = eager
    before_task_publish.disconnect(record)


def test_log_lines_of_a_request_carry_the_callers_request_id(client, db, log_lines, published_headers):
    response = client.get("/ops-request-id/", HTTP_X_REQUEST_ID="edge-4f1c2a9e77")
    assert response["X-Request-ID"] == "edge-4f1c2a9e77"
    line = next(line for line in log_lines() if "inside the view" in line)
    assert "[edge-4f1c2a9e77]" in line


def test_a_request_without_an_id_gets_one_and_its_log_lines_carry_it(client, db, log_lines, published_headers):
    response = client.get("/ops-request-id/")
    request_id = response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert f"[{request_id}]" in next(line for line in log_lines() if "inside the view" in line)
    assert client.get("/ops-request-id/")["X-Request-ID"] != request_id


def test_an_id_that_is_not_a_plain_id_is_replaced(client, db, published_headers):
    response = client.get("/ops-request-id/", HTTP_X_REQUEST_ID="evil\" id; <script>")
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_a_task_published_in_a_request_carries_the_request_id_in_its_headers(client, db, published_headers):
    response = client.get("/ops-request-id/", HTTP_X_REQUEST_ID="edge-77aa11bb22")
    task_headers = [h for h in published_headers if h.get("task") == echo_request_id_task.name]
    assert task_headers and task_headers[-1]["request_id"] == response["X-Request-ID"] == "edge-77aa11bb22"


def test_a_task_published_outside_a_request_carries_no_request_id(db, published_headers):
    echo_request_id_task.delay()
    assert "request_id" not in published_headers[-1]


def test_the_worker_restores_the_request_id_around_the_task_and_its_log_lines(log_lines):
    result = echo_request_id_task.apply(headers={"request_id": "edge-5e5e5e5e5e"})
    assert result.result == "edge-5e5e5e5e5e"  # an EagerResult: no .get() (Celery refuses it after an eager task)
    assert "[edge-5e5e5e5e5e]" in next(line for line in log_lines() if "inside the task" in line)
    assert get_request_id() is None  # nothing leaks into the next task
