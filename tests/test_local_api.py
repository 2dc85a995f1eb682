"""Tests of the local Bot API server, over real HTTP on 127.0.0.1 (raw httpx and PTB's Bot)."""

from __future__ import annotations

import asyncio
import datetime as dtm
import time

import httpx
import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Conflict, Forbidden, NetworkError, RetryAfter

from bot.local_api import BotMessage, LocalBotApi
from bot.telegram_html import HtmlEntityError, parse_telegram_html, utf16_len

USER = 1001


@pytest.fixture
async def api():
    async with LocalBotApi(bot_username="asylum_navigator_bot") as server:
        yield server


@pytest.fixture
async def token(api):
    return api.make_token(123456)


@pytest.fixture
async def bot(api, token):
    tg_bot = Bot(token, base_url=api.base_url)
    await tg_bot.initialize()  # getMe: registers the bot so user actions reach it
    yield tg_bot
    await tg_bot.shutdown()


@pytest.fixture
async def http(api):
    async with httpx.AsyncClient(base_url=api.url, timeout=15) as client:
        yield client


def kb(*buttons: InlineKeyboardButton) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([list(buttons)])


def retry_seconds(exc: RetryAfter) -> float:
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else value


# -- transport and routing ---------------------------------------------------------------------------------
async def test_get_me_via_ptb_and_raw(api, bot, http, token):
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.first_name, me.username) == (123456, True, "Asylum Navigator",
                                                              "asylum_navigator_bot")
    raw = (await http.get(f"/bot{token}/GETME")).json()  # method names are case-insensitive
    assert raw["ok"] is True and raw["result"]["can_join_groups"] is True
    assert api.url.startswith("http://127.0.0.1:") and api.base_url == api.url + "/bot"
    assert api.calls[0][0] == "getMe"


async def test_unknown_method_and_bad_token(http, token):
    resp = await http.post(f"/bot{token}/sendTelepathy")
    assert resp.status_code == 404
    assert resp.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    resp = await http.get("/bot123:short/getMe")
    assert resp.status_code == 401 and resp.json()["description"] == "Unauthorized"


async def test_params_from_json_body_query_string_and_form(api, bot, http, token):
    api.user_sends(USER, "hi")
    resp = await http.post(f"/bot{token}/sendMessage", json={
        "chat_id": USER, "text": "<b>json</b>", "parse_mode": "HTML",
        "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]},
    })
    assert resp.json()["result"]["entities"] == [{"type": "bold", "offset": 0, "length": 4}]
    resp = await http.get(f"/bot{token}/sendMessage", params={"chat_id": str(USER), "text": "query"})
    assert resp.json()["result"]["text"] == "query"
    resp = await http.post(f"/bot{token}/sendMessage", data={
        "chat_id": str(USER), "text": "form", "reply_markup": '{"inline_keyboard": [[{"text": "B", "url": "tg://x"}]]}',
    })
    assert resp.json()["result"]["reply_markup"]["inline_keyboard"][0][0]["url"] == "tg://x"
    resp = await http.post(f"/bot{token}/sendMessage", data={"chat_id": str(USER), "text": "x", "reply_markup": "{"})
    assert resp.status_code == 400 and "can't parse reply keyboard markup" in resp.json()["description"]
    resp = await http.post(f"/bot{token}/sendMessage", data={"text": "x"})
    assert resp.json()["description"] == "Bad Request: chat_id is required"
    assert [m.text for m in api.bot_messages(USER)] == ["json", "query", "form"]


# -- updates ----------------------------------------------------------------------------------------------
async def test_long_poll_returns_promptly_and_offset_confirms(api, http, token):
    await http.get(f"/bot{token}/getMe")
    poll = asyncio.create_task(http.post(f"/bot{token}/getUpdates", data={"timeout": "10"}))
    await asyncio.sleep(0.2)
    assert not poll.done()
    started = time.monotonic()
    sent = api.user_sends(USER, "/start payload", first_name="Ivan")
    updates = (await poll).json()["result"]
    assert time.monotonic() - started < 1.0
    assert len(updates) == 1
    message = updates[0]["message"]
    assert message == sent and message["chat"] == {"id": USER, "type": "private", "first_name": "Ivan"}
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert message["from"]["language_code"] == "ru"
    # not confirmed yet -> delivered again; offset confirms
    again = (await http.post(f"/bot{token}/getUpdates")).json()["result"]
    assert again == updates
    confirmed = (await http.post(f"/bot{token}/getUpdates",
                                 data={"offset": str(updates[0]["update_id"] + 1)})).json()["result"]
    assert confirmed == []


