"""Deadlines the reminder form calculates, each rule written once as data, and one pure function that counts them.

A rule says how long the period is (calendar days, business days or a year), counted from which event, and what
happens when the last day is a Saturday, a Sunday or a US federal holiday:

* ``NEXT`` — the rule itself moves the last day to the next business day (we only do this where a regulation, a
  court rule or the Supreme Court says so);
* ``EARLIER`` — the roll-over is not settled for this deadline: we count to the business day *before*, so a
  reminder is never later than the law allows (the text says so);
* ``KEEP`` — the act can be done on any day (leaving the US): the calendar day stays, even though the law may give
  until the next business day (the text says so).

The day of the event is day 0 (the usual way: 8 CFR 1001.1(h), FRAP 26(a), and for the one-year deadline
Minasyan v. Mukasey, 553 F.3d 1224 (9th Cir. 2009)). State and local holidays are not counted: they could only make
a deadline later, never earlier. Every deadline ends at the end of its day in New York, the earliest of the mainland
US time zones, so a filing is never planned for a time that has already passed where the court or office is.

Sources, checked December 2026 (``shared/facts.md``):
  bia         8 CFR 1003.38(b) — 30 days, weekend/holiday → next business day (in the regulation itself)
  pfr         8 U.S.C. 1252(b)(1) — 30 days; counted under FRAP 26(a)(1)(C), which moves a weekend/holiday forward
  reopen_90   8 CFR 1003.23(b)(1), 1003.2(c)(2) — 90 days; 8 CFR 1001.1(h) moves a weekend/holiday forward, as the
              government conceded for these IIRIRA deadlines in Monsalvo Velázquez v. Bondi (2025)
  reopen_180  8 U.S.C. 1229a(b)(5)(C)(i), 8 CFR 1003.23(b)(4)(ii) — 180 days after an in-absentia order
  vd          8 U.S.C. 1229c, 8 CFR 1240.26 — the days the judge granted (≤ 120 early, ≤ 60 at the end); Monsalvo
              Velázquez v. Bondi (2025) moves a weekend/holiday forward, but leaving is possible any day: KEEP
  vd_bond     8 CFR 1240.26(c)(3) — the bond (≥ $500) within 5 business days of the order
  address     8 CFR 1003.15(d)(2) — "within five days" (some guides, and shared/facts.md, say five working days,
              which is later): 5 calendar days; 8 CFR 1001.1(h) moves a weekend/holiday forward
  one_year    INA 208(a)(2)(B), 8 CFR 1208.4(a)(2)(ii) — 1 year after the last arrival (the anniversary; 29 February
              → 28 February); guides say a weekend/holiday moves it forward, which we could not confirm: EARLIER
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays

DAYS, BUSINESS_DAYS, YEARS = "days", "business_days", "years"
NEXT, EARLIER, KEEP = "next", "earlier", "keep"
DEADLINE_TZ = "America/New_York"  # the BIA (Falls Church, Virginia) and the earliest mainland US end of day
END_OF_DAY = time(23, 59)


@dataclass(frozen=True)
class Rule:
    kind: str
    amount: int | None  # None: the person gives it (the days of voluntary departure)
    unit: str
    weekend: str  # NEXT | EARLIER | KEEP (business-day counts never end on a closed day)
    source: str
    url: str
    max_amount: int | None = None

    @property
    def rolls(self) -> bool:
        return self.unit != BUSINESS_DAYS


_ECFR = "https://www.ecfr.gov/current/title-8/section-"
RULES: dict[str, Rule] = {r.kind: r for r in (
    Rule("bia", 30, DAYS, NEXT, "8 CFR 1003.38(b)", _ECFR + "1003.38#p-1003.38(b)"),
    Rule("pfr", 30, DAYS, NEXT, "8 U.S.C. 1252(b)(1); FRAP 26(a)",
         "https://uscode.house.gov/view.xhtml?req=granuleid:USC-prelim-title8-section1252&num=0&edition=prelim"),
    Rule("reopen_90", 90, DAYS, NEXT, "8 CFR 1003.23(b)(1); 8 CFR 1001.1(h)", _ECFR + "1003.23#p-1003.23(b)(1)"),
    Rule("reopen_180", 180, DAYS, NEXT, "8 CFR 1003.23(b)(4)(ii); 8 U.S.C. 1229a(b)(5)(C)",
         _ECFR + "1003.23#p-1003.23(b)(4)(ii)"),
    Rule("vd", None, DAYS, KEEP, "8 U.S.C. 1229c; 8 CFR 1240.26", _ECFR + "1240.26", max_amount=120),
    Rule("vd_bond", 5, BUSINESS_DAYS, NEXT, "8 CFR 1240.26(c)(3)", _ECFR + "1240.26#p-1240.26(c)(3)"),
    Rule("address", 5, DAYS, NEXT, "8 CFR 1003.15(d)(2); 8 CFR 1001.1(h)", _ECFR + "1003.15#p-1003.15(d)(2)"),
    Rule("one_year", 1, YEARS, EARLIER, "INA 208(a)(2)(B); 8 CFR 1208.4(a)(2)(ii)", _ECFR + "1208.4#p-1208.4(a)(2)"),
)}
# The kinds a person can choose in the form (the bond is part of voluntary departure), in the order offered.
DEADLINE_KINDS = ("bia", "pfr", "reopen_90", "reopen_180", "vd", "address", "one_year")
# Voluntary departure: at most 120 days when asked for early, 60 at the end of the case (8 CFR 1240.26(b), (c)).
VD_DAYS_OFFERED = (30, 60, 90, 120)


def is_deadline(kind: str | None) -> bool:
    return kind in DEADLINE_KINDS


@cache
def _us_holidays(year: int) -> holidays.HolidayBase:
    return holidays.US(years=[year])  # federal holidays, on the days federal offices close


def closed_because(day: date) -> str | None:
    """Why courts and federal offices are closed that day: "saturday", "sunday", "holiday", or None."""
    if day.weekday() == 5:
        return "saturday"
    if day.weekday() == 6:
        return "sunday"
    if day in _us_holidays(day.year):
        return "holiday"
    return None


def is_business_day(day: date) -> bool:
    return closed_because(day) is None


def next_business_day(day: date) -> date:
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


def previous_business_day(day: date) -> date:
    while not is_business_day(day):
        day -= timedelta(days=1)
    return day


def add_business_days(start: date, n: int) -> date:
    """The ``n``-th business day after ``start`` (``start`` itself is day 0, whatever day it is)."""
    day = start
    while n > 0:
        day += timedelta(days=1)
        if is_business_day(day):
            n -= 1
    return day


def add_years(start: date, years: int) -> date:
    """The anniversary; 29 February falls back to 28 February (the earlier day, never the later)."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return start.replace(year=start.year + years, day=28)


