"""Hearing and deadline reminders, end to end: the form, managing, sending, faults, follow-up, deletion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from bot.models import User
from bot.outbox import FAILED, PENDING, SENT, SKIPPED
from bot.reminders.models import CANCELLED, PAUSED, Reminder, Subscription
from tests.helpers import Person, eventually

NEXT_YEAR = datetime.now(UTC).year + 1


def action(person: Person, suffix: str) -> str:
    """callback data of the button on the current screen whose data ends with ``suffix``."""
    message = person.last_with_buttons()
    for row in message.buttons:
        for b in row:
            if b.get("callback_data", "").endswith(suffix):
                return b["callback_data"]
    raise AssertionError(f"no button ending {suffix!r}: {message.button_texts}")


async def tap(person: Person, suffix: str):
    data = action(person, suffix)
    return await person.press_data(person.last_with_buttons(), data)


async def count(database, model, *where) -> int:
    async with database.session() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*where))


async def fill_hearing_form(person: Person, *, date_text: str, time_text: str = "9:00", court: str = "Miami",
                            label: str | None = "Mom", zone: str = ":my:0") -> None:
    await person.send("/remind")
    await tap(person, ":k:master")
    await person.send(date_text)
    await person.send(time_text)
    await person.send(court)
    await tap(person, ":c:krome") if court == "Miami" else await tap(person, ":other")
    if label:
        await person.send(label)
    else:
        await tap(person, ":nolabel")
    await tap(person, ":leads")
    if zone:
        await tap(person, zone)


async def test_subscribe_in_english_with_every_kind_of_bad_input(en: Person, api, database):
    await en.send("/remind")
    assert "What is it?" in en.screen.text
    await tap(en, ":k:individual")
    for bad, says in [("30.02.2027", "no such date"), ("01.01.2020", "already passed"),
                      (f"1.1.{NEXT_YEAR + 5}", "more than 3 years"), ("tomorrow-ish", "could not read"),
                      ("x" * 10000, "could not read")]:
        [reply] = await en.send(bad)
        assert says in reply.text, bad
    [reply] = await en.send_sticker()
    assert "need text here" in reply.text
    [reply] = await en.send_voice()
    assert "need text here" in reply.text
    [reply] = await en.send(f"03/04/{NEXT_YEAR}")
    assert "Which date did you mean?" in reply.text
    assert len(reply.buttons) == 3
    await tap(en, f":d:{NEXT_YEAR}-04-03")  # 3 April
    [reply] = await en.send("25:00")
    assert "no such time" in reply.text
    await en.send("13:30")
    [reply] = await en.send("Atlantis")
    assert "found no immigration court" in reply.text
    [reply] = await en.send("el paso")
    assert any("El Paso" in t for t in reply.button_texts)
    await tap(en, ":c:el-paso")
    [reply] = await en.send("A 123-456-789 mom")
    assert "no numbers" in reply.text
    [reply] = await en.send("M" * 40)
    assert "too long" in reply.text
    await en.send("Dad")
    await tap(en, ":l:7d")  # switch one off
    await tap(en, ":leads")
    await tap(en, ":my:1")  # Tbilisi
    summary = en.screen.text
    assert "Individual (merits) hearing · Dad" in summary
    assert f"3 April {NEXT_YEAR}, 13:30 — court time" in summary
    assert "your time (Tbilisi)" in summary
    assert "7 days before" not in summary.split("Reminders:")[1]
    assert await count(database, Subscription) == 0  # nothing stored before confirm
    confirm = en.last_with_buttons()
    data = action(en, ":ok")
    # A double tap: both presses reach the bot before it has answered the first.
    done = en.app.updates_done
    for _ in range(2):
        api.user_presses(en.user_id, confirm.message_id, data, strict=False, language_code="en")
    await eventually(lambda: en.app.updates_done >= done + 2)
    assert "Saved" in en.screen.text or "Already saved" in en.screen.text
    assert await count(database, Subscription, Subscription.user_id == en.user_id) == 1
    async with database.session() as session:
        sub = await session.scalar(select(Subscription).where(Subscription.user_id == en.user_id))
        assert sub.tz == "America/Denver" and sub.label == "Dad" and sub.leads == ["2d", "1d", "morning"]
        assert await session.scalar(select(User.timezone).where(User.id == en.user_id)) == "Asia/Tbilisi"
    assert await count(database, Reminder, Reminder.subscription_id == sub.id) == 4  # 3 leads + follow-up


async def test_subscribe_in_russian(ru: Person, database):
    await fill_hearing_form(ru, date_text=f"3 декабря {NEXT_YEAR}", label=None)
    assert "Москва" in ru.screen.text
    await tap(ru, ":ok")
    assert await count(database, Subscription, Subscription.user_id == ru.user_id) == 1
    [listing] = await ru.send("/reminders")
    assert "1" in listing.text and len(listing.buttons) == 3


async def test_cancel_at_any_step_leaves_nothing(en: Person, database):
    await en.send("/remind")
    await tap(en, ":k:cfi")
    await en.send(f"5 May {NEXT_YEAR}")
    [reply] = await en.send("/cancel")
    assert "Nothing was saved" in reply.text
    # The form is closed: a date typed now is a free-text question, not a form answer.
    await en.send("10:00")
    assert "What time" not in en.screen.text
    assert await count(database, Subscription) == 0


async def test_a_stale_form_button_is_answered_not_obeyed(en: Person, database):
    await en.send("/remind")
    old_form = en.last_with_buttons()
    old_data = action(en, ":k:master")
    await en.send("/remind")  # a second form replaces the first
    await en.press_data(old_form, old_data)
    assert "older form" in (en.last_answer() or {}).get("text", "")
    assert "What is it?" in en.screen.text  # still on the new form's first question


async def test_another_command_mid_form_closes_it_and_runs(en: Person):
    await en.send("/remind")
    await tap(en, ":k:bond")
    await en.send("/help")
    await eventually(lambda: "How to use the bot" in en.screen.text)


async def test_bia_deadline_from_the_decision_date(en: Person, database):
    await en.send("/remind")
    await tap(en, ":kd")  # the deadlines
    await tap(en, ":k:bia")
    today = datetime.now(UTC).date()
    [reply] = await en.send((today + timedelta(days=3)).strftime("%d.%m.%Y"))
    assert "cannot be in the future" in reply.text
    [reply] = await en.send((today - timedelta(days=60)).strftime("%d.%m.%Y"))
    assert "30 days have already passed" in reply.text
    await en.send("/remind")
    await tap(en, ":kd")
    await tap(en, ":k:bia")
    [reply] = await en.send((today - timedelta(days=2)).strftime("%d.%m.%Y"))
    assert "RECEIVED" in reply.text
    await tap(en, ":nolabel")
    labels = " ".join(en.screen.button_texts)
    assert all(w in labels for w in ("20 days", "10 days", "5 days", "2 days", "1 day"))
    await tap(en, ":leads")
    await tap(en, ":my:0")
    await tap(en, ":ok")
    async with database.session() as session:
        sub = await session.scalar(select(Subscription).where(Subscription.user_id == en.user_id))
    assert sub.kind == "bia" and sub.decision_on == today - timedelta(days=2)


async def test_move_pause_resume_and_delete(en: Person, database):
    await fill_hearing_form(en, date_text=f"10 June {NEXT_YEAR}")
    await tap(en, ":ok")
    await en.send("/reminders")
    await en.press(f"June {NEXT_YEAR}")
    details = en.screen
    assert "Mom" in details.text
    await en.press("The date moved", details)
    await en.send(f"20 June {NEXT_YEAR}")
    await en.send("10:15")
    await tap(en, ":ok")
    assert "Moved" in en.screen.text
    async with database.session() as session:
        sub = await session.scalar(select(Subscription).where(Subscription.user_id == en.user_id))
        sub_id = sub.id
        local = sub.event_at.astimezone(__import__("zoneinfo").ZoneInfo(sub.tz))
    assert (local.day, local.hour, local.minute) == (20, 10, 15)
    assert await count(database, Reminder, Reminder.subscription_id == sub_id, Reminder.status == CANCELLED) == 5
    assert await count(database, Reminder, Reminder.subscription_id == sub_id, Reminder.status == PENDING) == 5
    await en.send("/reminders")
    await en.press(f"June {NEXT_YEAR}")
    await en.press("Pause")
    assert "Paused" in en.screen.text
    assert await count(database, Subscription, Subscription.status == PAUSED) == 1
    await en.press("Resume")
    assert await count(database, Subscription, Subscription.status == PAUSED) == 0
    await en.press("Delete")
    await en.press("Yes, delete")
    assert await count(database, Subscription) == 0 and await count(database, Reminder) == 0


async def make_due(database, user_id: int, *, lead_kind: str = "lead", scheduled_ago: timedelta = timedelta(0)):
    """Control the clock: make the user's next planned reminder due now."""
    async with database.session() as session:
        row = await session.scalar(select(Reminder).where(Reminder.user_id == user_id, Reminder.kind == lead_kind,
                                                          Reminder.status == PENDING).order_by(Reminder.due_at))
        now = datetime.now(UTC)
        row.due_at, row.scheduled_for = now, now - scheduled_ago
        await session.commit()
        return row.id


