"""Rules that live in the services (bot/), tested without Telegram: the reminder draft, the deadline readers,
moderation's source lines and merges."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.knowledge.models import TopicRevision, TopicText
from bot.knowledge.pack import read_pack
from bot.moderation.service import (
    Change,
    bad_source_line,
    parse_sources,
    revision_changes,
    short_version_problem,
    source_line,
    validate,
)
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


def test_a_source_line_may_carry_a_russian_title_between_the_english_one_and_the_link():
    assert parse_sources("8 CFR 1003.38 | 8 CFR 1003.38 — апелляция в BIA | https://www.ecfr.gov/a\n"
                         "EOIR | https://www.justice.gov/eoir/x") == [
        {"title": "8 CFR 1003.38", "title_ru": "8 CFR 1003.38 — апелляция в BIA", "url": "https://www.ecfr.gov/a"},
        {"title": "EOIR", "url": "https://www.justice.gov/eoir/x"}]
    # An empty middle field is no Russian title; spaces inside titles are tidied.
    assert parse_sources("EOIR |  | https://e.org/a") == [{"title": "EOIR", "url": "https://e.org/a"}]
    assert parse_sources("  EOIR   manual | Руководство   EOIR |https://e.org/a  ") == [
        {"title": "EOIR manual", "title_ru": "Руководство EOIR", "url": "https://e.org/a"}]


@pytest.mark.parametrize("line", [
    "A | Б | В | https://e.org/a",            # four fields
    "A | Б | javascript:alert(1)",             # not an http(s) or tg link
    "A | https://e.org/a | Б",                 # the link is not last
    " | Б | https://e.org/a",                  # no English title
    "x" * 201 + " | https://e.org/a",          # an overlong title
    "A | " + "б" * 201 + " | https://e.org/a",  # an overlong Russian title
    "https://e.org/a",
])
def test_a_bad_source_line_refuses_the_whole_list_and_is_named(line):
    text = f"EOIR | https://e.org/ok\n\n{line}"
    assert parse_sources(text) is None
    assert bad_source_line(text) == 3
    assert bad_source_line("EOIR | https://e.org/ok") is None


def test_the_current_sources_listing_can_be_copied_back_unchanged():
    """The /edit listing shows each source as the line the sources step takes, both titles included."""
    for topic in read_pack():
        for text in topic.texts.values():
            listing = "\n".join(f"• {source_line(s)}" for s in text.sources)
            assert parse_sources(listing) == [dict(s) for s in text.sources], topic.slug
    assert any(s.get("title_ru") for t in read_pack() for s in t.texts["ru"].sources)


def test_a_source_with_an_empty_russian_title_is_not_published():
    assert validate("T", "Body", [{"title": "EOIR", "title_ru": " ", "url": "https://e.org/a"}]) == ["bad_source"]
    assert validate("T", "Body", [{"title": "EOIR", "title_ru": "EOIR", "url": "https://e.org/a"}]) == []


@pytest.mark.parametrize(("text", "entities", "problem"), [
    ("Проверьте дату суда: acis.eoir.justice.gov, +1 800 898 7180.", set(), None),
    ("x" * 300, set(), None),
    ("  " + "x" * 300 + "\n", set(), None),          # spaces around do not count
    ("x" * 301, set(), "short_too_long"),
    ("Call +1 800 898 7180 or see https://acis.eoir.justice.gov", {"phone_number", "url"}, None),  # found by Telegram
    ("Check ACIS now", {"bold"}, "short_formatted"),
    ("Check the portal", {"text_link"}, "short_formatted"),
    ("Check <b>ACIS</b>", set(), "short_formatted"),   # tags typed by hand
    ("   ", set(), "short_empty"),
])
def test_a_short_version_is_plain_text_of_at_most_300_characters(text, entities, problem):
    assert short_version_problem(text, entities) == problem


def test_revision_changes_name_the_short_version_and_the_sources():
    def revision(short, sources, title="T"):
        return TopicRevision(title=title, body="B", short=short, sources=sources)

    source = {"title": "EOIR", "url": "https://e.org/a"}
    assert revision_changes(revision("a", [source]), revision("a", [source])) == {}
    assert revision_changes(revision(None, [source]), revision("", [source])) == {}
    assert revision_changes(revision("a", [source]), revision("b", [source, source], "U")) == {
        "title": ("T", "U"), "short": ("a", "b"), "sources": (1, 2)}
    assert revision_changes(revision("a", [source]), revision("a", [{**source, "title_ru": "ЕОИР"}])) == {
        "sources": (1, 1)}


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
