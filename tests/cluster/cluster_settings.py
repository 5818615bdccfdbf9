"""Settings of `make cluster-check`: the local settings (everything else from the environment the script sets),
with the periodic tasks every few seconds instead of every minute or quarter hour, so the check takes a minute."""

from datetime import timedelta

from prm_portal.settings.local import *  # noqa: F403
from prm_portal.settings.local import CELERY_BEAT_SCHEDULE as _SCHEDULE

FAST = {"outbox-relay-sweep", "referrals-expire-overdue", "beat-heartbeat"}
CELERY_BEAT_SCHEDULE = {
    name: {**entry, "schedule": timedelta(seconds=4)} if name in FAST else entry for name, entry in _SCHEDULE.items()
}
