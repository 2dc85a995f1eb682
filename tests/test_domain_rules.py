"""Rules that live in the services (bot/), tested without Telegram: the reminder draft, the deadline readers,
moderation's source lines and merges."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.knowledge.models import TopicText
from bot.moderation.service import Change, parse_sources
from bot.reminders import buttons, service
from bot.reminders.dates import DateError, parse_date, read_decision_date


def hearing(days_ahead: int = 10) -> service.Draft:
    day = (datetime.now(UTC) + timedelta(days=days_ahead)).date()
    draft = service.Draft(form_id="0123abcd", kind="master", day=day, hour=9, minute=0, tz="America/New_York",
                          leads=["7d", "1d"])
    return draft


def test_a_draft_knows_whether_its_event_has_passed():
    now = datetime.now(UTC)
    assert not hearing(10).has_passed(now)
    assert hearing(-1).has_passed(now)


def test_a_draft_refuses_a_kind_the_form_does_not_offer():
    draft = service.Draft(form_id="0123abcd")
    assert not draft.choose_kind("x" * 45)
    assert draft.kind is None
    assert draft.choose_kind("bia") and draft.kind == "bia" and draft.leads


def test_toggling_a_lead_keeps_the_offered_order_and_ignores_unknown_ones():
    draft = hearing()
    draft.toggle_lead("7d")
    assert draft.leads == ["1d"]
    draft.toggle_lead("7d")
    assert draft.leads == ["7d", "1d"]
    draft.toggle_lead("999d")
    assert draft.leads == ["7d", "1d"]


@pytest.mark.parametrize("label", [
    "A123456789", "A123.456.789", "A-123/456/789", "a 123 456 789", "A١٢٣٤٥٦٧٨٩", "A１２３４５６７８９",
    "+1 800 898 7180", "мама\x00", "x" * 33,
])
def test_a_label_that_could_hold_an_a_number_or_control_characters_is_refused(label):
    draft = hearing()
    assert draft.set_label(label) is not None
    assert draft.label is None


@pytest.mark.parametrize("label", ["мама", "Mom", "я", "брат 2", "суд 12.03"])
def test_short_labels_are_kept(label):
    draft = hearing()
    assert draft.set_label(f"  {label}  ") is None
    assert draft.label == label


def test_the_preview_lists_planned_and_already_late_reminders():
    draft = hearing(3)
    draft.leads = ["7d", "2d", "1d"]
    plan = service.preview(draft, datetime.now(UTC))
    assert [lead for lead, _ in plan.planned] == ["2d", "1d"]
    assert plan.skipped == ["7d"]


def test_29_february_is_read_on_and_after_a_leap_day():
    assert read_decision_date("29.02", date(2028, 3, 1)) == date(2028, 2, 29)
    assert read_decision_date("29.02", date(2028, 2, 29)) == date(2028, 2, 29)
    assert parse_date("29.02", date(2027, 12, 1)) == date(2028, 2, 29)
    with pytest.raises(DateError):
        read_decision_date("30.02", date(2028, 3, 1))


def test_a_decision_cannot_be_in_the_future():
    with pytest.raises(DateError) as caught:
        read_decision_date("2027-01-05", date(2026, 12, 1))
    assert caught.value.code == "future_decision"
    assert read_decision_date("3.12", date(2026, 12, 1)) == date(2025, 12, 3)


def test_source_lines_are_parsed_or_refused_whole():
    assert parse_sources("EOIR | https://www.justice.gov/eoir/x\n\n8 CFR 1003.38 | https://www.ecfr.gov/a") == [
        {"title": "EOIR", "url": "https://www.justice.gov/eoir/x"},
        {"title": "8 CFR 1003.38", "url": "https://www.ecfr.gov/a"}]
    assert parse_sources("EOIR https://www.justice.gov") is None
    assert parse_sources("EOIR | javascript:alert(1)") is None


def test_a_change_keeps_the_fields_it_does_not_touch():
    current = TopicText(title="Old", body="Body", sources=[{"title": "S", "url": "https://e.org/a"}])
    assert Change(title="New").applied_to(current) == ("New", "Body", [{"title": "S", "url": "https://e.org/a"}])
    assert Change(body="B").applied_to(None) == ("", "B", [])


def test_reminder_buttons_fit_telegram_and_refuse_forged_ids():
    import re

    assert len(buttons.followup(999_999_999, "unknown").encode()) <= 64
    assert re.match(buttons.P_DETAILS, buttons.details(123))
    assert not re.match(buttons.P_DETAILS, "rem:s:" + "9" * 20)
    assert not re.match(buttons.form_pattern(buttons.KIND_ACTION), "rf:0123abcd:k:" + "x" * 45)
