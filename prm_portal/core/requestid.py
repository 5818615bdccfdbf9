"""One id per request, on every log line the request writes and in every Celery task it causes.

The id is the caller's X-Request-ID (a proxy or load balancer usually sets one) when it looks like an id, otherwise
a fresh one; the response carries it back in X-Request-ID. `RequestIdFilter` puts it on each log record as
`request_id` ("-" outside a request). prm_portal/celery.py copies it into the headers of each task published while
it is set and restores it in the worker around the task, so the task's log lines carry the same id.
"""

import contextvars
import logging
import re
import uuid

HEADER = "X-Request-ID"
TASK_HEADER = "request_id"
_VALID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")

_current = contextvars.ContextVar("prm_request_id", default=None)


def get_request_id():
    return _current.get()


def set_request_id(value):
    """Make `value` the current id; returns the token for `reset_request_id`."""
    return _current.set(value)


def reset_request_id(token):
    _current.reset(token)


def request_id_from(value) -> str:
    """The caller's id when it is a plain id of a sane length, else a new one (logs never carry raw input)."""
    if value and _VALID.match(value):
        return value
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """First in MIDDLEWARE: every later middleware's and view's log lines carry the id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_from(request.headers.get(HEADER))
        request.request_id = request_id
        token = set_request_id(request_id)
        try:
            _tag_sentry(request_id)
            response = self.get_response(request)
        finally:
            reset_request_id(token)
        response[HEADER] = request_id
        return response


def _tag_sentry(request_id):
    try:
        import sentry_sdk
    except ImportError:  # pragma: no cover - sentry-sdk is in the lock; this only guards a trimmed install
        return
    sentry_sdk.set_tag("request_id", request_id)


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record (the current request's or task's id, "-" when there is none)."""

    def filter(self, record):
        if not hasattr(record, "request_id"):
            record.request_id = _current.get() or "-"
        return True
