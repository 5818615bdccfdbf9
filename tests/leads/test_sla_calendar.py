"""Business time: working days and hours of a calendar in its own time zone; weekends and holidays don't count."""

import datetime

import pytest

from leads.calendar import WorkingTime, business_add, business_between
from leads.models import BusinessCalendar, Holiday

UTC = datetime.UTC
pytestmark = pytest.mark.django_db


@pytest.fixture
def prague():
    calendar = BusinessCalendar.objects.create(name="Prague office", time_zone="Europe/Prague", working_days="12345",
                                               day_starts=datetime.time(9), day_ends=datetime.time(17))
    return calendar


def _utc(*args):
    return datetime.datetime(*args, tzinfo=UTC)


def test_hours_within_one_working_day_add_up_in_the_calendars_time_zone(prague):
    working = WorkingTime.of(prague)
    # Tuesday 2026-03-03 10:00 in Prague (CET, UTC+1) is 09:00 UTC; four hours later is 14:00 Prague = 13:00 UTC.
    assert business_add(working, _utc(2026, 3, 3, 9), 4) == _utc(2026, 3, 3, 13)


def test_a_weekend_does_not_count(prague):
    working = WorkingTime.of(prague)
    # Friday 15:00 Prague + 4 business hours: 2 on Friday, the weekend skipped, 2 on Monday → Monday 11:00 Prague.
    friday_3pm = _utc(2026, 3, 6, 14)
    assert business_add(working, friday_3pm, 4) == _utc(2026, 3, 9, 10)
    assert business_between(working, friday_3pm, _utc(2026, 3, 9, 10)) == datetime.timedelta(hours=4)


def test_a_holiday_does_not_count(prague):
    Holiday.objects.create(calendar=prague, date=datetime.date(2026, 3, 9), name="Company day")
    working = WorkingTime.of(prague)
    # The same Friday: Monday is a holiday now, so the last two hours fall on Tuesday.
    assert business_add(working, _utc(2026, 3, 6, 14), 4) == _utc(2026, 3, 10, 10)


def test_a_start_outside_working_hours_waits_for_the_next_opening(prague):
    working = WorkingTime.of(prague)
    saturday_night = _utc(2026, 3, 7, 22)
    assert business_add(working, saturday_night, 0) == _utc(2026, 3, 9, 8)  # Monday 09:00 Prague
    assert business_add(working, saturday_night, 8) == _utc(2026, 3, 9, 16)  # a full day: Monday 17:00 Prague


def test_a_daylight_saving_change_neither_adds_nor_loses_an_hour(prague):
    working = WorkingTime.of(prague)
    # Clocks go forward on Sunday 2026-03-29: Friday 16:00 CET (15:00 UTC) + 2 h → Monday 10:00 CEST (08:00 UTC).
    assert business_add(working, _utc(2026, 3, 27, 15), 2) == _utc(2026, 3, 30, 8)


def test_business_time_between_two_moments_counts_only_working_hours(prague):
    working = WorkingTime.of(prague)
    monday_9 = _utc(2026, 3, 2, 8)
    next_monday_9 = _utc(2026, 3, 9, 8)
    assert business_between(working, monday_9, next_monday_9) == datetime.timedelta(hours=40)
    assert business_between(working, next_monday_9, monday_9) == -datetime.timedelta(hours=40)
