"""Business time (issue 13): the working hours of a BusinessCalendar, in its own time zone, minus its holidays.

Pure arithmetic over a `WorkingTime` snapshot of a calendar: `business_add` finds the moment a number of business
hours after a start; `business_between` measures the business time between two moments. Both work in UTC
internally, so a daylight-saving change inside a working day neither adds nor loses an hour.
"""

import datetime
import zoneinfo
from dataclasses import dataclass

UTC = datetime.UTC
MAX_DAYS = 3 * 366  # no limit looks further than this for working time (a calendar with no working day at all)


@dataclass(frozen=True)
class WorkingTime:
    zone: zoneinfo.ZoneInfo
    days: frozenset  # ISO weekdays, 1 = Monday
    starts: datetime.time
    ends: datetime.time
    holidays: frozenset  # dates

    @classmethod
    def of(cls, calendar, holidays=None):
        """The snapshot of a BusinessCalendar (its holidays read once unless given)."""
        if holidays is None:
            holidays = calendar.holidays.values_list("date", flat=True)
        return cls(zone=zoneinfo.ZoneInfo(calendar.time_zone), days=frozenset(int(d) for d in calendar.working_days),
                   starts=calendar.day_starts, ends=calendar.day_ends, holidays=frozenset(holidays))

    @property
    def hours_per_day(self) -> float:
        start = datetime.datetime.combine(datetime.date(2000, 1, 3), self.starts)
        end = datetime.datetime.combine(datetime.date(2000, 1, 3), self.ends)
        return (end - start).total_seconds() / 3600

    def is_working_day(self, day) -> bool:
        return day.isoweekday() in self.days and day not in self.holidays

    def window(self, day):
        """(opens, closes) of `day` in UTC."""
        opens = datetime.datetime.combine(day, self.starts, tzinfo=self.zone).astimezone(UTC)
        closes = datetime.datetime.combine(day, self.ends, tzinfo=self.zone).astimezone(UTC)
        return opens, closes


def business_add(working: WorkingTime, start: datetime.datetime, hours: float) -> datetime.datetime:
    """The moment `hours` business hours after `start` (UTC). Zero hours from outside working time is the next
    opening."""
    remaining = datetime.timedelta(hours=hours)
    cursor = start.astimezone(UTC)
    day = cursor.astimezone(working.zone).date()
    for _ in range(MAX_DAYS):
        if working.is_working_day(day):
            opens, closes = working.window(day)
            begin = max(cursor, opens)
            if begin < closes or (begin == closes and not remaining):
                available = closes - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
        day += datetime.timedelta(days=1)
    raise ValueError("The calendar has no working time within three years.")


def business_between(working: WorkingTime, start: datetime.datetime, end: datetime.datetime) -> datetime.timedelta:
    """The business time from `start` to `end` (negative when `end` is earlier)."""
    if end < start:
        return -business_between(working, end, start)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    total = datetime.timedelta()
    day = start.astimezone(working.zone).date()
    last = end.astimezone(working.zone).date()
    while day <= last:
        if working.is_working_day(day):
            opens, closes = working.window(day)
            begin, finish = max(start, opens), min(end, closes)
            if finish > begin:
                total += finish - begin
        day += datetime.timedelta(days=1)
    return total