async def test_ptb_receives_user_updates(api, bot):
    api.user_sends(USER, "hello")
    api.user_sends_document(USER, file_name="i589.pdf")
    api.user_forwards(USER, 777, "forwarded text")
    api.user_sends_contact(USER, "+15551234567")
    updates = await bot.get_updates(timeout=1)
    assert updates[0].message.text == "hello"
    assert updates[1].message.document.file_name == "i589.pdf"
    assert updates[2].message.forward_origin.sender_user.id == 777
    assert updates[3].message.contact.phone_number == "+15551234567"
    # user and bot messages share one message_id sequence per chat, like a real private chat
    sent = await bot.send_message(USER, "reply")
    assert sent.message_id == 5


async def test_callback_query_flow(api, bot):
    api.user_sends(USER, "/start")
    msg = await bot.send_message(USER, "pick", reply_markup=kb(InlineKeyboardButton("Да ✅", callback_data="yes")))
    stored = api.last_message(USER)
    assert stored.callback_data("Да") == "yes" and stored.button_texts == ["Да ✅"]
    with pytest.raises(AssertionError, match="available"):
        stored.button("Нет")
    with pytest.raises(AssertionError, match="available"):
        api.user_presses(USER, msg.message_id, "nope")
    cq_id = api.user_presses(USER, msg.message_id, "yes")
    update = (await bot.get_updates())[-1]
    assert update.callback_query.data == "yes" and update.callback_query.message.message_id == msg.message_id
    with pytest.raises(BadRequest):
        await bot.answer_callback_query(cq_id, text="x" * 201)
    assert await bot.answer_callback_query(cq_id, text="Готово")
    assert (await api.wait_callback_answer(cq_id))["text"] == "Готово"
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(cq_id)  # already answered
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query("12345")
    old = api.user_presses(USER, msg.message_id, "yes")
    api.age_callback(old, 15 * 60 + 1)
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(old)


# -- strictness -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("bad_html", [
    "<script>alert(1)</script>", "<p>para</p>", "<b>unclosed", "a < b", "fish & chips", "&nbsp;",
    "<b><i>x</b></i>", "</b>", "<a>no href</a>", '<b class="x">y</b>', "<br/>", '<span class="x">s</span>',
    "<!-- c -->x", "x <b",
])
async def test_bad_html_rejected(api, bot, bad_html):
    api.user_sends(USER, "hi")
    with pytest.raises(BadRequest, match=r"^Can't parse entities: "):
        await bot.send_message(USER, bad_html, parse_mode="HTML")
    assert api.bot_messages(USER) == []


async def test_good_html_entities_and_links(api, bot):
    api.user_sends(USER, "hi")
    html = ('😀 <b>Bold <i>both</i></b> &lt;tag&gt; &#x41;&#66; &quot;q&quot; <a href="https://uscis.gov/i-589">form</a>'
            '<pre><code class="language-python">x = 1</code></pre><tg-spoiler>s</tg-spoiler>'
            '<blockquote expandable>q</blockquote>')
    sent = await bot.send_message(USER, html, parse_mode="HTML")
    assert sent.text == '😀 Bold both <tag> AB "q" formx = 1sq'
    types = [(e.type, e.offset, e.length) for e in sent.entities]
    assert types[:2] == [("bold", 3, 9), ("italic", 8, 4)]  # the emoji counts as 2 UTF-16 units
    assert types[2:] == [("text_link", 26, 4), ("pre", 30, 5), ("spoiler", 35, 1), ("expandable_blockquote", 36, 1)]
    stored = api.last_message(USER)
    assert stored.html == html and stored.parse_mode == "HTML" and stored.links == ["https://uscis.gov/i-589"]


