"""Inline mode in the local Bot API: a person types ``@bot <query>``; answerInlineQuery is checked as Telegram does."""

from __future__ import annotations

import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
)
from telegram.error import BadRequest

from bot.local_api import LocalBotApi

USER = 2001


@pytest.fixture
async def api():
    async with LocalBotApi() as server:
        yield server


@pytest.fixture
async def bot(api):
    tg_bot = Bot(api.make_token(123456), base_url=api.base_url)
    await tg_bot.initialize()
    yield tg_bot
    await tg_bot.shutdown()


def article(result_id: str = "1", text: str = "<b>Bond</b> hearing", **kw) -> InlineQueryResultArticle:
    return InlineQueryResultArticle(
        result_id, kw.pop("title", "Bond hearing"),
        InputTextMessageContent(text, parse_mode=kw.pop("parse_mode", "HTML")), **kw,
    )


async def rejected(bot: Bot, query_id: str, results, **kw) -> str:
    with pytest.raises(BadRequest) as caught:
        await bot.answer_inline_query(query_id, results, **kw)
    return caught.value.message


async def test_inline_query_update_and_answer_read_back(api, bot):
    assert (await bot.get_me()).supports_inline_queries is True
    query_id = api.user_inline_query(USER, "bond", chat_type="supergroup", first_name="Olga")
    update = (await bot.get_updates())[-1]
    q = update.inline_query
    assert (q.id, q.query, q.offset, q.chat_type, q.from_user.id, q.from_user.first_name) == (
        query_id, "bond", "", "supergroup", USER, "Olga")
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Open in the bot", url="https://t.me/x_bot?start=t_bond")]])
    assert await bot.answer_inline_query(
        query_id, [article("bond-1", reply_markup=markup, description="One line"), article("bond-2", title="Two")],
        cache_time=30, is_personal=False, next_offset="2",
        button=InlineQueryResultsButton("All topics", start_parameter="from_inline"),
    )
    answer = await api.wait_inline_answer(query_id)
    assert answer.ids == ["bond-1", "bond-2"] and answer.titles == ["Bond hearing", "Two"]
    assert (answer.cache_time, answer.is_personal, answer.next_offset) == (30, False, "2")
    assert answer.button == {"text": "All topics", "start_parameter": "from_inline"}
    assert answer.result("bond-1")["description"] == "One line"
    posted = answer.message("bond-1")
    assert posted.text == "Bond hearing" and posted.entities == [{"type": "bold", "offset": 0, "length": 4}]
    assert posted.buttons[0][0]["url"] == "https://t.me/x_bot?start=t_bond"
    assert answer.message("bond-2").buttons == []
    # the person never wrote to the bot: it may not message them
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(USER, "hi")


async def test_defaults_empty_query_and_chat_type_absent(api, bot):
    query_id = api.user_inline_query(USER, "", chat_type=None)
    raw = (await bot.get_updates())[-1].inline_query.to_dict()
    assert raw["query"] == "" and "chat_type" not in raw
    await bot.answer_inline_query(query_id, [])
    answer = await api.wait_inline_answer(query_id)
    assert (answer.results, answer.cache_time, answer.is_personal, answer.button) == ([], 300, False, None)


async def test_query_length_chat_type_and_inline_mode_in_the_driver(api, bot):
    assert api.user_inline_query(USER, "я" * 256)
    with pytest.raises(ValueError, match="256"):
        api.user_inline_query(USER, "я" * 257)
    with pytest.raises(ValueError, match="chat_type"):
        api.user_inline_query(USER, "x", chat_type="forum")
    api.set_inline_mode(False)
    with pytest.raises(AssertionError, match="inline mode is off"):
        api.user_inline_query(USER, "x")
    assert (await bot.get_me()).supports_inline_queries is False


async def test_at_most_50_results(api, bot):
    query_id = api.user_inline_query(USER, "a")
    assert await rejected(bot, query_id, [article(str(i)) for i in range(51)]) == "Results_too_much"
    await bot.answer_inline_query(query_id, [article(str(i)) for i in range(50)])
    assert len((await api.wait_inline_answer(query_id)).results) == 50


async def test_result_ids_unique_and_1_to_64_bytes(api, bot):
    query_id = api.user_inline_query(USER, "a")
    assert await rejected(bot, query_id, [article("x"), article("x")]) == "Result_id_duplicate"
    assert await rejected(bot, query_id, [article("я" * 33)]) == "Result_id_invalid"  # 66 bytes
    assert await rejected(bot, query_id, [article("")]) == "Result_id_invalid"
    await bot.answer_inline_query(query_id, [article("я" * 32), article("x" * 64)])
    assert (await api.wait_inline_answer(query_id)).ids == ["я" * 32, "x" * 64]


async def test_message_text_is_telegram_html_of_at_most_4096(api, bot):
    query_id = api.user_inline_query(USER, "a")
    message = await rejected(bot, query_id, [article(text="<div>no</div>")])
    assert message.startswith("Can't parse entities")
    assert await rejected(bot, query_id, [article(text="<b>unclosed")]) != ""
    assert await rejected(bot, query_id, [article(text="x" * 4097)]) == "Message_too_long"
    assert await rejected(bot, query_id, [article(text="<b> </b>")]) == "Message_empty"
    # 4096 visible characters are fine even when the markup makes the source longer
    await bot.answer_inline_query(query_id, [article(text="<i>" + "x" * 4096 + "</i>")])
    assert len((await api.wait_inline_answer(query_id)).message("1").text) == 4096


