"""What the desk refuses, and whom it ignores: per-person limits, the A-number / phone / e-mail guard, media,
ban and unban by ticket, a non-moderator in the staff group, other groups, and the desk being off."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.helpdesk import service
from bot.helpdesk.models import Ban, DeskMessage, Ticket
from bot.moderation.models import AuditEntry
from tests.conftest import ADMIN_ID
from tests.desk_fixtures import OWNER_ID, ask, desk  # noqa: F401  (fixture)
from tests.helpers import Member, Person, eventually


async def tickets(database) -> int:
    async with database.session() as session:
        return await session.scalar(select(func.count()).select_from(Ticket))


@pytest.mark.parametrize(("lang", "text", "word"), [
    ("ru", "Мой A-номер A123456789, что делать?", "A-номер"),
    ("en", "call me at +1 (555) 123-4567 please", "phone"),
    ("ru", "пишите на ivan.petrov@mail.ru", "почты"),
    ("en", "my number is ١٢٣٤٥٦٧٨٩", "phone"),  # Arabic-Indic digits are digits too
])
async def test_identifiers_are_never_passed_on(desk, database, lang, text, word):  # noqa: F811
    person = desk.person(lang)
    await person.send("/ask")
    await person.press("✅")
    refused = (await person.send(text))[-1]
    assert "⚠️" in refused.text and word in refused.text
    assert await tickets(database) == 0 and desk.api.topics(desk.chat_id) == []
    fine = (await person.send("Суд 12.03.2026 в 9:30, юристу заплатили $30,000 — что дальше?"))[-1]
    assert "#" in fine.text  # dates, times and sums are not identifiers
    posts = desk.topic_posts(desk.api.topics(desk.chat_id)[0].message_thread_id)
    await person.send(text)  # as a follow-up: refused as well
    assert desk.topic_posts(desk.api.topics(desk.chat_id)[0].message_thread_id) == posts
    async with database.session() as session:
        stored = (await session.scalars(select(DeskMessage.text))).all()
    assert all(text not in (s or "") for s in stored)


async def test_photos_documents_and_voice_get_a_refusal_that_says_why(desk, database):  # noqa: F811
    person = desk.person("en")
    await person.send("/ask")
    await person.press("✅")
    for send in (person.send_photo, person.send_voice, person.send_document, person.send_sticker):
        reply = (await send())[-1]
        assert "text only" in reply.text and "encrypted" in reply.text
    assert await tickets(database) == 0
    await person.send("What is a credible fear interview?")
    for send in (person.send_photo, person.send_voice):  # with a ticket open, too
        assert "text only" in (await send())[-1].text
    thread = desk.api.topics(desk.chat_id)[0].message_thread_id
    assert len(desk.topic_posts(thread)) == 1


async def test_limits_say_so_and_never_stay_silent(desk, database):  # noqa: F811
    person = desk.person("en")
    first = await ask(person, "Question one about parole")
    await ask(person, "Question two about bond")
    await person.send("/ask")
    assert "2 open questions" in person.screen.text and "/mytickets" in person.screen.text
    # the daily limit: 5 new tickets in 24 hours, even if closed
    for number in (first, first + 1):
        await person.press_data(person.screen, f"dk:cl:{number}", strict=False)
    for n in range(3):
        ticket = await ask(person, f"Another question {n} about court")
        await person.press_data(person.screen, f"dk:cl:{ticket}", strict=False)
    await person.send("/ask")
    assert "5 new questions today" in person.screen.text
    assert await tickets(database) == 5
    # the flood limit within a ticket
    other = desk.person("ru")
    ticket = await ask(other, "Вопрос про залог")
    for n in range(4):
        assert "#" in (await other.send(f"дополнение {n}"))[-1].text
    refused = (await other.send("ещё одно"))[-1]
    assert "подождите" in refused.text.lower() and "10" in refused.text
    thread = desk.topic_of(ticket).message_thread_id
    assert len(desk.topic_posts(thread)) == 5  # the question and four follow-ups; the sixth was not taken
    assert "ещё одно" not in desk.topic_posts(thread)[-1].text


async def test_too_long_is_refused_with_the_numbers(desk):  # noqa: F811
    person = desk.person("en")
    await person.send("/ask")
    await person.press("✅")
    reply = (await person.send("word " * 800))[-1]
    assert "4000" in reply.text and str(service.TEXT_LIMIT) in reply.text


async def test_ban_and_unban_by_ticket_without_learning_who(desk, database):  # noqa: F811
    person = desk.person("ru")
    ticket = await ask(person, "Вопрос, после которого последует бан")
    thread = desk.topic_of(ticket).message_thread_id
    usage = (await desk.volunteer.post("/ban", thread_id=thread))[-1]
    assert "/ban" in usage.text
    before = len(desk.api.bot_messages(person.user_id))
    banned = (await desk.volunteer.post("/ban spam and insults", thread_id=thread))[-1]
    assert f"#{ticket}" in (await desk.person_gets(person, before)).text  # "volunteers closed your question"
    assert f"#{ticket}" in banned.text and "spam and insults" in banned.text
    assert str(person.user_id) not in banned.text
    await eventually(lambda: desk.api.topic(desk.chat_id, thread).closed)
    await person.send("/ask")
    assert "больше не могут" in person.screen.text
    async with database.session() as session:
        ban = (await session.scalars(select(Ban))).one()
    assert str(person.user_id) not in ban.person_key and len(ban.person_key) == 64
    # /delete_me does not lift the ban (only a one-way code of the id is kept)
    await person.send("/delete_me")
    await person.press("Да")
    await person.send("/ask")
    assert "больше не могут" in person.screen.text
    # the ticket was withdrawn by /delete_me: /unban NUMBER from the General topic still finds the ban
    lifted = (await desk.volunteer.post(f"/unban {ticket}"))[-1]
    assert "снята" in lifted.text or "lifted" in lifted.text
    await person.send("/ask")
    assert "+1 888 351 4024" in person.screen.text  # the consent screen: they may ask again


async def test_a_non_moderator_in_the_staff_group_is_ignored(desk, database):  # noqa: F811
    person = desk.person("en")
    ticket = await ask(person, "What happens at the master hearing?")
    thread = desk.topic_of(ticket).message_thread_id
    stranger = Member(desk.api, desk.app, desk.chat_id, first_name="Stranger")
    before_person = len(desk.api.bot_messages(person.user_id))
    before_group = len(desk.api.bot_messages(desk.chat_id))
    for text in ("I am not a moderator, but here is an answer", "/close", "/ban x", "/desk", "/answer bond"):
        await stranger.post(text, thread_id=thread)
    root = desk.topic_posts(thread)[0]
    await stranger.press(root.button_texts[0].removeprefix("📖 "), root)
    await desk.desk.sync()
    assert len(desk.api.bot_messages(desk.chat_id)) == before_group  # no reply, no reaction
    assert not any(desk.api.world.reactions.get((desk.chat_id, m)) for m in desk.api.group(desk.chat_id).history)
    assert len(desk.api.bot_messages(person.user_id)) == before_person
    assert not desk.api.topic(desk.chat_id, thread).closed
    async with database.session() as session:
        refused = (await session.execute(select(AuditEntry.action, AuditEntry.count).where(
            AuditEntry.actor_id == stranger.user_id))).all()
    assert refused == [("refused", 4)]  # the four desk commands, counted on one row for the day
    # Other features never answer in the staff group either
    await desk.volunteer.post("/start")
    await desk.volunteer.post("/help")
    assert len(desk.api.bot_messages(desk.chat_id)) == before_group


async def test_the_bot_leaves_any_other_group(desk):  # noqa: F811
    other = desk.api.create_group("Some family chat", owner_id=OWNER_ID, forum=False)
    before = desk.app.updates_done
    desk.api.add_bot(other, by=OWNER_ID)
    await eventually(lambda: desk.api.chat_member(other, desk.app.bot.id)["status"] == "left")
    await eventually(lambda: desk.app.updates_done >= before + 2)
    [pointer] = desk.api.bot_messages(other)  # one "write to me in private", then it left
    assert pointer.buttons[0][0]["url"].startswith("https://t.me/")
    assert desk.api.chat_member(desk.chat_id, desk.app.bot.id)["status"] == "administrator"


async def test_a_volunteer_reply_to_someone_who_blocked_the_bot_says_so(desk):  # noqa: F811
    person = desk.person("en")
    ticket = await ask(person, "How do I send money to a detainee?")
    thread = desk.topic_of(ticket).message_thread_id
    desk.api.block_user(person.user_id)
    posted = (await desk.volunteer.post("Through the commissary vendor.", thread_id=thread))
    assert posted == []
    await eventually(lambda: "заблокировал бота" in desk.topic_posts(thread)[-1].text, limit=15)  # the forum is ru
    assert desk.api.reactions(desk.chat_id, desk.volunteer.last_result["message_id"]) == []


async def test_a_volunteer_edit_or_photo_is_not_passed_on(desk):  # noqa: F811
    person = desk.person("en")
    ticket = await ask(person, "Can relatives visit?")
    thread = desk.topic_of(ticket).message_thread_id
    replies = await desk.volunteer.post_media("photo", caption="a form", thread_id=thread)
    assert "Only text" in replies[-1].text
    await desk.volunteer.post("/note call the facility first", thread_id=thread)
    assert desk.api.reactions(desk.chat_id, desk.volunteer.last_result["message_id"]) == ["✍"]
    await desk.desk.sync()
    assert len(desk.api.bot_messages(person.user_id)) == 2  # the consent screen (then the prompt), the confirmation
    assert all("facility" not in m.text for m in desk.api.bot_messages(person.user_id))


async def test_with_the_desk_off_nothing_mentions_it(api, app, settings):
    person = Person(api, app, language_code="en")
    menu = (await person.send("/start"))[-1]
    assert not any("🙋" in label for label in menu.button_texts)
    assert "/ask" not in (await person.send("/help"))[-1].text
    assert "don't know this command" in (await person.send("/ask"))[-1].text
    assert "ask" not in [c["command"] for c in api.commands("en")]
    nothing = (await person.send("zxqv wombat"))[-1]  # search finds no answer
    labels = " ".join(nothing.button_texts)
    assert "Free and low-cost lawyers" in labels and "ICE detention" in labels and "🙋" not in labels
    answer = (await person.press("Free", nothing))[-1]
    assert not any("🙋" in label for label in answer.button_texts)
    group = api.create_group("Any group", owner_id=ADMIN_ID)
    api.add_bot(group, by=ADMIN_ID, admin=True)
    await eventually(lambda: api.chat_member(group, app.bot.id)["status"] == "left")


async def test_with_the_desk_on_search_offers_a_volunteer(desk):  # noqa: F811
    person = desk.person("en")
    nothing = (await person.send("zxqv wombat"))[-1]
    assert nothing.button_texts[0].startswith("🙋")  # a volunteer first, then the lawyers and the hotline
    assert "Free and low-cost lawyers" in " ".join(nothing.button_texts)
    answer = (await person.press_data(nothing, "t:bond", strict=False))[-1]
    assert any("🙋" in label for label in answer.button_texts)  # under every answer too
    assert "ask" in [c["command"] for c in desk.api.commands("en")]
    assert "/ask" in (await person.send("/help"))[-1].text
    consent = (await person.press("🙋", answer))[-1]
    assert "+1 888 351 4024" in consent.text


async def test_forged_buttons_touch_nobody_elses_ticket(desk, database):  # noqa: F811
    owner, attacker = desk.person("en"), desk.person("en")
    ticket = await ask(owner, "A question someone else will try to close")
    screen = (await attacker.send("/start"))[-1]
    for data in (f"dk:cl:{ticket}", f"dk:ok:{ticket}", f"dk:mo:{ticket}", "dk:cl:99999999999999999999",
                 "dk:cl:١", f"dk:a:{ticket}:bond", "dk:p:0123abcd:1", "dk:f:0123abcd:go"):
        await attacker.press_data(screen, data, strict=False)
        answer = attacker.last_answer()
        assert answer is None or answer["text"] in (None, "This button is out of date."), (data, answer)
    async with database.session() as session:
        kept = await session.get(Ticket, ticket)
    assert kept.status == "open" and not kept.helped
    assert len(desk.api.bot_messages(owner.user_id)) == 2  # nothing reached the owner