async def test_length_limits_in_utf16_after_parsing(api, bot):
    api.user_sends(USER, "hi")
    await bot.send_message(USER, "<b>" + "a" * 4096 + "</b>", parse_mode="HTML")  # tags do not count
    await bot.send_message(USER, "&lt;" * 4096, parse_mode="HTML")
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(USER, "a" * 4097)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(USER, "😀" * 2049)  # 2049 chars but 4098 UTF-16 units
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(USER, "<b> </b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match="Unsupported parse_mode"):
        await bot.send_message(USER, "x", parse_mode="BBCode")
    await bot.send_message(USER, "*md*", parse_mode="MarkdownV2")


async def test_inline_keyboard_validation(api, bot, http, token):
    api.user_sends(USER, "hi")
    await bot.send_message(USER, "ok", reply_markup=kb(InlineKeyboardButton("a", callback_data="x" * 64)))
    await bot.send_message(USER, "ok", reply_markup=kb(InlineKeyboardButton("a", callback_data="я" * 32)))
    for data in ("x" * 65, "я" * 33):  # 33 Cyrillic letters are only 33 chars but 66 bytes
        with pytest.raises(BadRequest, match="Button_data_invalid"):
            await bot.send_message(USER, "no", reply_markup=kb(InlineKeyboardButton("a", callback_data=data)))
    with pytest.raises(BadRequest, match="Inline keyboard button url 'ftp://x' is invalid"):
        await bot.send_message(USER, "no", reply_markup=kb(InlineKeyboardButton("a", url="ftp://x")))
    many = InlineKeyboardMarkup([[InlineKeyboardButton(str(i), callback_data=str(i))] for i in range(101)])
    with pytest.raises(BadRequest):
        await bot.send_message(USER, "no", reply_markup=many)
    two_actions = {"inline_keyboard": [[{"text": "a", "callback_data": "x", "url": "https://a.b"}]]}
    no_action = {"inline_keyboard": [[{"text": "a"}]]}
    empty_text = {"inline_keyboard": [[{"text": "", "callback_data": "x"}]]}
    for markup in (two_actions, no_action, empty_text):
        resp = await http.post(f"/bot{token}/sendMessage", json={"chat_id": USER, "text": "no", "reply_markup": markup})
        assert resp.status_code == 400 and "inline keyboard button" in resp.json()["description"]
    resp = await http.post(f"/bot{token}/sendMessage", json={"chat_id": USER, "text": "rk", "reply_markup": {
        "keyboard": [["Share", {"text": "Phone", "request_contact": True}]], "resize_keyboard": True}})
    assert resp.json()["ok"] is True and "reply_markup" not in resp.json()["result"]
    assert api.last_message(USER).button_texts == ["Share", "Phone"]
    assert api.sent_count() == 3


async def test_chat_not_found_edit_delete_rules(api, bot):
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(4242, "hello stranger")
    api.user_sends(USER, "hi")
    markup = kb(InlineKeyboardButton("a", callback_data="a"))
    sent = await bot.send_message(USER, "<b>v1</b>", parse_mode="HTML", reply_markup=markup)
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("<b>v1</b>", USER, sent.message_id, parse_mode="HTML", reply_markup=markup)
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(USER, sent.message_id, reply_markup=markup)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("v2", USER, 999)
    edited = await bot.edit_message_text("<b>v2</b>", USER, sent.message_id, parse_mode="HTML")
    assert edited.text == "v2" and edited.reply_markup is None  # no markup given -> keyboard removed
    stored = api.last_message(USER)
    assert (stored.text, stored.edits, stored.reply_markup) == ("v2", 1, None)
    assert await bot.delete_message(USER, sent.message_id)
    assert api.bot_messages(USER)[0].deleted
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(USER, sent.message_id)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("v3", USER, sent.message_id)


async def test_commands_and_descriptions(api, bot):
    from telegram import BotCommand, BotCommandScopeAllPrivateChats

    await bot.set_my_commands([BotCommand("start", "Начать"), BotCommand("help", "Помощь")], language_code="ru")
    await bot.set_my_commands([BotCommand("start", "Start")], scope=BotCommandScopeAllPrivateChats())
    assert [c["command"] for c in api.commands("ru")] == ["start", "help"]
    assert api.commands(scope="all_private_chats") == [{"command": "start", "description": "Start"}]
    assert api.commands() == []
    assert [c.command for c in await bot.get_my_commands(language_code="ru")] == ["start", "help"]
    for bad in (BotCommand("Start", "x"), BotCommand("a" * 33, "x"), BotCommand("ok", "")):
        with pytest.raises(BadRequest):
            await bot.set_my_commands([bad])
    await bot.delete_my_commands(language_code="ru")
    assert api.commands("ru") == []
    await bot.set_my_description("Помощник", language_code="ru")
    assert api.description("ru") == "Помощник" and api.description() is None
    with pytest.raises(BadRequest):
        await bot.set_my_description("x" * 513)
    with pytest.raises(BadRequest):
        await bot.set_my_short_description("x" * 121)
    assert (await bot.get_my_description(language_code="ru")).description == "Помощник"


# -- fault injection --------------------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # RetryAfter.retry_after type
async def test_fault_injection(api, bot):
    api.user_sends(USER, "hi")
    api.user_sends(2002, "hi")
    api.fail_next("sendMessage", 429, retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(USER, "x")
    assert retry_seconds(caught.value) == 7
    api.fail_next("sendMessage", 403)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(USER, "x")
    api.fail_next("sendMessage", 500, count=2, chat_id=2002)
    await bot.send_message(USER, "other chat is unaffected")
    for _ in range(2):
        with pytest.raises(NetworkError):
            await bot.send_message(2002, "x")
    await bot.send_message(2002, "recovered")
    api.block_user(USER)
    with pytest.raises(Forbidden):
        await bot.send_message(USER, "x")
    api.unblock_user(USER)
    api.set_delay("sendMessage", 0.3)
    started = time.monotonic()
    await bot.send_message(USER, "slow")
    assert time.monotonic() - started >= 0.3
    api.clear_faults()
    assert api.sent_count() == 3
    assert [m.text for m in await api.next_messages(USER, 2)] == ["other chat is unaffected", "slow"]


async def test_next_messages_and_wait_for(api, bot):
    api.user_sends(USER, "hi")

    async def later():
        await asyncio.sleep(0.1)
        await bot.send_message(USER, "one")
        await bot.send_message(USER, "two")

    task = asyncio.create_task(later())
    first, second = await api.next_messages(USER, 2, timeout=5)
    await task
    assert isinstance(first, BotMessage) and (first.text, second.text) == ("one", "two")
    with pytest.raises(AssertionError, match="expected 1 new bot message"):
        await api.next_messages(USER, timeout=0.2)
    with pytest.raises(asyncio.TimeoutError):
        await api.wait_for(lambda: api.sent_count() > 5, timeout=0.1)
    assert await api.wait_for(lambda: api.sent_count() == 2)


async def test_several_bots_have_separate_state(api, bot):
    other = Bot(api.make_token(999), base_url=api.base_url)
    await other.initialize()
    try:
        api.user_sends(USER, "hi")  # goes to both bots
        await other.set_my_description("other bot")
        assert len(await bot.get_updates()) == 1 and len(await other.get_updates()) == 1
        assert (await bot.get_my_description()).description == ""
        api.user_sends(2002, "only for the other bot", token=api.make_token(999))
        with pytest.raises(BadRequest, match="Chat not found"):
            await bot.send_message(2002, "x")
        await other.send_message(2002, "y")
    finally:
        await other.shutdown()


# -- webhook ----------------------------------------------------------------------------------------------
async def test_webhook_delivery_with_secret_token(api, bot):
    received: list[tuple[str | None, dict]] = []
    fail_first = [True]

    async def hook(request: web.Request) -> web.Response:
        if fail_first.pop() if fail_first else False:
            return web.Response(status=500)  # the server must retry
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json()))
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        assert await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cr3t-token")
        with pytest.raises(Conflict):
            await bot.get_updates()
        api.user_sends(USER, "via webhook")
        await api.wait_for(lambda: received, timeout=5)
        secret, update = received[0]
        assert secret == "s3cr3t-token" and update["message"]["text"] == "via webhook"
        info = await bot.get_webhook_info()
        assert info.url.endswith("/hook") and info.pending_update_count == 0
        assert await bot.delete_webhook()
        api.user_sends(USER, "polling again")
        assert (await bot.get_updates())[0].message.text == "polling again"
    finally:
        await runner.cleanup()


