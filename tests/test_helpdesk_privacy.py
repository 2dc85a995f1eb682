"""The desk's privacy promises, checked on what Telegram and the database actually got: volunteers never see
who asks, the person never sees who answers, /delete_me withdraws a ticket, texts and topics go after retention,
and the logs hold ticket numbers and counts only."""

from __future__ import annotations

import io
import json
import logging
import re
from datetime import timedelta

from sqlalchemy import func, select

from bot.db import utcnow
from bot.helpdesk.models import WITHDRAWN, Asker, DeskDelivery, DeskMessage, Ticket
from bot.logs import setup_logging
from tests.desk_fixtures import VOLUNTEER_ID, ask, desk  # noqa: F401  (fixture)
from tests.helpers import Person, eventually

NAME, USERNAME, LANGUAGE = "Zebulon-Quixotic", "zebulon_quixotic_42", "kk-KZ"  # kk: served in Russian


async def count(database, model, *where) -> int:
    async with database.session() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*where))


async def test_nothing_sent_to_the_staff_group_names_the_person(desk):  # noqa: F811
    person = Person(desk.api, desk.app, language_code=LANGUAGE, first_name=NAME)
    speak = lambda text: person._handled(lambda: desk.api.user_sends(  # noqa: E731
        person.user_id, text, language_code=LANGUAGE, first_name=NAME, username=USERNAME))
    await speak("/ask")
    await person.press("✅")
    await speak("Брата перевели из детеншна в Луизиане, где его искать?")
    ticket = int(re.search(r"#(\d+)", person.screen.text).group(1))
    thread = desk.topic_of(ticket).message_thread_id
    await speak("Он говорит только по-русски")
    before = len(desk.api.bot_messages(person.user_id))
    await desk.volunteer.post("Ищите в ICE locator по A-номеру и стране рождения.", thread_id=thread)
    reply = await desk.person_gets(person, before)
    await person.press("👍", reply)

    async def volunteer(text: str, thread_id: int | None = None, *, tells_the_person: bool = True) -> None:
        before = len(desk.api.bot_messages(person.user_id))
        await desk.volunteer.post(text, thread_id=thread_id)
        if tells_the_person:  # wait for the outbox, so the person's screen is what the next step expects
            await desk.person_gets(person, before)

    await volunteer("/answer find-person", thread)
    await desk.desk.housekeeping(utcnow() + timedelta(hours=13))  # a bump
    await volunteer("/desk", tells_the_person=False)
    await volunteer("/close", thread)
    await volunteer(f"/reopen {ticket}")
    listing = (await speak("/mytickets"))[-1]
    await person.press(f"#{ticket}", listing)  # the person closes it
    await volunteer(f"/reopen {ticket}")
    await volunteer("/ban testing the scan", thread)
    await volunteer(f"/unban {ticket}", tells_the_person=False)
    await desk.desk.sync()

    requests = desk.api.chat_requests(desk.chat_id)
    assert len(requests) >= 10 and {"createForumTopic", "sendMessage", "setMessageReaction",
                                     "closeForumTopic"} <= {name for name, _ in requests}
    dumped = json.dumps(requests, ensure_ascii=False, default=str)
    for secret in (str(person.user_id), NAME, "Zebulon", USERNAME, LANGUAGE):
        assert secret not in dumped, secret
    assert not re.search(r"\bkk\b", dumped) and "language_code" not in dumped
    assert f"#{ticket} · ru" in dumped  # the ticket's language is the bot's, not the person's setting

    # ... and nothing the person got names the volunteer
    to_person = json.dumps([(m.html, m.reply_markup) for m in desk.api.bot_messages(person.user_id)],
                           ensure_ascii=False)
    for secret in ("Vera", str(VOLUNTEER_ID)):
        assert secret not in to_person, secret


async def test_delete_me_withdraws_the_ticket(desk, database):  # noqa: F811
    person = desk.person("ru")
    ticket = await ask(person, "Тайный вопрос: меня зовут Остап, что делать?")
    thread = desk.topic_of(ticket).message_thread_id
    await person.send("И ещё одна подробность")
    before = len(desk.api.bot_messages(person.user_id))
    await desk.volunteer.post("Ответ волонтёра", thread_id=thread)
    await desk.person_gets(person, before)
    await person.send("/delete_me")
    assert "вопросы волонтёрам" in person.screen.text
    await person.press("Да")
    root = desk.topic_posts(thread)[0]
    assert "отозвано" in root.text and "Остап" not in root.text and not root.buttons
    assert all("Остап" not in m.text and "подробность" not in m.text for m in desk.topic_posts(thread))
    assert desk.api.topic(desk.chat_id, thread).closed
    assert await count(database, DeskMessage, DeskMessage.ticket_id == ticket) == 0
    assert await count(database, Asker) == 0 and await count(database, DeskDelivery) == 0
    assert await count(database, Ticket, Ticket.status == WITHDRAWN) == 1
    assert not desk.desk.has_open(person.user_id)
    # An administrator may still write in the closed topic: nothing is sent, and they learn why, never who.
    desk.api.add_member(desk.chat_id, VOLUNTEER_ID, admin=True, rights={"can_manage_topics": True},
                        first_name="Vera-Volunteer")
    refused = (await desk.volunteer.post("Вы тут?", thread_id=thread))[-1]
    assert "отозвал" in refused.text
    async with database.session() as session:
        rows = json.dumps([list(r) for r in (await session.execute(select(Ticket.__table__))).all()], default=str)
    assert "Остап" not in rows


async def test_retention_deletes_texts_and_the_topic(desk, database):  # noqa: F811
    person = desk.person("en")
    ticket = await ask(person, "A question to be forgotten")
    thread = desk.topic_of(ticket).message_thread_id
    await desk.volunteer.post("An answer to be forgotten", thread_id=thread)
    await eventually(lambda: desk.api.reactions(desk.chat_id, desk.volunteer.last_result["message_id"]), limit=15)
    await desk.volunteer.post("/close", thread_id=thread)
    await desk.desk.housekeeping(utcnow() + timedelta(days=29))
    assert not desk.api.topic(desk.chat_id, thread).deleted
    assert await count(database, DeskMessage, DeskMessage.ticket_id == ticket) == 2
    await desk.desk.housekeeping(utcnow() + timedelta(days=31))
    assert desk.api.topic(desk.chat_id, thread).deleted
    assert await count(database, DeskMessage) == 0 and await count(database, Asker) == 0
    async with database.session() as session:
        kept = await session.get(Ticket, ticket)
    assert kept.purged and kept.thread_id is None  # an anonymous row for the figures
    assert "📊" in (await desk.volunteer.post("/desk"))[-1].text


async def test_logs_hold_ticket_numbers_and_counts_only(desk):  # noqa: F811
    stream = io.StringIO()
    handler = setup_logging("DEBUG", stream=stream)
    try:
        person = Person(desk.api, desk.app, language_code="en", first_name=NAME)
        ticket = await ask(person, "Xylophone-secret question about my case")
        thread = desk.topic_of(ticket).message_thread_id
        before = len(desk.api.bot_messages(person.user_id))
        await desk.volunteer.post("Marimba-secret answer", thread_id=thread)
        await desk.person_gets(person, before)
        await person.send("/delete_me")
        await person.press("Yes")
    finally:
        logging.getLogger().removeHandler(handler)
    logged = stream.getvalue()
    assert f"ticket {ticket} opened" in logged
    for secret in ("Xylophone", "Marimba", NAME, str(person.user_id)):
        assert secret not in logged, secret
