"""A strict, in-process Telegram Bot API server for end-to-end tests, the `try` mode and benchmarks.

The bot talks to it over real HTTP exactly as it talks to api.telegram.org (PTB ``base_url=api.base_url``),
while the test drives the "user" side from the same event loop and inspects what the bot did. Validation
follows the real API closely, so markup or keyboards Telegram would reject fail here too.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import json
import logging
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import aiohttp
from aiohttp import web

from bot.telegram_html import HtmlEntityError, parse_telegram_html, utf16_len

__all__ = ["BotMessage", "LocalBotApi", "WaitTimeout"]

log = logging.getLogger(__name__)

TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]{20,}$")
COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
BOT_FIRST_NAME = "Asylum Navigator"
BLOCKED = "Forbidden: bot was blocked by the user"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
CALLBACK_TTL = 15 * 60
# PTB sends these as JSON-encoded strings inside form data.
JSON_KEYS = {
    "reply_markup", "entities", "caption_entities", "commands", "scope", "link_preview_options",
    "allowed_updates", "reply_parameters", "results", "button", "menu_button", "media", "options",
    "explanation_entities", "input_message_content", "rights",
}
BUTTON_ACTIONS = (
    "callback_data", "url", "switch_inline_query", "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat", "copy_text", "login_url", "web_app", "callback_game", "pay",
)
CHAT_ACTIONS = {
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
}
WEBHOOK_RETRY_DELAYS = (0.1, 0.3, 1.0)  # a few quick retries: tests should not hang on a dead webhook


class ApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.retry_after = code, description, retry_after


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


class WaitTimeout(TimeoutError, AssertionError):
    """A driver wait ran out of time; catchable as TimeoutError or AssertionError, as a test prefers."""


@dataclass
class BotMessage:
    """One message the bot sent; edits update it in place so a test always sees the current state."""

    message_id: int
    chat_id: int
    text: str
    html: str
    parse_mode: str | None
    reply_markup: dict | None
    edits: int = 0
    deleted: bool = False
    date: int = field(default_factory=lambda: int(time.time()))
    entities: list[dict] = field(default_factory=list)
    bot_id: int = 0

    @property
    def buttons(self) -> list[list[dict]]:
        markup = self.reply_markup or {}
        rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
        return [[b if isinstance(b, dict) else {"text": b} for b in row] for row in rows]

    @property
    def button_texts(self) -> list[str]:
        return [b.get("text", "") for row in self.buttons for b in row]

    def button(self, text_substring: str) -> dict:
        for row in self.buttons:
            for b in row:
                if text_substring in b.get("text", ""):
                    return b
        raise AssertionError(
            f"no button containing {text_substring!r} in message {self.message_id}; "
            f"available: {self.button_texts!r}; text: {self.text[:200]!r}"
        )

    def callback_data(self, text_substring: str) -> str:
        b = self.button(text_substring)
        if "callback_data" not in b:
            raise AssertionError(f"button {b.get('text')!r} has no callback_data: {b!r}")
        return b["callback_data"]

    @property
    def links(self) -> list[str]:
        return [e["url"] for e in self.entities if e.get("type") == "text_link"]


@dataclass
class _Bot:
    bot_id: int
    token: str
    user: dict
    active: bool = False  # called getMe/getUpdates/setWebhook: receives user updates
    updates: list[dict] = field(default_factory=list)
    update_counter: itertools.count = field(default_factory=lambda: itertools.count(1))
    update_event: asyncio.Event = field(default_factory=asyncio.Event)
    poll_generation: int = 0
    allowed_updates: list[str] = field(default_factory=list)
    webhook: dict | None = None
    webhook_task: asyncio.Task | None = None
    webhook_error: tuple[int, str] | None = None
    known_chats: set[int] = field(default_factory=set)
    message_counters: dict[int, int] = field(default_factory=dict)
    messages: dict[tuple[int, int], BotMessage] = field(default_factory=dict)
    chat_history: dict[tuple[int, int], dict] = field(default_factory=dict)  # every message, for replies
    commands: dict[tuple[str, str], list[dict]] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)
    short_descriptions: dict[str, str] = field(default_factory=dict)
    inline_answers: list[dict] = field(default_factory=list)

    def next_message_id(self, chat_id: int) -> int:
        self.message_counters[chat_id] = self.message_counters.get(chat_id, 0) + 1
        return self.message_counters[chat_id]


@dataclass
class _Fault:
    method: str
    status: int
    description: str
    retry_after: int | None
    count: int
    chat_id: int | None


_Handler = Callable[["LocalBotApi", _Bot, dict], Awaitable[Any]]
_METHODS: dict[str, tuple[str, _Handler]] = {}


def _method(name: str) -> Callable[[_Handler], _Handler]:
    def register(fn: _Handler) -> _Handler:
        _METHODS[name.lower()] = (name, fn)
        return fn
    return register


# -- parameter coercion: form data carries everything as strings, JSON bodies carry real types -------------
def _required(params: dict, key: str) -> Any:
    value = params.get(key)
    if value is None or value == "":
        raise _bad(f"{key} is required")
    return value


def _int(value: Any, key: str) -> int:
    if isinstance(value, bool):
        raise _bad(f"{key} must be an integer")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _bad(f"{key} must be an integer") from None


def _opt_int(params: dict, key: str, default: int | None = None) -> int | None:
    value = params.get(key)
    return default if value is None or value == "" else _int(value, key)


def _bool(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() in ("true", "1")) or value == 1


def _markup_key(markup: dict | None) -> str:
    if not markup or markup.get("inline_keyboard") == []:
        return "null"
    return json.dumps(markup, sort_keys=True)


def _http_reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class LocalBotApi:
    """The server plus the driver API used by tests (see /tmp/spec/local_api.md for the contract)."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, bot_username: str = "asylum_navigator_bot"
    ) -> None:
        self.host, self.port, self.bot_username = host, port, bot_username
        self.calls: list[tuple[str, dict]] = []
        self._bots: dict[int, _Bot] = {}
        self._users: dict[int, dict] = {}
        self._chat_messages: dict[int, list[BotMessage]] = {}
        self._cursors: dict[int, int] = {}
        self._callbacks: dict[str, dict] = {}
        self._cq_counter = itertools.count(1)
        self._success: Counter[str] = Counter()
        self._faults: list[_Fault] = []
        self._delays: dict[str, float] = {}
        self._blocked: set[int] = set()
        self._changed = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    # -- lifecycle -----------------------------------------------------------------------------------------
    async def start(self) -> LocalBotApi:
        if self.host not in ("127.0.0.1", "localhost", "::1"):
            log.warning("local Bot API listening on non-loopback host %s", self.host)
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self._closing = False
        self._changed = asyncio.Event()
        for bot in self._bots.values():  # events bind to the first loop that waits on them
            bot.update_event = asyncio.Event()
        self._session = aiohttp.ClientSession()
        return self

    async def stop(self) -> None:
        self._closing = True
        for bot in self._bots.values():
            bot.update_event.set()  # release long polls so shutdown is immediate
            if bot.webhook_task:
                bot.webhook_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await bot.webhook_task
                bot.webhook_task = None
        if self._session:
            await self._session.close()
            self._session = None
        if self._runner:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> LocalBotApi:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        return self.url + "/bot"

    @staticmethod
    def make_token(bot_id: int = 123456) -> str:
        return f"{bot_id}:AA" + hashlib.sha256(str(bot_id).encode()).hexdigest()[:33]

    # -- HTTP layer ----------------------------------------------------------------------------------------
    @staticmethod
    def _reply(result: Any = None, error: ApiError | None = None) -> web.Response:
        if error is None:
            return web.json_response({"ok": True, "result": result})
        body: dict[str, Any] = {"ok": False, "error_code": error.code, "description": error.description}
        if error.retry_after is not None:
            body["parameters"] = {"retry_after": error.retry_after}
        return web.json_response(body, status=error.code)

    async def _not_found(self, request: web.Request) -> web.Response:
        return self._reply(error=ApiError(404, "Not Found"))

    async def _handle(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        if not TOKEN_RE.match(token):
            return self._reply(error=ApiError(401, "Unauthorized"))
        entry = _METHODS.get(request.match_info["method"].lower())
        if entry is None:
            return self._reply(error=ApiError(404, "Not Found"))
        name, handler = entry
        try:
            params = await self._read_params(request)
            bot = self._bot(token)
            self.calls.append((name, params))
            if self._delays.get(name.lower()):
                await asyncio.sleep(self._delays[name.lower()])
            self._apply_fault(name, params)
            result = await handler(self, bot, params)
            self._success[name.lower()] += 1
            return self._reply(result)
        except ApiError as exc:
            return self._reply(error=exc)
        except ConnectionResetError:  # the client went away mid-request (a bot shutting down): nothing to answer
            return web.Response(status=499)
        finally:
            self._notify()

    async def _read_params(self, request: web.Request) -> dict:
        params: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    raise _bad("can't parse JSON body") from None
                if not isinstance(body, dict):
                    raise _bad("JSON body must be an object")
                params.update(body)
            elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                for key, value in (await request.post()).items():
                    params[key] = value.filename if isinstance(value, web.FileField) else value
        for key in JSON_KEYS & params.keys():
            if isinstance(params[key], str):
                try:
                    params[key] = json.loads(params[key])
                except ValueError:
                    what = "reply keyboard markup" if key == "reply_markup" else key
                    raise _bad(f"can't parse {what} JSON object") from None
        return params

    def _apply_fault(self, name: str, params: dict) -> None:
        chat = params.get("chat_id")
        for fault in self._faults:
            if fault.method != name.lower() or fault.count <= 0:
                continue
            if fault.chat_id is not None and str(chat) != str(fault.chat_id):
                continue
            fault.count -= 1
            self._faults = [f for f in self._faults if f.count > 0]
            raise ApiError(fault.status, fault.description, fault.retry_after)

    def _notify(self) -> None:
        # Wake every wait_for(); a fresh Event per change avoids lost wake-ups between checks.
        self._changed.set()
        self._changed = asyncio.Event()

    # -- state helpers -------------------------------------------------------------------------------------
    def _bot(self, token: str) -> _Bot:
        bot_id = int(token.split(":", 1)[0])
        bot = self._bots.get(bot_id)
        if bot is None or bot.token != token:
            user = {
                "id": bot_id, "is_bot": True, "first_name": BOT_FIRST_NAME, "username": self.bot_username,
            }
            bot = self._bots[bot_id] = _Bot(bot_id=bot_id, token=token, user=user)
        return bot

    def _chat_id(self, bot: _Bot, params: dict, *, check_blocked: bool = True) -> int:
        """Resolve chat_id for a send/edit: blocked users and chats that never wrote are rejected."""
        raw = _required(params, "chat_id")
        try:
            chat_id = int(raw)
        except (TypeError, ValueError):
            raise _bad("chat not found") from None
        if check_blocked and chat_id in self._blocked:
            raise ApiError(403, BLOCKED)
        if chat_id not in bot.known_chats:
            raise _bad("chat not found")
        return chat_id

    def _chat_dict(self, chat_id: int) -> dict:
        user = self._users.get(chat_id, {"first_name": "Test"})
        chat = {"id": chat_id, "type": "private", "first_name": user.get("first_name", "Test")}
        for key in ("last_name", "username"):
            if user.get(key):
                chat[key] = user[key]
        return chat

    def _message_dict(self, bot: _Bot, msg: BotMessage) -> dict:
        result: dict[str, Any] = {
            "message_id": msg.message_id, "from": bot.user, "chat": self._chat_dict(msg.chat_id),
            "date": msg.date, "text": msg.text,
        }
        if msg.entities:
            result["entities"] = msg.entities
        if msg.reply_markup and msg.reply_markup.get("inline_keyboard"):
            result["reply_markup"] = {"inline_keyboard": msg.reply_markup["inline_keyboard"]}
        if msg.edits:
            result["edit_date"] = int(time.time())
        return result

    def _find_message(self, bot: _Bot, params: dict, missing: str) -> BotMessage:
        # Telegram lets a bot delete its messages in a chat that blocked it, but not edit them.
        chat_id = self._chat_id(bot, params, check_blocked=not missing.endswith("delete not found"))
        message_id = _int(_required(params, "message_id"), "message_id")
        msg = bot.messages.get((chat_id, message_id))
        if msg is None or msg.deleted:
            raise _bad(missing)
        return msg

    @staticmethod
    def _parse_text(params: dict) -> tuple[str, list[dict], str | None]:
        if params.get("text") is None:
            raise _bad("text is required")
        raw = str(params["text"])
        mode = params.get("parse_mode") or None
        entities = params.get("entities") or []
        if mode is not None:
            if mode.lower() == "html":
                try:
                    text, entities = parse_telegram_html(raw)
                except HtmlEntityError as exc:
                    raise _bad(f"can't parse entities: {exc.reason}") from None
            elif mode.lower() in ("markdownv2", "markdown"):
                text = raw  # plain length check only; MarkdownV2 is not parsed here
            else:
                raise _bad("unsupported parse_mode")
        else:
            text = raw
        if not text.strip():
            raise _bad("message text is empty")
        if utf16_len(text) > 4096:
            raise _bad("message is too long")
        return text, entities, mode

    @staticmethod
    def _check_markup(markup: Any, *, inline_only: bool = False) -> dict | None:
        if markup is None or markup == "":
            return None
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _bad("can't parse inline keyboard button: field \"inline_keyboard\" must be an Array")
            if sum(len(r) for r in rows) > 100:
                raise _bad("reply markup is too long")
            for button in itertools.chain.from_iterable(rows):
                if not isinstance(button, dict) or not str(button.get("text") or "").strip():
                    raise _bad("can't parse inline keyboard button: Text must be non-empty")
                actions = [key for key in BUTTON_ACTIONS if key in button]
                if len(actions) != 1:
                    raise _bad("can't parse inline keyboard button: exactly one optional field is required")
                if "callback_data" in button:
                    data = button["callback_data"]
                    if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
                        raise _bad("BUTTON_DATA_INVALID")
                if "url" in button:
                    url = str(button["url"])
                    if not re.match(r"^(https?://[^\s/?#]+|tg://\S+)\S*$", url, re.IGNORECASE):
                        raise _bad(f"inline keyboard button URL '{url}' is invalid")
            return markup
        if inline_only:
            raise _bad("inline keyboard expected")
        if "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _bad("can't parse reply keyboard markup JSON object")
            for button in itertools.chain.from_iterable(rows):
                text = button.get("text") if isinstance(button, dict) else button
                if not isinstance(text, str) or not text.strip():
                    raise _bad("keyboard button text must be non-empty")
            return markup
        if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
            return markup
        raise _bad("can't parse reply keyboard markup JSON object")

    def _add_update(self, bot: _Bot, kind: str, payload: dict) -> dict:
        update = {"update_id": next(bot.update_counter), kind: payload}
        if not bot.allowed_updates or kind in bot.allowed_updates:
            bot.updates.append(update)
            bot.update_event.set()
        return update

    # -- webhook delivery ----------------------------------------------------------------------------------
    async def _webhook_worker(self, bot: _Bot) -> None:
        while bot.webhook is not None and not self._closing:
            if not bot.updates:
                bot.update_event.clear()
                await bot.update_event.wait()
                continue
            update = bot.updates[0]
            await self._deliver(bot, update)
            if bot.updates and bot.updates[0] is update:
                bot.updates.pop(0)
            self._notify()

    async def _deliver(self, bot: _Bot, update: dict) -> bool:
        assert bot.webhook is not None and self._session is not None
        headers = {}
        if bot.webhook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = bot.webhook["secret_token"]
        for delay in (*WEBHOOK_RETRY_DELAYS, None):
            try:
                async with self._session.post(
                    bot.webhook["url"], json=update, headers=headers, timeout=aiohttp.ClientTimeout(total=10)
                ) as resp:
                    if 200 <= resp.status < 300:
                        return True
                    error = f"Wrong response from the webhook: {resp.status} {resp.reason}"
            except (aiohttp.ClientError, TimeoutError) as exc:
                error = f"Connection failed: {exc!r}"
            bot.webhook_error = (int(time.time()), error)
            if delay is None:
                break
            await asyncio.sleep(delay)
        log.warning("webhook delivery of update %s failed, dropping it: %s", update["update_id"], error)
        return False

    async def _stop_webhook(self, bot: _Bot) -> None:
        bot.webhook = None
        if bot.webhook_task:
            bot.webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await bot.webhook_task
            bot.webhook_task = None

    # -- Bot API methods -----------------------------------------------------------------------------------
    @_method("getMe")
    async def _get_me(self, bot: _Bot, params: dict) -> dict:
        bot.active = True
        return bot.user | {
            "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False,
            "can_connect_to_business": False, "has_main_web_app": False,
        }

    @_method("getUpdates")
    async def _get_updates(self, bot: _Bot, params: dict) -> list[dict]:
        bot.active = True
        if bot.webhook is not None:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                "use deleteWebhook to delete the webhook first")
        offset = _opt_int(params, "offset")
        limit = min(max(_opt_int(params, "limit", 100) or 100, 1), 100)
        timeout = min(max(_opt_int(params, "timeout", 0) or 0, 0), 50)
        if isinstance(params.get("allowed_updates"), list):
            bot.allowed_updates = params["allowed_updates"]
        if offset is not None:
            if offset < 0:
                bot.updates = bot.updates[offset:]
            else:
                bot.updates = [u for u in bot.updates if u["update_id"] >= offset]
        bot.poll_generation += 1
        generation = bot.poll_generation
        bot.update_event.set()  # an older long poll still waiting must give up (Telegram answers it 409)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not bot.updates and not self._closing:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            bot.update_event.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(bot.update_event.wait(), remaining)
            if bot.poll_generation != generation:
                raise ApiError(409, "Conflict: terminated by other getUpdates request; "
                                    "make sure that only one bot instance is running")
        return bot.updates[:limit]

    @_method("setWebhook")
    async def _set_webhook(self, bot: _Bot, params: dict) -> bool:
        bot.active = True
        url = str(params.get("url") or "")
        if not url:
            return await self._delete_webhook(bot, params)
        if not re.match(r"^https?://[^\s/]+", url):
            raise _bad("bad webhook: invalid webhook URL specified")
        secret = params.get("secret_token")
        if secret and not SECRET_RE.match(str(secret)):
            raise _bad("secret token contains unallowed characters")
        if isinstance(params.get("allowed_updates"), list):
            bot.allowed_updates = params["allowed_updates"]
        if _bool(params.get("drop_pending_updates")):
            bot.updates.clear()
        await self._stop_webhook(bot)
        bot.webhook = {"url": url, "secret_token": secret or None}
        bot.webhook_error = None
        bot.webhook_task = asyncio.create_task(self._webhook_worker(bot))
        return True

    @_method("deleteWebhook")
    async def _delete_webhook(self, bot: _Bot, params: dict) -> bool:
        await self._stop_webhook(bot)
        if _bool(params.get("drop_pending_updates")):
            bot.updates.clear()
        return True

    @_method("getWebhookInfo")
    async def _get_webhook_info(self, bot: _Bot, params: dict) -> dict:
        info: dict[str, Any] = {
            "url": bot.webhook["url"] if bot.webhook else "", "has_custom_certificate": False,
            "pending_update_count": len(bot.updates),
        }
        if bot.webhook and bot.allowed_updates:
            info["allowed_updates"] = bot.allowed_updates
        if bot.webhook and bot.webhook_error:
            info["last_error_date"], info["last_error_message"] = bot.webhook_error
        return info

    @_method("sendMessage")
    async def _send_message(self, bot: _Bot, params: dict) -> dict:
        chat_id = self._chat_id(bot, params)
        text, entities, mode = self._parse_text(params)
        markup = self._check_markup(params.get("reply_markup"))
        reply_to = None
        reply = params.get("reply_parameters") or (
            {"message_id": params["reply_to_message_id"]} if params.get("reply_to_message_id") else None
        )
        if isinstance(reply, dict) and reply.get("message_id") is not None:
            reply_to = bot.chat_history.get((chat_id, _int(reply["message_id"], "message_id")))
            if reply_to is None and not _bool(reply.get("allow_sending_without_reply")):
                raise _bad("message to be replied not found")
        msg = BotMessage(
            message_id=bot.next_message_id(chat_id), chat_id=chat_id, text=text, html=str(params["text"]),
            parse_mode=mode, reply_markup=markup, entities=entities, bot_id=bot.bot_id,
        )
        bot.messages[(chat_id, msg.message_id)] = msg
        self._chat_messages.setdefault(chat_id, []).append(msg)
        result = self._message_dict(bot, msg)
        bot.chat_history[(chat_id, msg.message_id)] = result
        if reply_to:
            result = result | {"reply_to_message": reply_to}
        return result

    @_method("editMessageText")
    async def _edit_message_text(self, bot: _Bot, params: dict) -> dict | bool:
        if params.get("inline_message_id"):
            return True
        msg = self._find_message(bot, params, "message to edit not found")
        text, entities, mode = self._parse_text(params)
        markup = self._check_markup(params.get("reply_markup"), inline_only=True)
        if (text, entities, _markup_key(markup)) == (msg.text, msg.entities, _markup_key(msg.reply_markup)):
            raise ApiError(400, NOT_MODIFIED)
        msg.text, msg.entities, msg.html, msg.parse_mode = text, entities, str(params["text"]), mode
        msg.reply_markup = markup
        msg.edits += 1
        return self._message_dict(bot, msg)

    @_method("editMessageReplyMarkup")
    async def _edit_message_reply_markup(self, bot: _Bot, params: dict) -> dict | bool:
        if params.get("inline_message_id"):
            return True
        msg = self._find_message(bot, params, "message to edit not found")
        markup = self._check_markup(params.get("reply_markup"), inline_only=True)
        if _markup_key(markup) == _markup_key(msg.reply_markup):
            raise ApiError(400, NOT_MODIFIED)
        msg.reply_markup = markup
        msg.edits += 1
        return self._message_dict(bot, msg)

    @_method("deleteMessage")
    async def _delete_message(self, bot: _Bot, params: dict) -> bool:
        msg = self._find_message(bot, params, "message to delete not found")
        msg.deleted = True
        return True

    @_method("answerCallbackQuery")
    async def _answer_callback_query(self, bot: _Bot, params: dict) -> bool:
        cq = self._callbacks.get(str(_required(params, "callback_query_id")))
        if (
            cq is None or cq["bot_id"] != bot.bot_id or cq["answer"] is not None
            or time.monotonic() - cq["created"] > CALLBACK_TTL
        ):
            raise _bad(QUERY_TOO_OLD)
        text = params.get("text")
        if text is not None and len(str(text)) > 200:
            raise _bad("MESSAGE_TOO_LONG")
        cq["answer"] = {
            "text": text, "show_alert": _bool(params.get("show_alert")), "url": params.get("url"),
            "cache_time": _opt_int(params, "cache_time", 0),
        }
        return True

    @_method("sendChatAction")
    async def _send_chat_action(self, bot: _Bot, params: dict) -> bool:
        self._chat_id(bot, params)
        if _required(params, "action") not in CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        return True

    @staticmethod
    def _command_key(params: dict) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        if not isinstance(scope, dict) or not scope.get("type"):
            raise _bad("can't parse BotCommandScope JSON object")
        kind = str(scope["type"])
        if scope.get("chat_id") is not None:  # per-chat menus are kept apart: scope "chat:<id>"
            kind = f"{kind}:{scope['chat_id']}"
        return kind, str(params.get("language_code") or "")

    @_method("setMyCommands")
    async def _set_my_commands(self, bot: _Bot, params: dict) -> bool:
        commands = _required(params, "commands") if params.get("commands") != [] else []
        if not isinstance(commands, list):
            raise _bad("can't parse commands JSON object")
        if len(commands) > 100:
            raise _bad("too many commands specified")
        for cmd in commands:
            if not isinstance(cmd, dict) or not COMMAND_RE.match(str(cmd.get("command", ""))):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(cmd.get("description") or "")) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._command_key(params)
        clean = [{"command": c["command"], "description": c["description"]} for c in commands]
        if clean:
            bot.commands[key] = clean
        else:
            bot.commands.pop(key, None)
        return True

    @_method("getMyCommands")
    async def _get_my_commands(self, bot: _Bot, params: dict) -> list[dict]:
        return bot.commands.get(self._command_key(params), [])

    @_method("deleteMyCommands")
    async def _delete_my_commands(self, bot: _Bot, params: dict) -> bool:
        bot.commands.pop(self._command_key(params), None)
        return True

    @staticmethod
    def _store_text(store: dict[str, str], params: dict, key: str, limit: int) -> bool:
        value = str(params.get(key) or "")
        if len(value) > limit:
            raise _bad(f"{key.replace('_', ' ')} is too long")
        lang = str(params.get("language_code") or "")
        if value:
            store[lang] = value
        else:
            store.pop(lang, None)
        return True

    @_method("setMyDescription")
    async def _set_my_description(self, bot: _Bot, params: dict) -> bool:
        return self._store_text(bot.descriptions, params, "description", 512)

    @_method("setMyShortDescription")
    async def _set_my_short_description(self, bot: _Bot, params: dict) -> bool:
        return self._store_text(bot.short_descriptions, params, "short_description", 120)

    @_method("getMyDescription")
    async def _get_my_description(self, bot: _Bot, params: dict) -> dict:
        return {"description": bot.descriptions.get(str(params.get("language_code") or ""), "")}

    @_method("getMyShortDescription")
    async def _get_my_short_description(self, bot: _Bot, params: dict) -> dict:
        lang = str(params.get("language_code") or "")
        return {"short_description": bot.short_descriptions.get(lang, "")}

    @_method("answerInlineQuery")
    async def _answer_inline_query(self, bot: _Bot, params: dict) -> bool:
        _required(params, "inline_query_id")
        if not isinstance(_required(params, "results"), list):
            raise _bad("can't parse results JSON object")
        bot.inline_answers.append(params)
        return True

    @_method("setChatMenuButton")
    async def _set_chat_menu_button(self, bot: _Bot, params: dict) -> bool:
        return True

    @_method("close")
    async def _close(self, bot: _Bot, params: dict) -> bool:
        return True

    @_method("logOut")
    async def _log_out(self, bot: _Bot, params: dict) -> bool:
        return True

    # -- driver: acting as a user --------------------------------------------------------------------------
    def _target_bots(self, token: str | None) -> list[_Bot]:
        if token is not None:
            if not TOKEN_RE.match(token):
                raise ValueError(f"invalid bot token {token!r}")
            bot = self._bot(token)
            bot.active = True
            return [bot]
        bots = [b for b in self._bots.values() if b.active]
        if not bots:
            raise RuntimeError("no bot has connected yet (getMe/getUpdates/setWebhook); pass token=")
        return bots

    def _user(self, user_id: int, language_code: str | None = "ru", first_name: str = "Test",
              last_name: str | None = None, username: str | None = None) -> dict:
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        self._users[user_id] = user
        return user

    def register_chats(self, user_ids, *, token: str | None = None) -> None:
        """These users have talked to the bot before (as after a restart): the bot may write to them, and no
        update is queued. Benchmarks and broadcast tests use it to set up thousands of chats at once."""
        for bot in self._target_bots(token):
            bot.known_chats.update(user_ids)

    def _user_message(self, user_id: int, content: dict, *, token: str | None = None,
                      **user_kw: Any) -> dict:
        user = self._user(user_id, **user_kw)
        first: dict | None = None
        for bot in self._target_bots(token):
            bot.known_chats.add(user_id)
            message = {
                "message_id": bot.next_message_id(user_id), "from": user, "chat": self._chat_dict(user_id),
                "date": int(time.time()), **content,
            }
            bot.chat_history[(user_id, message["message_id"])] = message
            self._add_update(bot, "message", message)
            first = first or message
        self._notify()
        assert first is not None
        return first

    def user_sends(
        self, user_id: int, text: str, *, language_code: str | None = "ru", first_name: str = "Test",
        last_name: str | None = None, username: str | None = None, entities: list[dict] | None = None,
        token: str | None = None,
    ) -> dict:
        content: dict[str, Any] = {"text": text}
        if entities is None and text.startswith("/") and len(text) > 1:
            entities = [{"type": "bot_command", "offset": 0, "length": utf16_len(text.split(maxsplit=1)[0])}]
        if entities:
            content["entities"] = entities
        return self._user_message(user_id, content, token=token, language_code=language_code,
                                  first_name=first_name, last_name=last_name, username=username)

    def _file(self, kind: str, user_id: int) -> dict:
        n = next(self._cq_counter)
        return {"file_id": f"{kind}-{user_id}-{n}", "file_unique_id": f"u{kind}{n}"}

    def user_sends_sticker(self, user_id: int, *, emoji: str = "🙂", **kw: Any) -> dict:
        sticker = self._file("sticker", user_id) | {
            "type": "regular", "width": 512, "height": 512, "is_animated": False, "is_video": False,
            "emoji": emoji,
        }
        return self._user_message(user_id, {"sticker": sticker}, **kw)

    def user_sends_voice(self, user_id: int, *, duration: int = 3, **kw: Any) -> dict:
        voice = self._file("voice", user_id) | {"duration": duration, "mime_type": "audio/ogg"}
        return self._user_message(user_id, {"voice": voice}, **kw)

    def user_sends_photo(self, user_id: int, *, caption: str | None = None, **kw: Any) -> dict:
        photo = [self._file("photo", user_id) | {"width": w, "height": w} for w in (90, 800)]
        content: dict[str, Any] = {"photo": photo} | ({"caption": caption} if caption else {})
        return self._user_message(user_id, content, **kw)

    def user_sends_document(self, user_id: int, file_name: str = "x.pdf", *, caption: str | None = None,
                            mime_type: str = "application/pdf", **kw: Any) -> dict:
        doc = self._file("document", user_id) | {"file_name": file_name, "mime_type": mime_type}
        content: dict[str, Any] = {"document": doc} | ({"caption": caption} if caption else {})
        return self._user_message(user_id, content, **kw)

    def user_sends_contact(self, user_id: int, phone_number: str, **kw: Any) -> dict:
        contact = {"phone_number": phone_number, "first_name": kw.get("first_name", "Test"),
                   "user_id": user_id}
        return self._user_message(user_id, {"contact": contact}, **kw)

    def user_forwards(self, user_id: int, from_user_id: int, text: str, **kw: Any) -> dict:
        origin = {
            "type": "user", "date": int(time.time()) - 60,
            "sender_user": {"id": from_user_id, "is_bot": False, "first_name": "Forwarded"},
        }
        return self._user_message(user_id, {"text": text, "forward_origin": origin}, **kw)

    def user_presses(self, user_id: int, message_id: int, callback_data: str, *, token: str | None = None,
                     strict: bool = True, **user_kw: Any) -> str:
        """Press an inline button; with strict=True the button must be on that (live) bot message."""
        candidates = [b for b in self._target_bots(token) if (user_id, message_id) in b.messages]
        if not candidates:
            raise AssertionError(f"bot message {message_id} not found in chat {user_id}")
        bot = candidates[-1]
        msg = bot.messages[(user_id, message_id)]
        available = [b.get("callback_data") for row in msg.buttons for b in row if "callback_data" in b]
        if strict and (msg.deleted or callback_data not in available):
            raise AssertionError(
                f"message {message_id} (deleted={msg.deleted}) has no button with callback_data "
                f"{callback_data!r}; available: {available!r}"
            )
        user = self._user(user_id, **user_kw)
        cq_id = str(4_000_000_000_000 + next(self._cq_counter))
        self._callbacks[cq_id] = {"bot_id": bot.bot_id, "created": time.monotonic(), "answer": None}
        query = {
            "id": cq_id, "from": user, "message": self._message_dict(bot, msg),
            "chat_instance": f"{bot.bot_id}{user_id}", "data": callback_data,
        }
        self._add_update(bot, "callback_query", query)
        self._notify()
        return cq_id

    def age_callback(self, cq_id: str, seconds: float) -> None:
        """Pretend the callback query was created `seconds` earlier (to test the 15-minute expiry)."""
        self._callbacks[cq_id]["created"] -= seconds

    # -- driver: inspecting what the bot did ---------------------------------------------------------------
    def bot_messages(self, chat_id: int) -> list[BotMessage]:
        return list(self._chat_messages.get(chat_id, []))

    def last_message(self, chat_id: int) -> BotMessage | None:
        messages = self._chat_messages.get(chat_id)
        return messages[-1] if messages else None

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 10.0) -> Any:  # noqa: ASYNC109
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise WaitTimeout(f"condition {getattr(predicate, '__name__', predicate)!r} "
                                  f"not met within {timeout}s")
            changed = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    async def next_messages(
        self, chat_id: int, n: int = 1, timeout: float = 10.0  # noqa: ASYNC109
    ) -> list[BotMessage]:
        start = self._cursors.get(chat_id, 0)
        try:
            await self.wait_for(lambda: len(self._chat_messages.get(chat_id, [])) >= start + n, timeout)
        except WaitTimeout:
            got = self._chat_messages.get(chat_id, [])[start:]
            raise WaitTimeout(
                f"expected {n} new bot message(s) in chat {chat_id} within {timeout}s, got {len(got)}: "
                f"{[m.text[:120] for m in got]!r}; recent calls: {[c[0] for c in self.calls[-10:]]!r}"
            ) from None
        self._cursors[chat_id] = start + n
        return self._chat_messages[chat_id][start:start + n]

    def callback_answer(self, cq_id: str) -> dict | None:
        cq = self._callbacks.get(cq_id)
        return cq["answer"] if cq else None

    async def wait_callback_answer(self, cq_id: str, timeout: float = 5.0) -> dict:  # noqa: ASYNC109
        try:
            return await self.wait_for(lambda: self.callback_answer(cq_id), timeout)
        except WaitTimeout:
            raise WaitTimeout(f"callback query {cq_id} was not answered within {timeout}s") from None

    def _default_bot(self) -> _Bot | None:
        active = [b for b in self._bots.values() if b.active] or list(self._bots.values())
        return active[-1] if active else None

    def commands(self, language_code: str | None = None, scope: str = "default") -> list[dict]:
        bot = self._default_bot()
        return list(bot.commands.get((scope, language_code or ""), [])) if bot else []

    def description(self, language_code: str | None = None) -> str | None:
        bot = self._default_bot()
        return bot.descriptions.get(language_code or "") if bot else None

    def sent_count(self, method: str = "sendMessage") -> int:
        return self._success[method.lower()]

    # -- driver: fault injection ---------------------------------------------------------------------------
    def fail_next(self, method: str, status: int = 429, *, retry_after: int | None = None,
                  description: str | None = None, count: int = 1, chat_id: int | None = None) -> None:
        if status == 429:
            retry_after = max(1, retry_after or 1)  # PTB ignores a falsy retry_after
            description = description or f"Too Many Requests: retry after {retry_after}"
        elif status == 403:
            description = description or BLOCKED
        elif status == 400:
            description = description or "Bad Request: injected failure"
        else:
            description = description or _http_reason(status)
        self._faults.append(_Fault(method.lower(), status, description, retry_after, count, chat_id))

    def inject_raw_update(self, kind: str, payload: dict, *, token: str | None = None) -> None:
        """Queue an update exactly as given, unchecked — malformed ones included (what a bot must survive)."""
        for bot in self._target_bots(token):
            self._add_update(bot, kind, payload)
        self._notify()

    def drop_pending_updates(self, *, token: str | None = None) -> None:
        for bot in self._target_bots(token):
            bot.updates.clear()

    def block_user(self, user_id: int) -> None:
        self._blocked.add(user_id)

    def unblock_user(self, user_id: int) -> None:
        self._blocked.discard(user_id)

    def set_delay(self, method: str, seconds: float) -> None:
        self._delays[method.lower()] = seconds

    def clear_faults(self) -> None:
        """Drop pending fail_next rules, delays and blocked users."""
        self._faults.clear()
        self._delays.clear()
        self._blocked.clear()
