from celery import shared_task


@shared_task
def lead_import_run_task(*, import_id):
    from .services import lead_import_run

    return lead_import_run(import_id=import_id)