async def row_status(database, row_id: int) -> Reminder:
    async with database.session() as session:
        return await session.get(Reminder, row_id)


async def test_a_reminder_arrives_in_the_subscribers_language_with_what_to_do(ru: Person, api, database):
    await fill_hearing_form(ru, date_text=f"3 декабря {NEXT_YEAR}")
    await tap(ru, ":ok")
    before = len(api.bot_messages(ru.user_id))
    row_id = await make_due(database, ru.user_id)
    await eventually(lambda: len(api.bot_messages(ru.user_id)) > before)
    reminder = api.bot_messages(ru.user_id)[-1]
    assert "Mom" in reminder.text and "1-800-898-7180" in reminder.text
    assert "Майами" in reminder.text and "Москва" in reminder.text
    assert len(reminder.buttons) == 2 and "rem:stop:" in str(reminder.buttons)
    await eventually(lambda: _status_is(database, row_id, SENT))
    # "Stop these reminders" pauses the subscription; "OK" takes the buttons away.
    await ru.press_data(reminder, reminder.buttons[1][0]["callback_data"])
    assert await count(database, Subscription, Subscription.user_id == ru.user_id, Subscription.status == PAUSED) == 1
    await ru.press_data(reminder, reminder.buttons[1][1]["callback_data"])
    stored = next(m for m in api.bot_messages(ru.user_id) if m.message_id == reminder.message_id)
    assert stored.buttons == []


