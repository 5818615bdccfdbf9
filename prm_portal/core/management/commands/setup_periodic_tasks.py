"""Write the beat schedule defined in settings (CELERY_BEAT_SCHEDULE) into django-celery-beat's tables."""

from datetime import timedelta

from celery.schedules import crontab as crontab_schedule
from celery.schedules import schedule as interval_schedule
from django.conf import settings
from django.core.management.base import BaseCommand
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask


class Command(BaseCommand):
    help = "Install or update the periodic tasks defined in code."

    def handle(self, *args, **options):
        names = []
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
            schedule = entry["schedule"]
            defaults = {"task": entry["task"], "enabled": True, "interval": None, "crontab": None}
            if isinstance(schedule, crontab_schedule):
                crontab, _ = CrontabSchedule.objects.get_or_create(
                    minute=_field(schedule._orig_minute),
                    hour=_field(schedule._orig_hour),
                    day_of_week=_field(schedule._orig_day_of_week),
                    day_of_month=_field(schedule._orig_day_of_month),
                    month_of_year=_field(schedule._orig_month_of_year),
                    timezone=settings.CELERY_TIMEZONE,
                )
                defaults["crontab"] = crontab
            else:
                every = schedule.run_every if isinstance(schedule, interval_schedule) else schedule
                seconds = int(every.total_seconds() if isinstance(every, timedelta) else every)
                interval, _ = IntervalSchedule.objects.get_or_create(every=seconds, period=IntervalSchedule.SECONDS)
                defaults["interval"] = interval
            PeriodicTask.objects.update_or_create(name=name, defaults=defaults)
            names.append(name)
        return f"periodic tasks installed: {', '.join(names) or 'none'}"


def _field(value):
    return str(value)
