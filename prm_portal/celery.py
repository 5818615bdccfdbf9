"""Celery application: configured from Django settings (CELERY_* names)."""

import os

from celery import Celery
from celery.signals import before_task_publish, setup_logging, task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm_portal.settings.local")

app = Celery("prm_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["prm_portal.core"], related_name="health")  # the beat heartbeat task


@setup_logging.connect
def _logging_from_django_settings(**kwargs):
    """Workers and beat log through settings.LOGGING (JSON in production, with the request id), not Celery's own
    format: connecting this signal stops Celery from reconfiguring the root logger."""
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


@before_task_publish.connect
def _request_id_into_headers(headers=None, **kwargs):
    """A task published while a request (or a task) is being handled carries its id in the message headers."""
    from prm_portal.core.requestid import TASK_HEADER, get_request_id

    request_id = get_request_id()
    if request_id and headers is not None and not headers.get(TASK_HEADER):
        headers[TASK_HEADER] = request_id


_tokens = {}


@task_prerun.connect
def _request_id_from_headers(task_id=None, task=None, **kwargs):
    """In the worker, the task's log lines (and the tasks it publishes) carry the id of the request behind it."""
    from prm_portal.core.requestid import TASK_HEADER, set_request_id

    if task is None:
        return
    # A worker puts a message's own headers on the request; `apply(headers=...)` keeps them in request.headers.
    request_id = getattr(task.request, TASK_HEADER, None) or (getattr(task.request, "headers", None) or {}).get(
        TASK_HEADER)
    if request_id and task_id:
        _tokens[task_id] = set_request_id(request_id)


@task_postrun.connect
def _request_id_cleared(task_id=None, **kwargs):
    from prm_portal.core.requestid import reset_request_id

    token = _tokens.pop(task_id, None)
    if token is not None:
        try:
            reset_request_id(token)
        except ValueError:  # set in another context (a different thread): nothing of ours to undo here
            pass
