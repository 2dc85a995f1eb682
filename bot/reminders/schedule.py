"""When each reminder goes: wall-clock arithmetic in the court's time zone, so DST never shifts the hour.

A reminder "7 days before" a 09:00 hearing goes at 09:00 court time seven calendar days earlier, whatever the
UTC offset was then. "The morning of" is 07:00 on the day (or two hours before an early event).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays

HEARING_LEADS = ("7d", "2d", "1d", "morning")
BIA_LEADS = ("20d", "10d", "5d", "2d", "1d")
BIA_TZ = "America/New_York"  # the Board receives filings in Falls Church, Virginia
BIA_REMINDER_HOUR = time(10, 0)
MORNING = time(7, 0)
FOLLOWUP_AFTER = timedelta(hours=4)
APPEAL_DAYS = 30


def available_leads(kind: str) -> tuple[str, ...]:
    return BIA_LEADS if kind == "bia" else HEARING_LEADS


def _localize(day: date, at: time, tz: str) -> datetime:
    return datetime.combine(day, at, tzinfo=ZoneInfo(tz))


def local_event(event_at: datetime, tz: str) -> datetime:
    return event_at.astimezone(ZoneInfo(tz))


def due_time(event_at: datetime, tz: str, lead: str) -> datetime:
    """UTC time at which the reminder for ``lead`` goes out."""
    local = local_event(event_at, tz)
    if lead == "morning":
        at = MORNING if local.time() >= time(9, 0) else (datetime.combine(local.date(), local.time())
                                                          - timedelta(hours=2)).time()
        return _localize(local.date(), at, tz).astimezone(UTC)
    days = int(lead.removesuffix("d"))
    at = local.time() if local.time() != time(23, 59) else BIA_REMINDER_HOUR
    return _localize(local.date() - timedelta(days=days), at, tz).astimezone(UTC)


@cache
def _us_holidays(year: int) -> holidays.HolidayBase:
    return holidays.US(years=[year])  # federal holidays


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _us_holidays(day.year)


def bia_deadline(decision_on: date) -> date:
    """Decision date + 30 calendar days; if that is a weekend or a federal holiday, the next business day."""
    deadline = decision_on + timedelta(days=APPEAL_DAYS)
    while not is_business_day(deadline):
        deadline += timedelta(days=1)
    return deadline


def bia_event_at(deadline: date) -> datetime:
    """The deadline as an instant: the end of that day in Virginia."""
    return _localize(deadline, time(23, 59), BIA_TZ).astimezone(UTC)


def plan(event_at: datetime, tz: str, leads: list[str], now: datetime, *, followup: bool) -> list[tuple[str, datetime]]:
    """(lead, due_at) for every lead still in the future, plus the follow-up after the event."""
    planned = [(lead, due) for lead in leads if (due := due_time(event_at, tz, lead)) > now]
    if followup:
        planned.append(("followup", event_at + FOLLOWUP_AFTER))
    return sorted(planned, key=lambda item: item[1])
