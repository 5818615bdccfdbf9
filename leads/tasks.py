from celery import shared_task
from django.conf import settings

# A job's lease outlives its task: the soft limit stops the import (Failed, "took too long") and the hard limit ends
# the process before the lease runs out, so no second worker takes a job that a living one still runs.
IMPORT_SOFT_TIME_LIMIT = max(settings.LEADS_IMPORT_LEASE_SECONDS - 90, 30)
IMPORT_TIME_LIMIT = max(settings.LEADS_IMPORT_LEASE_SECONDS - 60, 45)


@shared_task(soft_time_limit=IMPORT_SOFT_TIME_LIMIT, time_limit=IMPORT_TIME_LIMIT)
def lead_import_run_task(*, import_id):
    from .services import lead_import_run

    return lead_import_run(import_id=import_id)


@shared_task(ignore_result=True)
def lead_import_sweep_task():
    """Beat, every minute: queue again the imports whose doorbell was lost or whose worker died."""
    from .services import lead_import_sweep

    return lead_import_sweep()


@shared_task(ignore_result=True)
def web_form_submission_prune_task():
    """Beat, hourly: forget web-form tokens older than their lifetime (they cannot be sent again anyway)."""
    from .services import web_form_submission_prune

    return web_form_submission_prune()


@shared_task(ignore_result=True)
def sla_ladder_run_task():
    """Beat, every 5 minutes: reminders, escalations and recalls of leads past their service levels (issue 13).
    Safe to run twice or on two workers at once: each step and each email happens once."""
    from .services import sla_ladder_run

    return sla_ladder_run()
