"""When each reminder goes: wall-clock arithmetic in the court's time zone, so DST never shifts the hour.

A reminder "7 days before" a 09:00 hearing goes at 09:00 court time seven calendar days earlier, whatever the
UTC offset was then. "The morning of" is 07:00 on the day (or two hours before an early event). A deadline ends at
23:59 on its last day (``bot.reminders.deadlines``); its reminders go at 10:00 in its time zone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.reminders import deadlines

HEARING_LEADS = ("7d", "2d", "1d", "morning")
BIA_LEADS = ("20d", "10d", "5d", "2d", "1d")
# The reminders each deadline offers, in order (all on by default). "next": the day after the move (or, when the
# move is entered later, the day after it is entered); "bond": voluntary departure's bond, the business day before
# its last day; "0d": the morning of the last day.
DEADLINE_LEADS = {
    "bia": BIA_LEADS,
    "pfr": ("20d", "10d", "5d", "2d", "1d"),
    "reopen_90": ("60d", "30d", "10d", "5d", "1d"),
    "reopen_180": ("90d", "30d", "10d", "5d", "1d"),
    "vd": ("bond", "20d", "10d", "5d", "2d", "1d"),
    "address": ("next", "1d", "0d"),
    "one_year": ("90d", "30d", "10d", "5d", "1d"),
}
BIA_REMINDER_HOUR = time(10, 0)  # a deadline's reminders go at 10:00 in its time zone
MORNING = time(7, 0)
FOLLOWUP_AFTER = timedelta(hours=4)


def available_leads(kind: str | None) -> tuple[str, ...]:
    return DEADLINE_LEADS.get(kind or "", HEARING_LEADS)


def _localize(day: date, at: time, tz: str) -> datetime:
    return datetime.combine(day, at, tzinfo=ZoneInfo(tz))


def local_event(event_at: datetime, tz: str) -> datetime:
    return event_at.astimezone(ZoneInfo(tz))


def due_time(event_at: datetime, tz: str, lead: str) -> datetime:
    """UTC time at which the reminder for ``lead`` ("7d", "0d", "morning") goes out."""
    local = local_event(event_at, tz)
    if lead == "morning":
        at = MORNING if local.time() >= time(9, 0) else (datetime.combine(local.date(), local.time())
                                                          - timedelta(hours=2)).time()
        return _localize(local.date(), at, tz).astimezone(UTC)
    days = int(lead.removesuffix("d"))
    at = local.time() if local.time() != deadlines.END_OF_DAY else BIA_REMINDER_HOUR
    return _localize(local.date() - timedelta(days=days), at, tz).astimezone(UTC)


def _candidates(event_at: datetime, tz: str, lead: str, start: date | None, now: datetime) -> list[datetime]:
    """When ``lead`` could go, best first; the plan takes the first one still ahead."""
    if lead == "next":  # the day after the move, or the day after it was entered
        if start is None:
            return []
        today = now.astimezone(ZoneInfo(tz)).date()
        return [_localize(day, BIA_REMINDER_HOUR, tz).astimezone(UTC)
                for day in (start + timedelta(days=1), today + timedelta(days=1))]
    if lead == "bond":  # the business day before the bond's last day, else the morning of that day
        if start is None:
            return []
        last = deadlines.bond_deadline(start).due
        return [_localize(day, BIA_REMINDER_HOUR, tz).astimezone(UTC)
                for day in (deadlines.previous_business_day(last - timedelta(days=1)), last)]
    return [due_time(event_at, tz, lead)]


def bond_due_at(start: date, tz: str) -> datetime:
    """The end of voluntary departure's bond day, as an instant."""
    return _localize(deadlines.bond_deadline(start).due, deadlines.END_OF_DAY, tz).astimezone(UTC)


def plan(event_at: datetime, tz: str, leads: list[str], now: datetime, *, followup: bool,
         start: date | None = None) -> list[tuple[str, datetime]]:
    """(lead, due_at) for every lead still ahead and before the event, plus the follow-up after the event.
    ``start`` is the day a deadline counts from (needed by "next" and "bond")."""
    planned = []
    for lead in leads:
        due = next((t for t in _candidates(event_at, tz, lead, start, now) if now < t < event_at), None)
        if due is not None:
            planned.append((lead, due))
    if followup:
        planned.append(("followup", event_at + FOLLOWUP_AFTER))
    return sorted(planned, key=lambda item: item[1])
