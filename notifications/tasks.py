from celery import shared_task


@shared_task(ignore_result=True)
def notification_digest_send_due_task():
    """Beat, every 15 minutes: send the digests whose time has come (once per person and digest time)."""
    from .services import notification_digest_send_due

    return notification_digest_send_due()
