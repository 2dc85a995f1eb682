"""Reading dates and times the way people type them, in Russian or English.

Accepted: ``2026-12-03``, ``03.12.2026``, ``3.12``, ``3 декабря``, ``3 декабря 2026``, ``Dec 3``,
``December 3, 2026``, ``3 Dec``. A slash date such as ``03/12/2026`` is ambiguous when both numbers could be the
month: the caller asks which was meant. A missing year means the next such day from today.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time

MONTHS = {
    # Russian, all cases people type; English full and short.
    "январ": 1, "янв": 1, "феврал": 2, "фев": 2, "март": 3, "мар": 3, "апрел": 4, "апр": 4, "июн": 6, "июл": 7, "август": 8, "авг": 8, "сентябр": 9, "сен": 9, "сент": 9, "октябр": 10, "окт": 10,
    "ноябр": 11, "ноя": 11, "декабр": 12, "дек": 12,
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "april": 4, "apr": 4, "may": 5, "june": 6,
    "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "sep": 9, "sept": 9, "october": 10,
    "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}
_RU_MAY = {"май", "мая", "мае"}
MAX_YEARS_AHEAD = 3


class DateError(ValueError):
    """``code`` says what is wrong: format, impossible, past, too_far."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Ambiguous:
    """``03/12/2026``: either 3 December or 12 March."""

    day_first: date
    month_first: date


def _month(word: str) -> int | None:
    """Month number from a Russian or English month name in any case form (``декабря``, ``Dec.``, ``мая``)."""
    word = word.lower().strip(".,")
    if word in _RU_MAY:
        return 5
    for length in range(len(word), 2, -1):
        if word[:length] in MONTHS:
            return MONTHS[word[:length]]
    return None


def _make(year: int | None, month: int, day: int, today: date, *, past: bool = False) -> date:
    """The date; without a year, the next such day from today (``past``: the latest one up to today). 29 February
    without a year is the nearest leap year's."""
    if year is None:
        step = -1 if past else 1
        for offset in range(0, 9):  # a 29 February is at most 8 years away
            try:
                candidate = date(today.year + step * offset, month, day)
            except ValueError:
                if month == 2 and day == 29:
                    continue
                raise DateError("impossible") from None
            if (candidate <= today) if past else (candidate >= today):
                return candidate
        raise DateError("impossible")
    try:
        if year < 100:
            year += 2000
        return date(year, month, day)
    except ValueError:
        raise DateError("impossible") from None


def parse_date(text: str, today: date, *, past: bool = False) -> date | Ambiguous:
    """The date typed, or Ambiguous; raises DateError. The result is not yet checked against today. A date typed
    without a year is the next such day (``past``: the latest such day up to today)."""
    s = " ".join(text.strip().lower().replace(",", " ").split())[:40]
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", s):
        return _make(int(m[1]), int(m[2]), int(m[3]), today, past=past)
    if m := re.fullmatch(r"(\d{1,2})\.(\d{1,2})(?:\.(\d{2}|\d{4}))?", s):
        return _make(int(m[3]) if m[3] else None, int(m[2]), int(m[1]), today, past=past)
    if m := re.fullmatch(r"(\d{1,2})/(\d{1,2})(?:/(\d{2}|\d{4}))?", s):
        a, b, year = int(m[1]), int(m[2]), int(m[3]) if m[3] else None
        if a > 12 and b <= 12:
            return _make(year, b, a, today, past=past)
        if b > 12 and a <= 12:
            return _make(year, a, b, today, past=past)
        if a == b:
            return _make(year, a, a, today, past=past)
        day_first = _make(year, b, a, today, past=past)
        month_first = _make(year, a, b, today, past=past)
        return Ambiguous(day_first=day_first, month_first=month_first)
    if m := re.fullmatch(r"(\d{1,2})\s+([a-zа-яё.]+)(?:\s+(\d{4}))?(?:\s*г\.?)?", s):
        month = _month(m[2])
        if month:
            return _make(int(m[3]) if m[3] else None, month, int(m[1]), today, past=past)
    if m := re.fullmatch(r"([a-zа-яё.]+)\s+(\d{1,2})(?:\s+(\d{4}))?", s):
        month = _month(m[1])
        if month:
            return _make(int(m[3]) if m[3] else None, month, int(m[2]), today, past=past)
    raise DateError("format")


def check_range(day: date, today: date, *, allow_past: bool = False) -> date:
    if day < today and not allow_past:
        raise DateError("past")
    if day > date(today.year + MAX_YEARS_AHEAD, today.month, min(today.day, 28)):
        raise DateError("too_far")
    return day


def parse_time(text: str) -> time:
    """``9:00``, ``09.30``, ``9``, ``14:30``, ``9am``, ``2:30 pm``, ``9 утра``; raises DateError."""
    s = " ".join(text.strip().lower().split())[:20]
    m = re.fullmatch(r"(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.|утра|дня|вечера)?", s)
    if not m:
        raise DateError("format")
    hour, minute, suffix = int(m[1]), int(m[2] or 0), (m[3] or "").replace(".", "")
    if suffix in ("am", "pm"):
        if not 1 <= hour <= 12:
            raise DateError("impossible")
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    elif suffix in ("дня", "вечера") and hour < 12:
        hour += 12
    if hour > 23 or minute > 59:
        raise DateError("impossible")
    return time(hour, minute)


_DAYS = re.compile(r"([0-9]{1,3})\s*(?:d|days?|дн\w*|день)?\.?")


def parse_days(text: str) -> int:
    """A number of days as typed: ``60``, ``60 days``, ``60 дней``; ASCII digits only; raises DateError."""
    m = _DAYS.fullmatch(" ".join(text.strip().lower().split())[:40])
    if m is None:
        raise DateError("format")
    return int(m[1])


def read_decision_date(text: str, today: date) -> date:
    """The date of a decision already made (so not in the future); raises DateError. Of a slash date's two
    readings, the one that is not in the future is meant; if both could be, the person is asked to type it
    unambiguously."""
    parsed = parse_date(text, today, past=True)
    if isinstance(parsed, Ambiguous):
        options = [d for d in (parsed.day_first, parsed.month_first) if d <= today]
        if len(options) != 1:
            raise DateError("format")
        parsed = options[0]
    if parsed > today:
        raise DateError("future_decision")
    return parsed
