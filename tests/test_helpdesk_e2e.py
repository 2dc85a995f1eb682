"""The help desk end to end, through the local Bot API: a person asks, an anonymous topic appears in the
volunteers' forum, a volunteer answers, the person gets it, a follow-up goes to the same topic; reviewed answers,
close and reopen, the reminder bump and the automatic close, /desk, a deleted topic created again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.db import utcnow
from bot.helpdesk.models import Ticket
from tests.desk_fixtures import VOLUNTEER_ID, ask, desk  # noqa: F401  (fixture)
from tests.helpers import eventually

QUESTION = {
    "ru": "Мужа перевели в другой детеншн, как его найти?",
    "en": "My husband was moved to another detention centre, how do I find him?",
}
TOP_MENUS = {"border", "court", "denied", "detention", "interviews", "mexico", "relatives", "removal", "russia"}
SIGNED = {"ru": "Волонтёр Asylum Navigator", "en": "Asylum Navigator volunteer"}


@pytest.mark.parametrize("lang", ["ru", "en"])
async def test_ask_answer_and_follow_up(desk, lang):  # noqa: F811
    person = desk.person(lang)
    menu = (await person.send("/start"))[-1]
    assert any("🙋" in label for label in menu.button_texts)  # "Ask a volunteer" in the main menu
    await person.send("/ask")
    consent = person.screen
    assert "+1 888 351 4024" in consent.text and "A-" in consent.text  # hotlines; no A-numbers
    await person.press("✅")
    confirm = (await person.send(QUESTION[lang]))[-1]
    ticket = int(confirm.text.split("#")[1].split(".")[0])
    topic = desk.topic_of(ticket)
    number, language, category = topic.name.split(" · ")  # the category: the situation search suggested
    assert (number, language) == (f"#{ticket}", lang) and category in TOP_MENUS
    root = desk.topic_posts(topic.message_thread_id)[0]
    assert QUESTION[lang] in root.text
    assert any(label.startswith("📖") for label in root.button_texts)  # suggested reviewed answers

    before = len(desk.api.bot_messages(person.user_id))
    await desk.volunteer.post("Use the ICE locator: locator.ice.gov", thread_id=topic.message_thread_id,
                              entities=[{"type": "bold", "offset": 21, "length": 15}])
    answer = await desk.person_gets(person, before)
    assert SIGNED[lang] in answer.text and "locator.ice.gov" in answer.text
    assert "<b>locator.ice.gov</b>" in answer.html  # the volunteer's formatting kept
    assert "Vera" not in answer.text and str(VOLUNTEER_ID) not in answer.html  # never who answered
    assert len(answer.buttons) == 2  # thank you / another question
    assert await desk.reacted(desk.volunteer.last_result["message_id"]) == ["👍"]

    await person.press("👍", answer)
    assert "🙏" in desk.topic_posts(topic.message_thread_id)[-1].text
    await person.send("А если его там нет?" if lang == "ru" else "And if he is not there?")
    last = desk.topic_posts(topic.message_thread_id)[-1]
    assert last.text.startswith("👤") and ("нет?" in last.text or "not there?" in last.text)
    listing = (await person.send("/mytickets"))[-1]
    assert f"#{ticket}" in listing.text


async def test_reviewed_answers_by_command_and_by_button(desk):  # noqa: F811
    person = desk.person("en")
    ticket = await ask(person, "Can I get out on bond? I crossed between ports.")
    thread = desk.topic_of(ticket).message_thread_id
    root = desk.topic_posts(thread)[0]
    before = len(desk.api.bot_messages(person.user_id))
    await desk.volunteer.post("/answer bond", thread_id=thread)
    sent = await desk.person_gets(person, before)
    assert "Bond: is it possible now?" in sent.text and sent.callback_data("📖 Bond") == "t:bond"
    assert await desk.reacted(desk.volunteer.last_result["message_id"]) == ["👍"]
    opened = await person.press("📖 Bond", sent)
    assert "Bond: is it possible now?" in opened[-1].text  # the reviewed answer, with its sources

    replies = await desk.volunteer.post("/answer bond", thread_id=thread)
    assert "a moment ago" in replies[-1].text.lower() or "только что" in replies[-1].text
    replies = await desk.volunteer.post("/answer no-such-answer", thread_id=thread)
    assert "no-such-answer" in replies[-1].text

    before = len(desk.api.bot_messages(person.user_id))
    label = next(label for label in root.button_texts if label.startswith("📖") and "Залог" not in label)
    await desk.volunteer.press(label.removeprefix("📖 "), root)
    sent = await desk.person_gets(person, before)
    assert sent.text.startswith("📖")
    line = desk.topic_posts(thread)[-1]
    assert line.text.startswith("📖")
    assert await desk.reacted(line.message_id) == ["👍"]


async def test_close_and_reopen_by_a_volunteer(desk):  # noqa: F811
    person = desk.person("ru")
    ticket = await ask(person, "Что взять с собой на интервью?")
    thread = desk.topic_of(ticket).message_thread_id
    before = len(desk.api.bot_messages(person.user_id))
    await desk.volunteer.post("/close", thread_id=thread)
    told = await desk.person_gets(person, before)
    assert f"#{ticket}" in told.text and any("🙋" in b for b in told.button_texts)
    await eventually(lambda: desk.api.topic(desk.chat_id, thread).closed)
    searched = (await person.send("интервью"))[-1]  # no open ticket: free text is a search again
    assert not desk.topic_posts(thread)[-1].text.startswith("👤 интервью") and searched.buttons

    before = len(desk.api.bot_messages(person.user_id))
    with pytest.raises(AssertionError, match="closed"):  # Telegram: only administrators write in a closed topic
        await desk.volunteer.post("/reopen", thread_id=thread)
    await desk.volunteer.post(f"/reopen {ticket}")  # so a volunteer reopens it from the General topic
    told = await desk.person_gets(person, before)
    assert f"#{ticket}" in told.text
    await eventually(lambda: not desk.api.topic(desk.chat_id, thread).closed)
    await person.send("Спасибо, ещё вопрос про переводчика")
    assert "переводчика" in desk.topic_posts(thread)[-1].text


async def test_the_person_closes_a_question_from_mytickets(desk):  # noqa: F811
    person = desk.person("en")
    ticket = await ask(person, "How long does a master hearing take?")
    thread = desk.topic_of(ticket).message_thread_id
    listing = (await person.send("/mytickets"))[-1]
    closed = (await person.press(f"#{ticket}", listing))[-1]
    assert f"#{ticket}" in closed.text and "closed" in closed.text
    await eventually(lambda: desk.api.topic(desk.chat_id, thread).closed)
    assert "closed" in desk.topic_posts(thread)[-1].text.lower() or "закрыл" in desk.topic_posts(thread)[-1].text
    again = (await person.press_data(listing, listing.callback_data(f"#{ticket}")))[-1]
    assert "already" in again.text  # a double tap closes nothing twice


async def test_reminder_bump_then_automatic_close_after_a_week(desk):  # noqa: F811
    person = desk.person("en")
    ticket = await ask(person, "Is there a fee for asylum now?")
    thread = desk.topic_of(ticket).message_thread_id
    await desk.desk.housekeeping(utcnow() + timedelta(hours=11))
    assert not any(p.text.startswith("⏰") for p in desk.topic_posts(thread))
    await desk.desk.housekeeping(utcnow() + timedelta(hours=13))
    bumps = [p for p in desk.topic_posts(thread) if p.text.startswith("⏰")]
    assert len(bumps) == 1 and f"#{ticket}" in bumps[0].text and "13" in bumps[0].text
    await desk.desk.housekeeping(utcnow() + timedelta(hours=14))
    assert len([p for p in desk.topic_posts(thread) if p.text.startswith("⏰")]) == 1  # once per period

    before = len(desk.api.bot_messages(person.user_id))
    await desk.volunteer.post("Yes: $100 per application, and $100 a year while it is pending.", thread_id=thread)
    await desk.person_gets(person, before)
    await desk.desk.housekeeping(utcnow() + timedelta(days=6))
    assert not desk.api.topic(desk.chat_id, thread).closed
    before = len(desk.api.bot_messages(person.user_id))
    await desk.desk.housekeeping(utcnow() + timedelta(days=7, hours=1))
    told = await desk.person_gets(person, before)
    assert f"#{ticket}" in told.text and "7 days" in told.text
    await eventually(lambda: desk.api.topic(desk.chat_id, thread).closed)
    assert not desk.desk.has_open(person.user_id)


async def test_a_ticket_waiting_after_the_answer_is_not_closed_but_bumped(desk):  # noqa: F811
    person = desk.person("en")
    ticket = await ask(person, "Where do I file the change of address?")
    thread = desk.topic_of(ticket).message_thread_id
    before = len(desk.api.bot_messages(person.user_id))
    await desk.volunteer.post("Form EOIR-33, to the court.", thread_id=thread)
    await desk.person_gets(person, before)
    await person.send("And to ICE too?")
    await desk.desk.housekeeping(utcnow() + timedelta(days=8))
    assert not desk.api.topic(desk.chat_id, thread).closed
    assert any(p.text.startswith("⏰") for p in desk.topic_posts(thread))


async def test_two_open_questions_the_follow_up_asks_which(desk):  # noqa: F811
    person = desk.person("en")
    first = await ask(person, "How do I find a free lawyer?")
    second = await ask(person, "What is a master hearing?")
    pick = (await person.send("One more detail"))[-1]
    assert {f"#{first}", f"#{second}"} <= set(pick.button_texts)
    await person.press(f"#{second}", pick)
    assert "One more detail" in desk.topic_posts(desk.topic_of(second).message_thread_id)[-1].text
    stale = await person.press_data(pick, pick.callback_data(f"#{first}"))
    assert not stale or "One more detail" not in desk.topic_posts(desk.topic_of(first).message_thread_id)[-1].text
    await person.send("/ask")
    assert "2 open questions" in person.screen.text  # the limit, said plainly


async def test_desk_figures(desk):  # noqa: F811
    person = desk.person("en")
    ticket = await ask(person, "What is parole?")
    thread = desk.topic_of(ticket).message_thread_id
    await desk.volunteer.post("ICE decides on parole; a packet usually has a sponsor letter.", thread_id=thread)
    await ask(desk.person("ru"), "Что такое пароль?")
    figures = (await desk.volunteer.post("/desk"))[-1].text
    assert "2" in figures and "7" in figures and "30" in figures
    async with desk.database.session() as session:
        answered = await session.scalar(select(Ticket).where(Ticket.id == ticket))
    assert answered.first_answer_at is not None


async def test_a_deleted_topic_is_created_again(desk):  # noqa: F811
    person = desk.person("ru")
    ticket = await ask(person, "Как написать письмо в детеншн?")
    old = desk.topic_of(ticket).message_thread_id
    await desk.app.bot.delete_forum_topic(desk.chat_id, old)  # an administrator deleted it
    await person.send("Ещё: можно ли передать деньги?")
    new = desk.topic_of(ticket)
    assert new.message_thread_id != old and not new.deleted and new.name.startswith(f"#{ticket} · ru")
    posts = desk.topic_posts(new.message_thread_id)
    assert "♻️" in posts[0].text and "письмо в детеншн" in posts[0].text
    assert "передать деньги" in posts[-1].text
    before = len(desk.api.bot_messages(person.user_id))
    await desk.volunteer.post("Да, через вендора учреждения.", thread_id=new.message_thread_id)
    assert "вендора" in (await desk.person_gets(person, before)).text


async def test_a_429_from_the_staff_group_delays_only_the_desk(desk):  # noqa: F811
    desk.api.fail_next("createForumTopic", 429, retry_after=1, chat_id=desk.chat_id)
    person = desk.person("en")
    ticket = await ask(person, "Will I get a work permit while my case is pending?")
    assert f"#{ticket}" in person.screen.text  # the person is answered at once; the question is kept
    assert desk.api.topics(desk.chat_id) == []
    other = desk.person("ru")
    assert "Где вы сейчас?" in (await other.send("/start"))[-1].text  # nobody else waits for the group

    async def posted() -> bool:
        await desk.desk.housekeeping()  # the job's next run, once Telegram's wait is over
        return bool(desk.api.topics(desk.chat_id))

    await eventually(posted, limit=15, interval=0.3)
    assert "work permit" in desk.topic_posts(desk.topic_of(ticket).message_thread_id)[0].text


async def test_the_question_form_survives_a_restart(desk, api, settings, database):  # noqa: F811
    from tests.conftest import start_app, stop_app, with_settings

    person = desk.person("en")
    await person.send("/ask")
    await person.press("✅")
    await stop_app(desk.app)
    desk.app = await start_app(with_settings(settings, helpdesk_chat_id=desk.chat_id))
    person.app = desk.volunteer.app = desk.app
    confirm = (await person.send("Asked across a restart: what is a master hearing?"))[-1]
    assert "Your question is with the volunteers" in confirm.text
    assert "across a restart" in desk.topic_posts(desk.api.topics(desk.chat_id)[0].message_thread_id)[0].text