async def test_reply_markup_validated_like_messages(api, bot):
    query_id = api.user_inline_query(USER, "a")
    long_data = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="x" * 65)]])
    assert await rejected(bot, query_id, [article(reply_markup=long_data)]) == "Button_data_invalid"
    bad_url = InlineKeyboardMarkup([[InlineKeyboardButton("x", url="javascript:alert(1)")]])
    assert "url" in (await rejected(bot, query_id, [article(reply_markup=bad_url)])).lower()
    assert await rejected(bot, query_id, [article(), article("2")], button=InlineQueryResultsButton(
        " ", start_parameter="ok")) == "Button_text_invalid"


async def test_raw_result_shapes(api, bot):
    """Shapes PTB would not build: checked like Telegram (missing fields, unknown types, reply keyboards)."""
    import httpx

    query_id = api.user_inline_query(USER, "a")
    content = {"message_text": "hi"}
    cases = [
        ([{"type": "article", "title": "t", "input_message_content": content}], "Can't find field \"id\""),
        ([{"type": "article", "id": 7, "title": "t", "input_message_content": content}], "type String"),
        ([{"type": "article", "id": "1", "input_message_content": content}], "Can't find field \"title\""),
        ([{"type": "article", "id": "1", "title": "t"}], "Can't find field \"input_message_content\""),
        ([{"type": "article", "id": "1", "title": "t", "input_message_content": {"text": "hi"}}],
         "input message content"),
        ([{"type": "banner", "id": "1"}], "RESULT_TYPE_INVALID"),
        ([{"type": "article", "id": "1", "title": "t", "input_message_content": content,
           "reply_markup": {"keyboard": [[{"text": "k"}]]}}], "inline keyboard expected"),
        ([{"type": "article", "id": "1", "title": "t", "input_message_content": content,
           "reply_markup": {"inline_keyboard": [[{"text": "k", "web_app": {"url": "https://a.b"}}]]}}],
         "BUTTON_TYPE_INVALID"),
    ]
    async with httpx.AsyncClient(base_url=api.url) as http:
        for results, expected in cases:
            body = (await http.post(f"/bot{bot.token}/answerInlineQuery",
                                    json={"inline_query_id": query_id, "results": results})).json()
            assert body["ok"] is False and expected in body["description"], (results, body)
        body = (await http.post(f"/bot{bot.token}/answerInlineQuery", json={"inline_query_id": query_id})).json()
        assert body["description"] == "Bad Request: results is required"


@pytest.mark.parametrize(("parameter", "expected"), [
    ("", "Start_param_empty"), ("x" * 65, "Start_param_invalid"), ("two words", "Start_param_invalid"),
    ("тема", "Start_param_invalid"), ("ok\n", "Start_param_invalid"), ("a.b", "Start_param_invalid"),
])
async def test_button_start_parameter_rules(api, bot, parameter, expected):
    query_id = api.user_inline_query(USER, "a")
    button = InlineQueryResultsButton("Open the bot", start_parameter=parameter)
    assert await rejected(bot, query_id, [article()], button=button) == expected


async def test_button_start_parameter_accepts_64_safe_characters(api, bot):
    query_id = api.user_inline_query(USER, "a")
    parameter = "Az09_-" + "x" * 58
    await bot.answer_inline_query(query_id, [article()], button=InlineQueryResultsButton("Go", start_parameter=parameter))
    assert (await api.wait_inline_answer(query_id)).button["start_parameter"] == parameter


async def test_next_offset_cache_time_and_personal(api, bot):
    query_id = api.user_inline_query(USER, "a", offset="5")
    assert (await bot.get_updates())[-1].inline_query.offset == "5"
    assert await rejected(bot, query_id, [article()], next_offset="x" * 65) == "Next_offset_invalid"
    await bot.answer_inline_query(query_id, [article()], cache_time=0, is_personal=True)
    answer = await api.wait_inline_answer(query_id)
    assert (answer.cache_time, answer.is_personal, answer.next_offset) == (0, True, "")


async def test_query_id_must_be_fresh_unanswered_and_this_bots(api, bot):
    too_old = "Query is too old and response timeout expired or query id is invalid"  # as PTB words it
    assert await rejected(bot, "999", [article()]) == too_old
    query_id = api.user_inline_query(USER, "a")
    await bot.answer_inline_query(query_id, [article()])
    assert await rejected(bot, query_id, [article()]) == too_old  # answered already
    stale = api.user_inline_query(USER, "b")
    api.age_inline_query(stale, 11)
    assert await rejected(bot, stale, [article()]) == too_old
    assert api.inline_answer(stale) is None
    other = Bot(api.make_token(654321), base_url=api.base_url)
    async with other:
        theirs = api.user_inline_query(USER, "c", token=other.token)
        assert await rejected(bot, theirs, [article()]) == too_old
        await other.answer_inline_query(theirs, [article()])
    assert (await api.wait_inline_answer(theirs)).ids == ["1"]