async def test_a_reminder_missed_while_the_bot_was_down_is_sent_late(en: Person, api, database):
    await fill_hearing_form(en, date_text=f"3 December {NEXT_YEAR}")
    await tap(en, ":ok")
    before = len(api.bot_messages(en.user_id))
    await make_due(database, en.user_id, scheduled_ago=timedelta(hours=5))
    await eventually(lambda: len(api.bot_messages(en.user_id)) > before)
    assert "Sent late" in api.bot_messages(en.user_id)[-1].text


async def test_a_reminder_past_its_event_is_skipped(en: Person, api, database):
    await fill_hearing_form(en, date_text=f"3 December {NEXT_YEAR}")
    await tap(en, ":ok")
    async with database.session() as session:
        await session.execute(update(Subscription).where(Subscription.user_id == en.user_id)
                              .values(event_at=datetime.now(UTC) - timedelta(hours=1)))
        await session.commit()
    row_id = await make_due(database, en.user_id)
    await eventually(lambda: row_status(database, row_id), limit=10)
    await eventually(lambda: _status_is(database, row_id, SKIPPED))


async def _row_when(database, row_id, predicate):
    row = await row_status(database, row_id)
    return row if predicate(row) else None


async def _status_is(database, row_id, status) -> bool:
    return (await row_status(database, row_id)).status == status


async def test_follow_up_after_the_event_offers_the_next_step(en: Person, api, database):
    await fill_hearing_form(en, date_text=f"3 December {NEXT_YEAR}")
    await tap(en, ":ok")
    before = len(api.bot_messages(en.user_id))
    await make_due(database, en.user_id, lead_kind="followup")
    await eventually(lambda: len(api.bot_messages(en.user_id)) > before)
    followup = api.bot_messages(en.user_id)[-1]
    assert "How did it go?" in followup.text
    assert [b for b in followup.button_texts] == ["Postponed: new date", "Decision: denied", "Granted", "I don't know"]
    [reply] = await en.press("Decision: denied", followup)
    assert "30 days" in reply.text and "Appeal deadline reminder" in reply.button_texts[0]
    [reply] = await en.press("I don't know", followup)
    assert "1-800-898-7180" in reply.text
    [reply] = await en.press("Postponed", followup)
    assert "New date for" in reply.text


