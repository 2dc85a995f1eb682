"""Dates as people type them, the BIA deadline, and reminders that keep their local hour across DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.reminders import deadlines, schedule
from bot.reminders.dates import Ambiguous, DateError, check_range, parse_date, parse_time

TODAY = date(2026, 11, 29)


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-12-03", date(2026, 12, 3)), ("03.12.2026", date(2026, 12, 3)), ("3.12", date(2026, 12, 3)),
    ("3 декабря", date(2026, 12, 3)), ("3 Декабря 2026", date(2026, 12, 3)), ("Dec 3", date(2026, 12, 3)),
    ("December 3, 2027", date(2027, 12, 3)), ("3 Dec", date(2026, 12, 3)), ("12/25/2026", date(2026, 12, 25)),
    ("25/12/2026", date(2026, 12, 25)), ("5 мая", date(2027, 5, 5)), ("1 марта 2027", date(2027, 3, 1)),
    ("  14  января  ", date(2027, 1, 14)),
])
def test_common_formats(text, expected):
    assert parse_date(text, TODAY) == expected


def test_slash_date_with_two_readings_is_ambiguous():
    assert parse_date("03/12/2026", TODAY) == Ambiguous(date(2026, 12, 3), date(2026, 3, 12))


@pytest.mark.parametrize(("text", "code"), [
    ("30.02.2027", "impossible"), ("31 апреля", "impossible"), ("завтра утром", "format"), ("🙂", "format"),
    ("1" * 5000, "format"), ("", "format"),
])
def test_bad_dates(text, code):
    with pytest.raises(DateError) as caught:
        parse_date(text, TODAY)
    assert caught.value.code == code


def test_past_and_too_far():
    with pytest.raises(DateError, match="past"):
        check_range(date(2026, 11, 28), TODAY)
    with pytest.raises(DateError, match="too_far"):
        check_range(date(2030, 1, 1), TODAY)
    assert check_range(date(2029, 11, 1), TODAY) == date(2029, 11, 1)


@pytest.mark.parametrize(("text", "expected"), [
    ("9:00", time(9)), ("09.30", time(9, 30)), ("9", time(9)), ("14:30", time(14, 30)), ("9am", time(9)),
    ("2:30 pm", time(14, 30)), ("12 pm", time(12)), ("12am", time(0)), ("3 дня", time(15)),
])
def test_times(text, expected):
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["25:00", "9:75", "13pm", "half past nine", ""])
def test_bad_times(text):
    with pytest.raises(DateError):
        parse_time(text)


@pytest.mark.parametrize(("decision", "deadline"), [
    (date(2026, 12, 1), date(2026, 12, 31)),   # a Thursday: stays
    (date(2026, 10, 12), date(2026, 11, 12)),  # day 30 is Veterans Day (Wed 11 Nov) → Thursday
    (date(2026, 11, 5), date(2026, 12, 7)),    # day 30 is Saturday 5 Dec → Monday 7 Dec
    (date(2026, 11, 25), date(2026, 12, 28)),  # day 30 is Christmas (Fri) → Monday 28 Dec
])
def test_bia_deadline_moves_past_weekends_and_federal_holidays(decision, deadline):
    assert deadlines.compute("bia", decision).due == deadline


def test_reminder_keeps_its_local_hour_across_the_march_dst_change():
    # Hearing on Tuesday 10 March 2026, 09:00 in New York (EDT, UTC-4); DST began on Sunday 8 March.
    event = datetime(2026, 3, 10, 9, 0, tzinfo=ZoneInfo("America/New_York")).astimezone(UTC)
    week_before = schedule.due_time(event, "America/New_York", "7d")
    local = week_before.astimezone(ZoneInfo("America/New_York"))
    assert (local.date(), local.time()) == (date(2026, 3, 3), time(9, 0))
    assert week_before.utcoffset() == event.utcoffset()  # both aware UTC
    assert week_before.hour == 14 and event.hour == 13  # EST then EDT: the UTC hour differs, the local does not


def test_reminder_keeps_its_local_hour_across_the_november_dst_change():
    event = datetime(2026, 11, 2, 8, 30, tzinfo=ZoneInfo("America/Los_Angeles")).astimezone(UTC)
    two_days = schedule.due_time(event, "America/Los_Angeles", "2d").astimezone(ZoneInfo("America/Los_Angeles"))
    assert (two_days.date(), two_days.time()) == (date(2026, 10, 31), time(8, 30))
    morning = schedule.due_time(event, "America/Los_Angeles", "morning").astimezone(ZoneInfo("America/Los_Angeles"))
    assert (morning.date(), morning.time()) == (date(2026, 11, 2), time(6, 30))  # two hours before an early hearing


def test_plan_drops_leads_already_past_and_adds_the_follow_up():
    event = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
    now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    planned = schedule.plan(event, "America/New_York", ["7d", "2d", "1d", "morning"], now, followup=True)
    assert [lead for lead, _ in planned] == ["2d", "1d", "morning", "followup"]
    assert planned[-1][1] > event
