"""The deadlines the reminder form calculates, end to end through the local Bot API, in Russian and English: each
kind's questions and their bad input, the deadline shown with how it was counted, what is stored and planned, the
reminder that arrives, a deadline already gone, the "remind me" button under an answer, and "the date moved"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.reminders import deadlines, schedule
from bot.reminders.models import Reminder, Subscription
from tests.helpers import Person, eventually
from tests.test_reminders_e2e import action, count, make_due, tap


@dataclass(frozen=True)
class Case:
    start_ago: int  # the start date: this many days before today (New York)
    gone_ago: int  # a start date whose deadline has already passed
    period: dict  # what the explanation's "+ N …" reads, per language
    question: dict  # a phrase of the date question
    due: dict  # a phrase of the deadline line
    todo: dict  # a phrase of the reminder's "what to do now"
    gone: dict  # a phrase of the "already passed" answer
    days: int | None = None  # voluntary departure: the days granted


CASES = {
    "bia": Case(2, 60, {"en": "+ 30 days =", "ru": "+ 30 дней ="},
                {"en": "date of the judge's decision", "ru": "судья вынес решение"},
                {"en": "Must be RECEIVED by", "ru": "должна ПОСТУПИТЬ"}, {"en": "EOIR-26", "ru": "EOIR-26"},
                {"en": "30 days have already passed", "ru": "30 дней уже прошли"}),
    "pfr": Case(2, 45, {"en": "+ 30 days =", "ru": "+ 30 дней ="},
                {"en": "date of the BIA's decision", "ru": "решение BIA"},
                {"en": "with the court of appeals by", "ru": "федеральный апелляционный суд не позднее"},
                {"en": "request for a stay", "ru": "приостановке (stay)"},
                {"en": "30 days have already passed", "ru": "30 дней уже прошли"}),
    "reopen_90": Case(10, 120, {"en": "+ 90 days =", "ru": "+ 90 дней ="},
                      {"en": "date of the final order", "ru": "окончательное решение"},
                      {"en": "The motion must reach the court by", "ru": "Ходатайство должно поступить в суд"},
                      {"en": "date stamp", "ru": "штампа суда"},
                      {"en": "90 days have already passed", "ru": "90 дней уже прошли"}),
    "reopen_180": Case(10, 400, {"en": "+ 180 days =", "ru": "+ 180 дней ="},
                       {"en": "in your absence (in absentia)", "ru": "заочно (in absentia)"},
                       {"en": "The motion must reach the court by", "ru": "Ходатайство должно поступить в суд"},
                       {"en": "exceptional circumstances", "ru": "исключительных обстоятельствах"},
                       {"en": "180 days have already passed", "ru": "180 дней уже прошли"}),
    "vd": Case(1, 100, {"en": "+ 60 days =", "ru": "+ 60 дней ="},
               {"en": "grant voluntary departure", "ru": "разрешил добровольный выезд"},
               {"en": "Leave the US by", "ru": "Выехать из США не позднее"},
               {"en": "at least $500", "ru": "не меньше $500"},
               {"en": "The time to leave ended", "ru": "Срок выезда истёк"}, days=60),
    "address": Case(1, 20, {"en": "+ 5 days =", "ru": "+ 5 дней ="},
                    {"en": "did you move", "ru": "вы переехали"},
                    {"en": "Form EOIR-33 must reach the court by", "ru": "Форма EOIR-33 должна поступить в суд"},
                    {"en": "Respondent Access", "ru": "Respondent Access"},
                    {"en": "The 5 days ended", "ru": "5 дней истекли"}),
    "one_year": Case(30, 800, {"en": "+ 1 year =", "ru": "+ 1 год ="},
                     {"en": "last arrive in the US", "ru": "въехали в США"},
                     {"en": "Form I-589 must be received by", "ru": "Форма I-589 должна поступить"},
                     {"en": "cannot be waived", "ru": "освобождения от него нет"},
                     {"en": "One year passed", "ru": "Год истёк"}),
}
SAY = {  # the bot's words, per language, that these tests look for
    "en": {"nonsense": "tomorrow-ish", "unreadable": "could not read that date", "impossible": "no such date",
           "future": "cannot be in the future", "sticker": "need text here", "lawyer": "Check the exact date with a lawyer",
           "which": "Which deadline?", "days": "How many days", "bad_days": "number of days written on the order",
           "too_many": "at most 120", "saved": "Saved", "moved": "Moved", "disclaimer": "not legal advice",
           "remind_me": "Remind me about this date", "new_date": "The date moved"},
    "ru": {"nonsense": "на днях", "unreadable": "Не получилось разобрать дату", "impossible": "Такой даты не существует",
           "future": "не может быть в будущем", "sticker": "Здесь нужен текст", "lawyer": "Точную дату уточните у адвоката",
           "which": "Какой срок?", "days": "Сколько дней", "bad_days": "число дней, которое написано в решении",
           "too_many": "не больше 120", "saved": "Сохранено", "moved": "Перенесено",
           "disclaimer": "не юридическая консультация", "remind_me": "Напомнить об этой дате",
           "new_date": "Дату перенесли"},
}


def today() -> date:
    return datetime.now(ZoneInfo(deadlines.DEADLINE_TZ)).date()


def typed(day: date) -> str:
    return day.strftime("%d.%m.%Y")


async def open_deadline(person: Person, kind: str) -> tuple[str, int, str]:
    """/remind → the deadlines → ``kind``: the deadline list's text and number of button rows, and the question
    (messages are edited in place, so their texts are read at once)."""
    await person.send("/remind")
    [menu] = await tap(person, ":kd")
    menu_text, rows = menu.text, len(menu.buttons)
    [question] = await tap(person, f":k:{kind}")
    return menu_text, rows, question.text


async def give_start(person: Person, kind: str, start: date):
    """Type the start date (and, for voluntary departure, tap the days): returns the screen with the deadline."""
    [reply] = await person.send(typed(start))
    if CASES[kind].days is not None:
        assert SAY[person.language_code]["days"] in reply.text
        [reply] = await tap(person, f":n:{CASES[kind].days}")
    return reply


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("kind", list(CASES))
async def test_each_deadline_is_counted_explained_stored_and_reminded(kind, lang, make_person, api, database):
    case, say = CASES[kind], SAY[lang]
    person = make_person(lang)
    menu, rows, question = await open_deadline(person, kind)
    assert say["which"] in menu and rows == len(deadlines.DEADLINE_KINDS) + 2  # + back, cancel
    assert case.question[lang] in question

    # Bad input at the date step: each gets a plain answer, and the question stays open.
    for bad, says in [(say["nonsense"], "unreadable"), ("x" * 5000, "unreadable"), ("31.02.2026", "impossible"),
                      (typed(today() + timedelta(days=3)), "future")]:
        [reply] = await person.send(bad)
        assert say[says] in reply.text, bad
    [reply] = await person.send_sticker()
    assert say["sticker"] in reply.text

    start = today() - timedelta(days=case.start_ago)
    if case.days is not None:  # voluntary departure: the days granted, with their own bad input
        [reply] = await person.send(typed(start))
        assert say["days"] in reply.text
        for bad, says in [("soon", "bad_days"), ("٦٠", "bad_days")]:
            [reply] = await person.send(bad)
            assert say[says] in reply.text, bad
        form_id = action(person, ":n:60").split(":")[1]
        [reply] = await person.press_data(person.last_with_buttons(), f"rf:{form_id}:n:999", strict=False)
        assert say["too_many"] in reply.text  # a forged button is checked like typed text
        for bad in ("121", "0"):
            [reply] = await person.send(bad)
            assert say["too_many"] in reply.text, bad
        [reply] = await person.send_voice()
        assert say["sticker"] in reply.text
        [reply] = await person.send("60 дней" if lang == "ru" else "60 days")
    else:
        [reply] = await person.send(typed(start))
    expected = deadlines.compute(kind, start, case.days)
    assert case.due[lang] in reply.text and case.period[lang] in reply.text and say["lawyer"] in reply.text
    assert str(expected.due.day) in reply.text.split("\n")[0]

    await tap(person, ":nolabel")
    await tap(person, ":leads")
    await tap(person, ":my:0")
    summary = person.screen.text
    assert case.period[lang] in summary and say["lawyer"] in summary
    assert await count(database, Subscription) == 0  # nothing stored before confirm
    await tap(person, ":ok")
    assert say["saved"] in person.screen.text and say["lawyer"] in person.screen.text

    async with database.session() as session:
        sub = await session.scalar(select(Subscription).where(Subscription.user_id == person.user_id))
        rows = (await session.scalars(select(Reminder).where(Reminder.subscription_id == sub.id))).all()
    assert (sub.kind, sub.decision_on, sub.tz) == (kind, start, deadlines.DEADLINE_TZ)
    assert sub.event_at == deadlines.event_at(expected)
    assert rows and all(r.kind == "lead" for r in rows)  # a deadline has no "how did it go?" follow-up
    assert {r.lead for r in rows} <= set(schedule.available_leads(kind))

    before = len(api.bot_messages(person.user_id))
    await make_due(database, person.user_id)
    await eventually(lambda: len(api.bot_messages(person.user_id)) > before)
    reminder = api.bot_messages(person.user_id)[-1]
    assert case.todo[lang] in reminder.text and say["lawyer"] in reminder.text and say["disclaimer"] in reminder.text
    assert "🧮" in reminder.text and "📖" in reminder.text  # how it was counted, and the rule's link
    assert "rem:stop:" in str(reminder.buttons)


@pytest.mark.parametrize("kind", list(CASES))
async def test_a_deadline_already_gone_says_what_to_do_and_stores_nothing(kind, make_person, database):
    lang = "ru" if list(CASES).index(kind) % 2 else "en"
    person = make_person(lang)
    await open_deadline(person, kind)
    case = CASES[kind]
    start = today() - timedelta(days=case.gone_ago)
    [reply] = await person.send(typed(start))
    if case.days is not None:
        [reply] = await tap(person, ":n:30")
    assert case.gone[lang] in reply.text and SAY[lang]["disclaimer"] in reply.text
    assert reply.buttons  # a next step: the answer that explains, and the main menu
    assert await count(database, Subscription) == 0
    # The form is closed: another date is not read as an answer to it.
    await person.send(typed(today()))
    assert case.due[lang] not in person.screen.text


@pytest.mark.parametrize(("slug", "kind"), [
    ("one-year-deadline", "one_year"), ("missed-hearing", "reopen_180"), ("voluntary-departure", "vd"),
    ("change-address", "address"), ("petition-review", "pfr"), ("appeal-bia", "bia"),
])
async def test_remind_me_under_an_answer_starts_at_its_deadline(slug, kind, en: Person):
    await en.send(f"/start {slug}")
    [question] = await en.press(SAY["en"]["remind_me"])
    assert CASES[kind].question["en"] in question.text


async def test_remind_me_in_russian_and_a_forged_entry_button(ru: Person):
    await ru.send("/start change-address")
    [question] = await ru.press(SAY["ru"]["remind_me"])
    assert CASES["address"].question["ru"] in question.text
    answer = ru.api.bot_messages(ru.user_id)[0]
    await ru.press_data(answer, "rem:new:" + "x" * 40, strict=False)  # not an entry kind: never obeyed
    # The open form is untouched: the next date still answers its question.
    [reply] = await ru.send(typed(today()))
    assert CASES["address"].due["ru"] in reply.text


async def test_voluntary_departure_bond_reminder_and_a_moved_date(ru: Person, api, database):
    await open_deadline(ru, "vd")
    grant = today() - timedelta(days=1)
    await give_start(ru, "vd", grant)
    await tap(ru, ":nolabel")
    await tap(ru, ":leads")
    await tap(ru, ":my:0")
    await tap(ru, ":ok")
    bond = deadlines.bond_deadline(grant)

    before = len(api.bot_messages(ru.user_id))
    await make_due(database, ru.user_id)  # the earliest planned reminder: the bond's
    await eventually(lambda: len(api.bot_messages(ru.user_id)) > before)
    reminder = api.bot_messages(ru.user_id)[-1]
    assert "Залог за добровольный выезд" in reminder.text and "+ 5 рабочих дней =" in reminder.text
    assert str(bond.due.day) in reminder.text

    # The judge's order had a different date: "the date moved" asks the grant date and the days again.
    await ru.press(SAY["ru"]["new_date"], reminder)
    assert CASES["vd"].question["ru"] in ru.screen.text
    new_grant = today()
    [reply] = await ru.send(typed(new_grant))
    assert SAY["ru"]["days"] in reply.text
    await tap(ru, ":n:90")
    await tap(ru, ":ok")
    assert SAY["ru"]["moved"] in ru.screen.text
    async with database.session() as session:
        sub = await session.scalar(select(Subscription).where(Subscription.user_id == ru.user_id))
    assert sub.decision_on == new_grant
    assert sub.event_at == deadlines.event_at(deadlines.compute("vd", new_grant, 90))


async def test_a_deadline_reminder_shows_in_the_list_and_its_details(en: Person, database):
    await open_deadline(en, "pfr")
    start = today() - timedelta(days=3)
    await give_start(en, "pfr", start)
    await en.send("Me")
    await tap(en, ":leads")
    await tap(en, ":my:1")
    await tap(en, ":ok")
    [listing] = await en.send("/reminders")
    due = deadlines.compute("pfr", start).due
    assert any("Petition for review" in t and str(due.year) in t for t in listing.button_texts)
    await en.press("Petition for review")
    details = en.screen.text
    assert "Petition for review (federal court) · Me" in details
    assert "+ 30 days =" in details and SAY["en"]["lawyer"] in details
    assert "20 days before" in details


async def test_deadline_times_are_planned_at_10_am_new_york(en: Person, database):
    await open_deadline(en, "one_year")
    start = today() - timedelta(days=30)
    await give_start(en, "one_year", start)
    await tap(en, ":nolabel")
    await tap(en, ":leads")
    await tap(en, ":my:0")
    await tap(en, ":ok")
    async with database.session() as session:
        rows = (await session.scalars(select(Reminder).where(Reminder.user_id == en.user_id))).all()
    ny = ZoneInfo(deadlines.DEADLINE_TZ)
    assert {r.due_at.astimezone(ny).hour for r in rows} == {10}
    assert all(r.due_at > datetime.now(UTC) for r in rows)


async def test_voluntary_departure_entered_after_the_bond_days_warns_and_keeps_the_date_to_leave(en: Person):
    await open_deadline(en, "vd")
    grant = today() - timedelta(days=14)  # 5 business days are at most 9 calendar days, even over holidays
    reply = await give_start(en, "vd", grant)
    assert "5 business days for the bond have passed" in reply.text and "Leave the US by" in reply.text
    await tap(en, ":nolabel")
    await tap(en, ":leads")
    await tap(en, ":my:0")
    summary = en.screen.text
    assert "Already past, will not be sent: the bond" in summary
    assert "20 days before" in summary.split("Reminders:")[1]
