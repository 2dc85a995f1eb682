"""Questions in people's own words, through the local Bot API: the three bands in both languages, transliteration
and the wrong keyboard layout, captions, forwards and edits, inline mode, /gaps, moderators teaching search, and
proof that no question text reaches the database or the logs."""

from __future__ import annotations

import io
import logging
import time
from datetime import UTC, datetime

from sqlalchemy import MetaData, select

from bot.knowledge.pack import read_pack
from bot.logs import setup_logging
from bot.moderation.models import Moderator
from tests.conftest import ADMIN_ID
from tests.helpers import Person

PACK = {t.slug: t for t in read_pack()}


def title(slug: str, locale: str) -> str:
    return PACK[slug].texts[locale].title


def button_slugs(message) -> list[str]:
    return [b["callback_data"][2:] for row in message.buttons for b in row
            if b.get("callback_data", "").startswith("t:")]


async def ask(person: Person, text: str):
    """Send a question; returns the messages the bot sent back, in order."""
    return await person.send(text)


def opened(messages, slug: str, locale: str) -> bool:
    """The answer itself was sent: its title as the heading, with its sources and the review date."""
    first = messages[0].text
    footer = "Источники" if locale == "ru" else "Sources"
    return first.startswith(title(slug, locale)) and any(footer in m.text for m in messages)


# --- the three bands ----------------------------------------------------------------------------------------------

async def test_confident_russian_opens_the_answer_with_not_what_you_asked(ru):
    messages = await ask(ru, "бонд хиринг")
    assert opened(messages, "bond", "ru")
    follow = messages[-1]
    assert "Не то, что вы искали?" in follow.text
    alternatives = [s for s in button_slugs(follow) if s != "start"]
    assert 1 <= len(alternatives) <= 2 and "bond" not in alternatives
    # An alternative opens like any topic button.
    screen = (await ru.press_data(follow, f"t:{alternatives[0]}"))[-1]
    assert title(alternatives[0], "ru") in screen.text


async def test_confident_english(en):
    messages = await ask(en, "what is a master calendar hearing")
    assert opened(messages, "master-hearing", "en")
    assert "Not what you asked?" in messages[-1].text


async def test_unsure_russian_offers_up_to_three_topics_with_a_line_each(ru):
    [message] = await ask(ru, "перевели")
    assert "Возможно, подойдёт один из этих" in message.text
    slugs = [s for s in button_slugs(message) if s != "start"]
    assert 2 <= len(slugs) <= 3 and "relatives-transfer" in slugs
    for i, slug in enumerate(slugs, start=1):
        assert f"{i}. {title(slug, 'ru')}" in message.text
    assert message.text.count("\n\n") >= len(slugs)  # a snippet under each title


async def test_unsure_english(en):
    [message] = await ask(en, "phone")
    slugs = [s for s in button_slugs(message) if s != "start"]
    assert {"phone-on-arrival", "phone-search-border"} <= set(slugs) and len(slugs) <= 3
    assert "Maybe one of these" in message.text


async def test_none_russian_is_honest_and_offers_help(ru):
    [message] = await ask(ru, "как получить грин карту")
    assert "нет проверенного ответа" in message.text
    assert set(button_slugs(message)) == {"free-lawyers", "ice-line", "start"}


async def test_none_english_never_shows_a_random_topic(en):
    for question in ("how do I get a green card", "hello", "a" * 300):
        [message] = await ask(en, question)
        assert "I don't have a reviewed answer" in message.text
        assert set(button_slugs(message)) == {"free-lawyers", "ice-line", "start"}


# --- how people type -----------------------------------------------------------------------------------------------

