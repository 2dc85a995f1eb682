"""What the local Bot API remembers: the bots that connected, the people and chats, and every message.

The HTTP server's method implementations and the test driver both work on one :class:`World`.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from .validation import BLOCKED, ApiError, as_int, bad, required

BOT_FIRST_NAME = "Asylum Navigator"


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
class InlineAnswer:
    """The bot's validated answer to one inline query, as the person's Telegram app would show it."""

    query_id: str
    results: list[dict]  # as the bot sent them
    messages: dict[str, BotMessage]  # result id -> the message posted when the person picks that result
    cache_time: int
    is_personal: bool
    next_offset: str
    button: dict | None

    @property
    def ids(self) -> list[str]:
        return [r["id"] for r in self.results]

    @property
    def titles(self) -> list[str]:
        return [str(r.get("title", "")) for r in self.results]

    def result(self, result_id: str) -> dict:
        for r in self.results:
            if r["id"] == result_id:
                return r
        raise AssertionError(f"no inline result {result_id!r}; ids: {self.ids!r}")

    def message(self, result_id: str) -> BotMessage:
        """The message that picking ``result_id`` would post (text, entities and buttons, parsed and checked)."""
        self.result(result_id)
        if result_id not in self.messages:
            raise AssertionError(f"inline result {result_id!r} posts no text message")
        return self.messages[result_id]


@dataclass
class BotState:
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
class Fault:
    method: str
    status: int
    description: str
    retry_after: int | None
    count: int
    chat_id: int | None


class World:
    """Shared state plus the lookups every Bot API method needs (chat resolution, message shapes, updates)."""

    def __init__(self, bot_username: str) -> None:
        self.bot_username = bot_username
        self.calls: list[tuple[str, dict]] = []
        self.bots: dict[int, BotState] = {}
        self.users: dict[int, dict] = {}
        self.chat_messages: dict[int, list[BotMessage]] = {}
        self.cursors: dict[int, int] = {}
        self.callbacks: dict[str, dict] = {}
        self.inline_queries: dict[str, dict] = {}  # id -> bot_id, created, query..., answer (InlineAnswer)
        self.inline_mode = True  # as after @BotFather /setinline: people can type @botname <query>
        self.ids = itertools.count(1)  # callback query and file ids
        self.success: Counter[str] = Counter()
        self.faults: list[Fault] = []
        self.delays: dict[str, float] = {}
        self.blocked: set[int] = set()
        self.changed = asyncio.Event()
        self.closing = False
        self.session: aiohttp.ClientSession | None = None

    def notify(self) -> None:
        # Wake every wait_for(); a fresh Event per change avoids lost wake-ups between checks.
        self.changed.set()
        self.changed = asyncio.Event()

    def bot(self, token: str) -> BotState:
        bot_id = int(token.split(":", 1)[0])
        bot = self.bots.get(bot_id)
        if bot is None or bot.token != token:
            user = {
                "id": bot_id, "is_bot": True, "first_name": BOT_FIRST_NAME, "username": self.bot_username,
            }
            bot = self.bots[bot_id] = BotState(bot_id=bot_id, token=token, user=user)
        return bot

    def chat_id(self, bot: BotState, params: dict, *, check_blocked: bool = True) -> int:
        """Resolve chat_id for a send/edit: blocked users and chats that never wrote are rejected."""
        raw = required(params, "chat_id")
        try:
            chat_id = int(raw)
        except (TypeError, ValueError):
            raise bad("chat not found") from None
        if check_blocked and chat_id in self.blocked:
            raise ApiError(403, BLOCKED)
        if chat_id not in bot.known_chats:
            raise bad("chat not found")
        return chat_id

    def chat_dict(self, chat_id: int) -> dict:
        user = self.users.get(chat_id, {"first_name": "Test"})
        chat = {"id": chat_id, "type": "private", "first_name": user.get("first_name", "Test")}
        for key in ("last_name", "username"):
            if user.get(key):
                chat[key] = user[key]
        return chat

    def message_dict(self, bot: BotState, msg: BotMessage) -> dict:
        result: dict[str, Any] = {
            "message_id": msg.message_id, "from": bot.user, "chat": self.chat_dict(msg.chat_id),
            "date": msg.date, "text": msg.text,
        }
        if msg.entities:
            result["entities"] = msg.entities
        if msg.reply_markup and msg.reply_markup.get("inline_keyboard"):
            result["reply_markup"] = {"inline_keyboard": msg.reply_markup["inline_keyboard"]}
        if msg.edits:
            result["edit_date"] = int(time.time())
        return result

    def find_message(self, bot: BotState, params: dict, missing: str) -> BotMessage:
        # Telegram lets a bot delete its messages in a chat that blocked it, but not edit them.
        chat_id = self.chat_id(bot, params, check_blocked=not missing.endswith("delete not found"))
        message_id = as_int(required(params, "message_id"), "message_id")
        msg = bot.messages.get((chat_id, message_id))
        if msg is None or msg.deleted:
            raise bad(missing)
        return msg

    def add_update(self, bot: BotState, kind: str, payload: dict) -> dict:
        update = {"update_id": next(bot.update_counter), kind: payload}
        if not bot.allowed_updates or kind in bot.allowed_updates:
            bot.updates.append(update)
            bot.update_event.set()
        return update
