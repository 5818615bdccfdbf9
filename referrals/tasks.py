"""Thin tasks: the beat schedule calls these; the work is in services."""

from celery import shared_task

from .services import referral_expire_overdue, referral_remind_expiring


@shared_task
def referral_expire_overdue_task():
    """Every 15 minutes (CELERY_BEAT_SCHEDULE): remind what expires soon, expire what is overdue (E4)."""
    reminded = referral_remind_expiring()
    expired = referral_expire_overdue()
    return f"{expired} referrals expired, {reminded} reminders sent"
