"""The deadlines the reminder form counts (bot/reminders/deadlines.py), without Telegram: every kind across weekends
and US federal holidays, the direction each rule moves a closed last day, the reminders' local hour across DST, and
the explanation the person reads. Expected dates are worked out by hand from a calendar, not by the code."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.i18n import translator
from bot.reminders import deadlines, schedule
from bot.reminders.deadlines import compute
from bot.reminders.messages import explain

NY = ZoneInfo("America/New_York")


def local(moment: datetime) -> tuple[date, time]:
    at = moment.astimezone(NY)
    return at.date(), at.time()


# ---- each kind: (start, expected last day) ---------------------------------------------------------------------

@pytest.mark.parametrize(("decision", "due"), [
    (date(2026, 12, 3), date(2027, 1, 4)),     # day 30 is Saturday 2 Jan 2027 → Monday
    (date(2026, 11, 26), date(2026, 12, 28)),  # from Thanksgiving; day 30 is Saturday 26 Dec → Monday 28
    (date(2026, 5, 19), date(2026, 6, 18)),    # Thursday 18 June 2026: an ordinary day
    (date(2027, 5, 19), date(2027, 6, 21)),    # Friday 18 June 2027 is Juneteenth observed → Monday 21
    (date(2027, 12, 1), date(2028, 1, 3)),     # Friday 31 Dec 2027 is New Year's Day observed → Monday 3 Jan 2028
])
def test_petition_for_review_30_days_then_the_next_business_day(decision, due):
    d = compute("pfr", decision)
    assert d.due == due and d.amount == 30
    assert d.rule.weekend == deadlines.NEXT


def test_bia_and_petition_for_review_count_the_same_way():
    for start in (date(2026, 12, 3), date(2027, 5, 19), date(2027, 12, 1)):
        assert compute("bia", start).due == compute("pfr", start).due


@pytest.mark.parametrize(("order", "counted", "due"), [
    (date(2026, 10, 1), date(2026, 12, 30), date(2026, 12, 30)),  # a Wednesday
    (date(2026, 10, 20), date(2027, 1, 18), date(2027, 1, 19)),   # Martin Luther King Jr. Day → Tuesday
])
def test_motion_to_reopen_90_days_after_a_final_order(order, counted, due):
    d = compute("reopen_90", order)
    assert (d.counted, d.due) == (counted, due)


def test_motion_to_reopen_180_days_after_an_order_in_absentia_skips_a_weekend_and_a_holiday():
    d = compute("reopen_180", date(2027, 1, 4))
    # Day 180 is Saturday 3 July 2027; Sunday 4 July; Monday 5 July is Independence Day observed.
    assert (d.counted, d.closed, d.due) == (date(2027, 7, 3), "saturday", date(2027, 7, 6))


def test_voluntary_departure_keeps_the_calendar_day_and_names_the_later_legal_one():
    d = compute("vd", date(2026, 12, 3), 60)
    assert d.due == date(2027, 2, 1) and d.legal is None  # a Monday
    # The facts of Monsalvo Velázquez v. Bondi (2025): day 60 was Saturday 11 Dec 2021; the Court held the
    # period runs to Monday 13 Dec. Leaving is possible on any day, so the reminder keeps Saturday.
    d = compute("vd", date(2021, 10, 12), 60)
    assert (d.due, d.closed, d.legal) == (date(2021, 12, 11), "saturday", date(2021, 12, 13))
    assert compute("vd", date(2026, 10, 14), 60).legal == date(2026, 12, 14)  # Sunday 13 Dec → Monday 14


@pytest.mark.parametrize("days", [None, 0, 121, -5])
def test_voluntary_departure_needs_1_to_120_days(days):
    with pytest.raises(ValueError):
        compute("vd", date(2026, 12, 3), days)
    assert compute("vd", date(2026, 12, 3), 120).due == date(2027, 4, 2)


@pytest.mark.parametrize(("grant", "due"), [
    (date(2026, 12, 3), date(2026, 12, 10)),   # Thursday: Fri, Mon, Tue, Wed, Thu
    (date(2026, 12, 23), date(2026, 12, 31)),  # Christmas Day (Friday) is not counted
    (date(2026, 11, 6), date(2026, 11, 16)),   # Veterans Day (Wednesday 11 Nov) is not counted
    (date(2026, 12, 5), date(2026, 12, 11)),   # an order on a Saturday: Monday is day 1
])
def test_voluntary_departure_bond_5_business_days(grant, due):
    d = deadlines.bond_deadline(grant)
    assert d.due == due and not d.moved and deadlines.is_business_day(d.due)


@pytest.mark.parametrize(("moved", "due"), [
    (date(2026, 12, 2), date(2026, 12, 7)),    # Monday 7 Dec
    (date(2026, 12, 1), date(2026, 12, 7)),    # day 5 is Sunday 6 Dec → Monday
    (date(2026, 11, 21), date(2026, 11, 27)),  # day 5 is Thanksgiving → Friday 27 Nov
])
def test_change_of_address_5_calendar_days_not_5_working_days(moved, due):
    d = compute("address", moved)
    assert d.counted == date.fromordinal(moved.toordinal() + 5) and d.due == due
    # "Five working days", the later reading some guides give, would end on Tuesday 8 Dec for a Tuesday move.
    assert compute("address", date(2026, 12, 1)).due < deadlines.add_business_days(date(2026, 12, 1), 5)


@pytest.mark.parametrize(("arrival", "due"), [
    (date(2026, 3, 15), date(2027, 3, 15)),   # the anniversary, a Monday
    (date(2026, 7, 4), date(2027, 7, 2)),     # Sunday 4 July 2027 → Friday 2 July (Saturday 3 is closed too)
    (date(2025, 12, 25), date(2026, 12, 24)),  # Christmas Day 2026 (Friday) → Thursday
    (date(2028, 2, 29), date(2029, 2, 28)),   # from a leap day: 28 February, never 1 March
])
def test_one_year_asylum_deadline_from_the_last_arrival(arrival, due):
    d = compute("one_year", arrival)
    assert d.due == due and d.amount == 1
    assert d.due <= deadlines.add_years(arrival, 1)


def test_rules_that_are_not_settled_never_remind_later_than_the_calendar_day():
    start = date(2026, 1, 1)
    for offset in range(0, 400, 3):
        day = date.fromordinal(start.toordinal() + offset)
        d = compute("one_year", day)
        assert d.due <= d.counted and deadlines.is_business_day(d.due)
        vd = compute("vd", day, 30)
        assert vd.due == vd.counted
        for kind in ("bia", "pfr", "reopen_90", "reopen_180", "address"):
            d = compute(kind, day)
            assert d.due >= d.counted and deadlines.is_business_day(d.due)


def test_an_unknown_kind_is_refused():
    with pytest.raises(KeyError):
        compute("x" * 40, date(2026, 12, 3))


def test_every_kind_fits_the_database_column_and_has_a_source_link():
    for kind, rule in deadlines.RULES.items():
        assert len(kind) <= 16
        assert rule.url.startswith("https://") and rule.source


# ---- the deadline as an instant, and its reminders across DST --------------------------------------------------

def test_a_deadline_ends_at_the_end_of_its_day_in_new_york():
    d = compute("bia", date(2026, 12, 3))
    assert deadlines.event_at(d) == datetime(2027, 1, 5, 4, 59, tzinfo=UTC)  # 23:59 EST on Monday 4 Jan


def test_deadline_reminders_keep_10_am_new_york_across_the_march_dst_change():
    # One year after 15 March 2026 is Monday 15 March 2027; DST begins Sunday 14 March 2027.
    d = compute("one_year", date(2026, 3, 15))
    event = deadlines.event_at(d)
    now = datetime(2026, 4, 1, tzinfo=UTC)
    planned = dict(schedule.plan(event, deadlines.DEADLINE_TZ, ["10d", "1d"], now, followup=False))
    assert local(planned["10d"]) == (date(2027, 3, 5), time(10))
    assert local(planned["1d"]) == (date(2027, 3, 14), time(10))
    assert (planned["10d"].hour, planned["1d"].hour) == (15, 14)  # EST then EDT


def test_deadline_reminders_keep_10_am_new_york_across_the_november_dst_change():
    d = compute("reopen_90", date(2026, 8, 11))  # day 90: Monday 9 Nov 2026; DST ended Sunday 1 Nov
    assert d.due == date(2026, 11, 9)
    planned = dict(schedule.plan(deadlines.event_at(d), deadlines.DEADLINE_TZ, ["10d", "5d"],
                                 datetime(2026, 8, 12, tzinfo=UTC), followup=False))
    assert local(planned["10d"]) == (date(2026, 10, 30), time(10)) and planned["10d"].hour == 14
    assert local(planned["5d"]) == (date(2026, 11, 4), time(10)) and planned["5d"].hour == 15


def test_a_change_of_address_reminds_the_day_after_the_move_and_on_the_last_day():
    d = compute("address", date(2026, 12, 2))  # a Wednesday move: last day Monday 7 Dec
    event = deadlines.event_at(d)
    planned = dict(schedule.plan(event, deadlines.DEADLINE_TZ, ["next", "1d", "0d"],
                                 datetime(2026, 12, 2, 18, tzinfo=UTC), followup=False, start=d.start))
    assert local(planned["next"]) == (date(2026, 12, 3), time(10))
    assert local(planned["1d"]) == (date(2026, 12, 6), time(10))
    assert local(planned["0d"]) == (date(2026, 12, 7), time(10))


def test_a_move_entered_days_later_is_reminded_the_next_day():
    d = compute("address", date(2026, 12, 2))
    now = datetime(2026, 12, 4, 20, tzinfo=UTC)  # Friday afternoon in New York
    planned = dict(schedule.plan(deadlines.event_at(d), deadlines.DEADLINE_TZ, ["next", "1d", "0d"], now,
                                 followup=False, start=d.start))
    assert local(planned["next"]) == (date(2026, 12, 5), time(10))  # Saturday, not Thursday (already gone)
    late = dict(schedule.plan(deadlines.event_at(d), deadlines.DEADLINE_TZ, ["next", "1d", "0d"],
                              datetime(2026, 12, 7, 16, tzinfo=UTC), followup=False, start=d.start))
    assert late == {}  # the last day's 10:00 has gone: nothing is planned after the deadline


def test_voluntary_departure_plans_the_bond_the_business_day_before_its_last_day():
    grant = date(2026, 12, 23)  # bond by Thursday 31 Dec; Christmas Friday
    d = compute("vd", grant, 60)
    planned = dict(schedule.plan(deadlines.event_at(d), deadlines.DEADLINE_TZ, ["bond", "20d", "1d"],
                                 datetime(2026, 12, 23, 22, tzinfo=UTC), followup=False, start=grant))
    assert local(planned["bond"]) == (date(2026, 12, 30), time(10))
    # Entered at 07:00 on the bond's last day: the bond reminder comes at 10:00 that day.
    planned = dict(schedule.plan(deadlines.event_at(d), deadlines.DEADLINE_TZ, ["bond"],
                                 datetime(2026, 12, 31, 12, tzinfo=UTC), followup=False, start=grant))
    assert local(planned["bond"]) == (date(2026, 12, 31), time(10))
    # Entered after that: no bond reminder (it would come after the bond's time).
    assert schedule.plan(deadlines.event_at(d), deadlines.DEADLINE_TZ, ["bond"],
                         datetime(2026, 12, 31, 16, tzinfo=UTC), followup=False, start=grant) == []


# ---- how it was counted, as the person reads it ----------------------------------------------------------------

def test_the_explanation_shows_every_step_in_english_and_russian():
    d = compute("bia", date(2026, 12, 3))
    assert explain(d, translator("en")) == (
        "decision 3 Dec 2026 + 30 days = 2 Jan 2027, a Saturday → next business day: Mon 4 Jan 2027")
    assert explain(d, translator("ru")) == (
        "решение 3 дек. 2026 + 30 дней = 2 янв. 2027, суббота → следующий рабочий день: пн 4 янв. 2027")


def test_the_explanation_says_when_a_rule_is_not_settled_and_counts_earlier():
    text = explain(compute("one_year", date(2026, 7, 4)), translator("en"))
    assert text.startswith("last arrival 4 Jul 2026 + 1 year = 4 Jul 2027, a Sunday.")
    assert "moves to Tue 6 Jul 2027 is not settled" in text and text.endswith("business day before: Fri 2 Jul 2027")
    text = explain(compute("one_year", date(2025, 12, 25)), translator("en"))
    assert "+ 1 year = 25 Dec 2026, a US federal holiday" in text and text.endswith("Thu 24 Dec 2026")
    assert explain(compute("address", date(2026, 12, 1)), translator("en")) == (
        "move 1 Dec 2026 + 5 days = 6 Dec 2026, a Sunday → next business day: Mon 7 Dec 2026")


def test_the_explanation_of_voluntary_departure_and_its_bond():
    en = translator("en")
    text = explain(compute("vd", date(2021, 10, 12), 60), en)
    assert "+ 60 days = 11 Dec 2021, a Saturday" in text and "until Mon 13 Dec 2021" in text
    assert text.endswith("plan to leave by Sat 11 Dec 2021")
    assert explain(deadlines.bond_deadline(date(2026, 12, 23)), en) == (
        "judge's order 23 Dec 2026 + 5 business days = Thu 31 Dec 2026 (weekends and federal holidays not counted)")
    ru = explain(deadlines.bond_deadline(date(2026, 12, 23)), translator("ru"))
    assert "+ 5 рабочих дней = чт 31 дек. 2026" in ru


def test_a_stored_deadline_that_cannot_be_recounted_is_still_sent_with_its_date():
    from bot.models import User
    from bot.reminders import messages
    from bot.reminders.models import Reminder, Subscription

    # 364 days of voluntary departure cannot have been granted (a row edited by hand, or an old rule).
    sub = Subscription(id=1, kind="vd", event_at=datetime(2027, 1, 1, 4, 59, tzinfo=UTC), tz=deadlines.DEADLINE_TZ,
                       decision_on=date(2026, 1, 1), label=None, locale="en", leads=["1d"], court_id=None)
    assert messages.subscription_deadline(sub) is None
    text, _ = messages.render(Reminder(kind="lead", lead="1d"), sub, User(id=1, locale="en"),
                              datetime(2026, 12, 1, tzinfo=UTC), False)
    assert "Leave the US by: Thursday, 31 December 2026" in text and "Check the exact date with a lawyer" in text
    assert "🧮" not in text and "valid passport" in text
    # A real one is recounted, days granted included (voluntary departure keeps the calendar day).
    sub.decision_on, sub.event_at = date(2026, 11, 1), deadlines.event_at(compute("vd", date(2026, 11, 1), 60))
    recounted = messages.subscription_deadline(sub)
    assert (recounted.start, recounted.amount, recounted.due) == (date(2026, 11, 1), 60, date(2026, 12, 31))


@pytest.mark.parametrize(("text", "days"), [("60", 60), (" 120 ", 120), ("60 days", 60), ("60 дней", 60),
                                            ("30 дня", 30), ("1 день", 1), ("45d", 45)])
def test_days_granted_as_people_type_them(text, days):
    from bot.reminders.dates import parse_days

    assert parse_days(text) == days


@pytest.mark.parametrize("text", ["soon", "٦٠", "６０", "60 weeks", "1000", "", "6 0", "-5", "1" * 5000])
def test_days_granted_refuse_anything_else(text):
    from bot.reminders.dates import DateError, parse_days

    with pytest.raises(DateError):
        parse_days(text)