# -- html module ------------------------------------------------------------------------------------------
def test_html_module_directly():
    assert utf16_len("a😀") == 3
    assert parse_telegram_html("x &amp; <u>y</u>") == ("x & y", [{"type": "underline", "offset": 4, "length": 1}])
    with pytest.raises(HtmlEntityError) as caught:
        parse_telegram_html("ü <x>")
    assert caught.value.reason == 'Unsupported start tag "x" at byte offset 3'


# -- a real PTB Application polling the server --------------------------------------------------------------
async def test_ptb_application_polling_end_to_end(api, token):
    from telegram.ext import ApplicationBuilder, CallbackQueryHandler, CommandHandler

    async def start(update, context):
        await update.message.reply_html("<b>Привет!</b>", reply_markup=kb(InlineKeyboardButton("Далее", callback_data="next")))

    async def pressed(update, context):
        await update.callback_query.answer("ok")
        await update.callback_query.edit_message_text("Шаг 2")

    app = ApplicationBuilder().token(token).base_url(api.base_url).build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(pressed))
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=5)
        api.user_sends(USER, "/start")
        (greeting,) = await api.next_messages(USER)
        assert greeting.text == "Привет!" and greeting.html == "<b>Привет!</b>"
        cq_id = api.user_presses(USER, greeting.message_id, greeting.callback_data("Далее"))
        assert (await api.wait_callback_answer(cq_id))["text"] == "ok"
        await api.wait_for(lambda: greeting.edits == 1)
        assert greeting.text == "Шаг 2" and greeting.buttons == []
        await app.updater.stop()
        await app.stop()
    started = time.monotonic()
    await api.stop()  # must not wait for the abandoned long poll
    assert time.monotonic() - started < 2
