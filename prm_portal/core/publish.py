"""Publishing Celery tasks from request paths: a broker outage is logged, never an error page.

A task published from a view or a service is a doorbell: the work it asks for is already recorded in the database
(an outbox row, an import job) and a periodic sweep picks up whatever a lost doorbell did not start. So code in a
request path never calls `.delay()` / `.delay_on_commit()`; it calls `task_publish_on_commit(task, ...)`.
"""

import functools
import logging

from django.db import transaction
from kombu.exceptions import KombuError, OperationalError

logger = logging.getLogger(__name__)

# What a publish raises when the broker cannot be reached: kombu wraps connection errors in OperationalError after
# its own retries; a transport may let a socket error through.
BROKER_UNREACHABLE = (OperationalError, KombuError, ConnectionError, OSError, TimeoutError)


def task_publish(task, *args, **kwargs) -> bool:
    """Publish `task` now; returns False (and logs a warning) when the broker cannot be reached."""
    try:
        task.apply_async(args=args, kwargs=kwargs)
    except BROKER_UNREACHABLE:
        logger.warning("Broker unreachable: %s not published; its periodic sweep will pick the work up.",
                       task.name, exc_info=True)
        return False
    return True


def task_publish_on_commit(task, *args, **kwargs) -> None:
    """Publish `task` after the current transaction commits (at once outside one); a broker outage is logged."""
    transaction.on_commit(functools.partial(task_publish, task, *args, **kwargs))
