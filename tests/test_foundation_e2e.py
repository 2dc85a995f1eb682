"""The first whole capability, end to end: the real Application over HTTP against the local Bot API."""

from __future__ import annotations

from sqlalchemy import select

from bot.models import User
from tests.helpers import Person


async def user_row(database, user_id: int) -> User | None:
    async with database.session() as session:
        return await session.scalar(select(User).where(User.id == user_id))


async def test_start_in_russian_for_a_russian_user(ru: Person):
    [message] = await ru.send("/start")
    assert "Asylum Navigator" in message.text
    assert "не юридическая консультация" in message.text.lower()
    assert "сквозного шифрования" in message.text
    assert "Где вы сейчас?" in message.text
    assert any("Мексик" in label for label in message.button_texts)
    assert any("Язык / Language" in label for label in message.button_texts)


async def test_start_in_english_for_an_english_user(en: Person):
    [message] = await en.send("/start")
    assert "not legal advice" in message.text
    assert "end-to-end encrypted" in message.text
    assert "Where are you now?" in message.text
    assert any("Mexico" in label for label in message.button_texts)


async def test_ukrainian_and_kazakh_users_get_russian_others_english(make_person):
    for code, expected in (("uk", "Где вы сейчас?"), ("kk", "Где вы сейчас?"), ("de", "Where are you now?"),
                           ("es", "Where are you now?")):
        [message] = await make_person(code).send("/start")
        assert expected in message.text, code


async def test_language_switch_is_stored_and_wins_over_telegram_language(ru: Person, database):
    await ru.send("/language")
    assert "Choose your language" in ru.screen.text
    [screen] = await ru.press("English")
    assert "Language: English" in screen.text and "Where are you now?" in screen.text
    [message] = await ru.send("/start")
    assert "Where are you now?" in message.text
    assert (await user_row(database, ru.user_id)).locale == "en"
    await ru.send("/language")
    [screen] = await ru.press("Русский")
    assert "Язык: русский" in screen.text


async def test_privacy_says_what_is_stored(ru: Person, en: Person):
    [message] = await ru.send("/privacy")
    assert "Telegram" in message.text and "A-номер" in message.text
    assert "30 дней" in message.text  # Russian plural for 30 → «дней»
    [message] = await en.send("/privacy")
    assert "not end-to-end encrypted" in message.text and "30 days" in message.text


async def test_delete_me_asks_first_then_deletes_everything(ru: Person, database):
    await ru.send("/language")
    await ru.press("English")
    assert await user_row(database, ru.user_id) is not None
    [question] = await ru.send("/delete_me")
    assert "cannot be undone" in question.text
    [screen] = await ru.press("Cancel")
    assert "Nothing was deleted" in screen.text
    assert await user_row(database, ru.user_id) is not None
    await ru.send("/delete_me")
    confirm = ru.last_with_buttons()
    [screen] = await ru.press("Yes, delete", confirm)
    assert "everything about you has been deleted" in screen.text
    assert await user_row(database, ru.user_id) is None
    # A second tap on the same stale button changes nothing and does not fail.
    await ru._handled(lambda: ru.api.user_presses(ru.user_id, confirm.message_id, "del:yes", strict=False))
    assert await user_row(database, ru.user_id) is None


async def test_unknown_command_gets_a_helpful_reply(ru: Person, en: Person):
    [message] = await ru.send("/frobnicate")
    assert "/start" in message.text and "/help" in message.text
    [message] = await en.send("/frobnicate")
    assert "don't know this command" in message.text


async def test_stickers_voice_and_photos_get_a_plain_answer(ru: Person):
    for act in (ru.send_sticker, ru.send_voice):
        [message] = await act()
        assert "только текст" in message.text
    [message] = await ru.send_photo()
    assert "не присылайте" in message.text.lower()


async def test_documents_get_a_warning_not_to_send_them(ru: Person, en: Person):
    [message] = await ru.send_document("passport_scan.pdf")
    assert "не присылайте" in message.text.lower() and "документ" in message.text
    [message] = await en.send_document()
    assert "don't send documents" in message.text.lower()


async def test_help_lists_the_commands(en: Person):
    [message] = await en.send("/help")
    for command in ("/start", "/remind", "/reminders", "/language", "/privacy", "/delete_me"):
        assert command in message.text


async def test_an_error_is_reported_to_the_user_in_their_language(ru: Person, api):
    # The Bot API fails the bot's reply with a server error: the handler raises, the error handler tells the user.
    api.fail_next("sendMessage", 500, description="Internal Server Error: boom", count=2)  # the retry fails too
    await ru.send("/help")
    assert "что-то пошло не так" in ru.screen.text.lower()


async def test_command_menu_and_description_in_both_languages(app, api):
    ru_commands = {c["command"]: c["description"] for c in api.commands("ru")}
    en_commands = {c["command"]: c["description"] for c in api.commands("en")}
    assert set(ru_commands) == set(en_commands) >= {"start", "remind", "reminders", "language", "delete_me"}
    assert ru_commands["delete_me"] != en_commands["delete_me"]
    assert "not legal advice" in api.description("en")
    assert "не юридическая консультация" in api.description("ru")


async def test_reading_stores_nothing_and_a_row_holds_only_what_features_need(ru: Person, database):
    await ru.send("/start")
    await ru.press("Мексик")
    assert await user_row(database, ru.user_id) is None  # browsing the answers leaves no trace
    await ru.send("/language")
    await ru.press("Русский")
    row = await user_row(database, ru.user_id)
    assert row is not None and row.locale == "ru" and row.blocked is False
    # Only the id, preferences and coarse activity; the time zone is set only by the reminder form.
    assert {c.name for c in User.__table__.columns} == {"id", "locale", "created_at", "last_seen_at", "blocked",
                                                         "timezone", "news"}
    assert row.timezone is None and row.news is False
