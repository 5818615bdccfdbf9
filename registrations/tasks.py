"""Thin tasks: lapse protections and remind before they lapse; safe to run twice or on two workers."""

from celery import shared_task

from .services import registration_lapse_overdue, registration_remind_lapsing


@shared_task(ignore_result=True)
def registration_lapse_overdue_task():
    reminded = registration_remind_lapsing()
    lapsed = registration_lapse_overdue()
    return f"registrations: {lapsed} lapsed, {reminded} reminded"