async def test_transliteration_and_wrong_keyboard_layout(ru):
    assert opened(await ask(ru, "kak nayti cheloveka v detenshene"), "find-person", "ru")
    assert opened(await ask(ru, "rfr yfqnb xtkjdtrf d ltntyityt"), "find-person", "ru")  # как найти человека в детеншене
    shown = await ask(ru, "ghjgecnbk pfctlfybt")  # пропустил заседание
    assert opened(shown, "missed-hearing", "ru") or "missed-hearing" in button_slugs(shown[0])


async def test_english_words_in_a_russian_question_get_the_russian_text(ru):
    messages = await ask(ru, "habeas corpus")
    assert opened(messages, "habeas", "ru")


async def test_caption_forward_and_edit_are_read_like_typed_text(ru, api):
    # A photo with a caption: the warning about documents, then the answer to the caption.
    messages = await ru._handled(lambda: api.user_sends_photo(ru.user_id, caption="бонд хиринг", language_code="ru"))
    assert "документ" in messages[0].text
    assert any(m.text.startswith(title("bond", "ru")) for m in messages)
    # A forwarded question.
    messages = await ru._handled(lambda: api.user_forwards(ru.user_id, 42, "хабеас корпус", language_code="ru"))
    assert opened(messages, "habeas", "ru")
    # An edited question is answered again, as the new text.
    sent = api.user_sends(ru.user_id, "привет", language_code="ru")
    await ru._handled(lambda: None)
    messages = await ru._handled(lambda: edit(api, ru.user_id, sent, "мастер хиринг что это"))
    assert opened(messages, "master-hearing", "ru")


def edit(api, user_id: int, message: dict, text: str) -> None:
    """The person edits a message they sent (Telegram sends an edited_message update)."""
    edited = {**message, "text": text, "edit_date": int(time.time())}
    for bot in api._target_bots(None):
        api.world.add_update(bot, "edited_message", edited)
    api.world.notify()


# --- inline mode --------------------------------------------------------------------------------------------------

async def test_inline_query_offers_answers_with_a_deep_link(make_person):
    person = make_person("ru")
    answer = await person.inline("бонд хиринг", chat_type="supergroup")
    assert answer.ids[0] == "bond" and answer.is_personal is False and 0 < answer.cache_time <= 300
    first = answer.results[0]
    assert first["title"] == title("bond", "ru") and first["description"]
    message = answer.messages["bond"]
    assert message.text.startswith(title("bond", "ru")) and "Источники" in message.text
    urls = [b["url"] for row in message.buttons for b in row if "url" in b]
    assert urls == ["https://t.me/asylum_navigator_test_bot?start=bond"]


async def test_inline_empty_query_shows_most_read_and_long_query_is_answered(make_person):
    reader = make_person("en")
    await reader.send("/start parole")  # a read is counted
    person = make_person("en")
    empty = await person.inline("")
    assert 3 <= len(empty.ids) <= 10
    assert all(answer_id in PACK and PACK[answer_id].kind == "answer" for answer_id in empty.ids)
    long = await person.inline(("how do I find my husband in ICE detention " * 8)[:256])
    assert long.ids and long.ids[0] in ("find-person", "relatives-help", "relatives-transfer")
    nothing = await person.inline("xqzv wpltk")
    assert nothing.ids == [] and nothing.button["start_parameter"] == "inline"


async def test_most_read_counts_reads_and_inline_follows_them(app, make_person, database):
    from bot.search.models import TopicRead

    reader = make_person("ru")
    for _ in range(3):
        await reader.send("/start split-case")
    await app.search.flush_reads(database)
    async with database.session() as session:
        rows = (await session.execute(select(TopicRead.slug, TopicRead.count))).all()
    assert ("split-case", 3) in rows
    answer = await make_person("ru").inline("")
    assert answer.ids[0] == "split-case"


# --- moderators ---------------------------------------------------------------------------------------------------