async def test_429_delays_only_that_row(en: Person, api, database):
    await fill_hearing_form(en, date_text=f"3 December {NEXT_YEAR}")
    await tap(en, ":ok")
    api.fail_next("sendMessage", 429, retry_after=2, chat_id=en.user_id)
    before = len(api.bot_messages(en.user_id))
    row_id = await make_due(database, en.user_id)
    row = await eventually(lambda: _row_when(database, row_id, lambda r: r.last_error == "retry_after"), limit=5)
    assert row.status == PENDING and row.due_at > datetime.now(UTC)
    # Meanwhile the bot still answers this user at once.
    [reply] = await en.send("/help")
    assert "How to use the bot" in reply.text
    await eventually(lambda: len([m for m in api.bot_messages(en.user_id) if "rem:stop" in str(m.buttons)]) == 1,
                     limit=10)
    assert len(api.bot_messages(en.user_id)) > before


async def test_403_marks_the_user_and_pauses_their_reminders(en: Person, api, database):
    await fill_hearing_form(en, date_text=f"3 December {NEXT_YEAR}")
    await tap(en, ":ok")
    api.block_user(en.user_id)
    row_id = await make_due(database, en.user_id)
    await eventually(lambda: _status_is(database, row_id, FAILED))
    async with database.session() as session:
        assert (await session.get(User, en.user_id)).blocked is True
        assert (await session.scalar(select(Subscription).where(Subscription.user_id == en.user_id))).status == PAUSED


async def test_5xx_is_retried_with_backoff_then_fails_visibly(en: Person, api, database, settings):
    await fill_hearing_form(en, date_text=f"3 December {NEXT_YEAR}")
    await tap(en, ":ok")
    api.fail_next("sendMessage", 502, count=1, chat_id=en.user_id)
    row_id = await make_due(database, en.user_id)
    row = await eventually(lambda: _row_when(database, row_id, lambda r: r.attempts == 1), limit=5)
    assert row.status == PENDING and row.due_at > datetime.now(UTC)  # backed off
    # Force the retry now, and this time fail it for good (attempts reach the configured maximum).
    api.fail_next("sendMessage", 500, count=100, chat_id=en.user_id)
    async with database.session() as session:
        await session.execute(update(Reminder).where(Reminder.id == row_id)
                              .values(due_at=datetime.now(UTC), attempts=settings.max_attempts - 1))
        await session.commit()
    await eventually(lambda: _status_is(database, row_id, FAILED))
    from bot.reminders.outbox import health
    async with database.session() as session:
        _, ok, detail = await health(session)
    assert not ok and detail.startswith("1 failed")


async def test_delete_me_removes_subscriptions_and_reminders(en: Person, database):
    await fill_hearing_form(en, date_text=f"3 December {NEXT_YEAR}")
    await tap(en, ":ok")
    assert await count(database, Reminder, Reminder.user_id == en.user_id) > 0
    await en.send("/delete_me")
    await en.press("Yes, delete")
    assert await count(database, Reminder, Reminder.user_id == en.user_id) == 0
    assert await count(database, Subscription, Subscription.user_id == en.user_id) == 0
    assert await count(database, User, User.id == en.user_id) == 0


async def test_retention_deletes_subscriptions_long_after_the_event(en: Person, database):
    from bot.reminders import service

    await fill_hearing_form(en, date_text=f"3 December {NEXT_YEAR}")
    await tap(en, ":ok")
    async with database.session() as session:
        await session.execute(update(Subscription).values(event_at=datetime.now(UTC) - timedelta(days=31)))
        await session.commit()
        assert await service.purge_expired(session, retention_days=30) == 1
    assert await count(database, Subscription) == 0 and await count(database, Reminder) == 0


@pytest.mark.parametrize("button_from", ["a topic answer"])
async def test_remind_button_under_a_court_answer_opens_the_form(en: Person, button_from):
    await en.send("/start master-hearing")
    await en.press("Remind me")
    assert "What is it?" in en.screen.text
