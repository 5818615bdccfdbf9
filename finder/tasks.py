"""Thin tasks: the beat schedule calls these; the work is in services."""

from celery import shared_task

from .services import finder_submission_prune


@shared_task
def finder_submission_prune_task():
    """Hourly (CELERY_BEAT_SCHEDULE): forget the finder's old form submissions."""
    return finder_submission_prune()