async def test_gaps_is_for_moderators_and_counts_only_words(make_person, database):
    for person in (make_person("ru"), make_person("ru")):
        await ask(person, "как получить грин карту")
        await ask(person, "как получить гражданство")
    admin = make_person("en", user_id=ADMIN_ID)
    [report] = await admin.send("/gaps")
    assert "грин карта — 2" in report.text and "гражданство — 2" in report.text and "получить — 4" in report.text
    stranger = make_person("ru")
    [refused] = await stranger.send("/gaps")
    assert "грин" not in refused.text and "не знаю такой команды" in refused.text.lower()
    async with database.session() as session:
        session.add(Moderator(moderator_id=stranger.user_id, added_by=ADMIN_ID, added_at=datetime.now(UTC)))
        await session.commit()
    [report] = await stranger.send("/gaps")
    assert "грин карта" in report.text


async def test_moderators_teach_search_a_question_and_a_synonym(make_person):
    admin = make_person("en", user_id=ADMIN_ID)
    person = make_person("ru")
    [before] = await ask(person, "куда пропал шурин")
    assert "нет проверенного ответа" in before.text
    [done] = await admin.send("/question_add relatives-transfer ru куда пропал шурин после перевода")
    assert "Added" in done.text
    assert opened(await ask(person, "куда пропал шурин"), "relatives-transfer", "ru")
    [listing] = await admin.send("/questions relatives-transfer")
    assert "куда пропал шурин после перевода" in listing.text and "moderator" in listing.text
    # A synonym: "адвокатесса" now means a lawyer everywhere.
    [done] = await admin.send("/synonym адвокатесса = адвокат")
    assert "Added" in done.text
    messages = await ask(person, "бесплатная адвокатесса")
    assert opened(messages, "free-lawyers", "ru") or button_slugs(messages[0])[0] == "free-lawyers"
    [refused] = await person.send("/synonym бонд = тюрьма")
    assert "не знаю такой команды" in refused.text.lower()


# --- privacy ------------------------------------------------------------------------------------------------------

SECRET_QUESTIONS = [
    "Мой муж Евлампий Загогулькин сидит в детеншене Отай Меса с номером 123456789, как его найти",
    "zagogulkin evlampiy deportaciya chto delat",
    "My wife Brunhilda Quackenbush was moved from Otero, A-number 987654321, where is she",
    "как получить грин карту для Евлампия Загогулькина",
    "Брунгильда Кряквенбуш налоги ипотека",
]
SECRETS = ["Евлампий", "Загогулькин", "загогулькин", "zagogulkin", "evlampiy", "Brunhilda", "Quackenbush",
           "Кряквенбуш", "Брунгильда", "123456789", "987654321", "Отай", "Otero"]


async def test_no_question_text_reaches_the_database_or_the_logs(make_person, api, app, database, caplog):
    stream = io.StringIO()
    handler = setup_logging("DEBUG", stream=stream)
    caplog.set_level(logging.DEBUG)
    try:
        for text in SECRET_QUESTIONS:
            await ask(make_person("ru"), text)
            await make_person("en").inline(text[:256])
        await app.search.flush_reads(database)
    finally:
        logging.getLogger().removeHandler(handler)
    logged = stream.getvalue() + "\n".join(r.getMessage() for r in caplog.records)
    dump = await dump_database(database)
    for secret in SECRETS:
        assert secret.lower() not in logged.lower(), f"{secret!r} in the logs"
        assert secret.lower() not in dump.lower(), f"{secret!r} in the database"
    for text in SECRET_QUESTIONS:
        assert text.lower() not in dump.lower()
    # The gap counter did count the dictionary words of the unanswered questions (and nothing else of them).
    assert "грин_карта" in dump and "ипотека" in dump


async def dump_database(database) -> str:
    """Every value of every row of every table, as text."""
    metadata = MetaData()
    async with database.engine.connect() as connection:
        await connection.run_sync(metadata.reflect)
        parts = []
        for table in metadata.sorted_tables:
            for row in (await connection.execute(table.select())).all():
                parts.append(" ".join(str(value) for value in row))
    return "\n".join(parts)
