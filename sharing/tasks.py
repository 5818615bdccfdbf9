"""Thin tasks for sharing."""

from celery import shared_task


@shared_task
def sharing_grants_rebuild_task():
    """Write the sharing rules' object permissions after the wizard's Done (they can be many)."""
    from .services import sharing_grants_rebuild

    return sharing_grants_rebuild()