@dataclass(frozen=True)
class Deadline:
    """One computed deadline and how it was reached, so the person can check every step."""

    rule: Rule
    start: date  # the event it counts from (decision, order, grant, move, arrival)
    amount: int  # how many days (or years, or business days)
    counted: date  # where the count lands
    due: date  # the last day to act, after the weekend rule
    closed: str | None  # why ``counted`` is not a business day, for rules that roll
    legal: date | None  # KEEP / EARLIER: the later day the law (may) allow, shown for information

    @property
    def kind(self) -> str:
        return self.rule.kind

    @property
    def moved(self) -> bool:
        return self.due != self.counted

    def has_passed(self, today: date) -> bool:
        return self.due < today


def amount_problem(kind: str, amount: int | None) -> str | None:
    """Why ``amount`` cannot be used for ``kind``: "missing", "range", or None."""
    rule = RULES[kind]
    if rule.amount is not None:
        return None
    if amount is None:
        return "missing"
    if not 1 <= amount <= (rule.max_amount or 0):
        return "range"
    return None


def compute(kind: str, start: date, amount: int | None = None) -> Deadline:
    """The deadline of ``kind`` counted from ``start``; ``amount`` only where the person gives it (voluntary
    departure's days). Raises KeyError for an unknown kind and ValueError for a missing or impossible amount."""
    rule = RULES[kind]
    if amount_problem(kind, amount):
        raise ValueError("amount")
    n = rule.amount if rule.amount is not None else amount
    if rule.unit == BUSINESS_DAYS:
        counted = add_business_days(start, n)
        return Deadline(rule, start, n, counted, counted, None, None)
    counted = add_years(start, n) if rule.unit == YEARS else start + timedelta(days=n)
    closed = closed_because(counted)
    if closed is None:
        return Deadline(rule, start, n, counted, counted, None, None)
    if rule.weekend == NEXT:
        return Deadline(rule, start, n, counted, next_business_day(counted), closed, None)
    if rule.weekend == EARLIER:
        return Deadline(rule, start, n, counted, previous_business_day(counted), closed, next_business_day(counted))
    return Deadline(rule, start, n, counted, counted, closed, next_business_day(counted))  # KEEP


def bond_deadline(grant: date) -> Deadline:
    """Voluntary departure's bond: 5 business days after the judge's order."""
    return compute("vd_bond", grant)


def event_at(deadline: Deadline) -> datetime:
    """The deadline as an instant: the end of its last day in New York, in UTC."""
    return datetime.combine(deadline.due, END_OF_DAY, tzinfo=ZoneInfo(DEADLINE_TZ)).astimezone(UTC)


def recover(kind: str, start: date, due: date) -> Deadline:
    """The deadline of a stored subscription (its start and its last day), with the days given for voluntary
    departure worked out again: that rule keeps the calendar day, so the days are ``due - start``."""
    amount = (due - start).days if RULES[kind].amount is None else None
    return compute(kind, start, amount)
