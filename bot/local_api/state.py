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

from .groups import Group
from .validation import BLOCKED, ApiError, as_int, bad, required

BOT_FIRST_NAME = "Asylum Navigator"
# Without allowed_updates Telegram sends every kind of update except these.
OPT_IN_UPDATES = {"chat_member", "message_reaction", "message_reaction_count"}


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
    message_thread_id: int | None = None  # the forum topic it was posted in
    content_type: str = "text"  # or "photo", "document", ... for copies of media (then text is the caption)
    media: Any = None

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
        self.groups: dict[int, Group] = {}
        self.group_ids = itertools.count(1)
        # (chat id, message id) -> who reacted (bot or user id) -> their reactions (ReactionType JSON)
        self.reactions: dict[tuple[int, int], dict[int, list[dict]]] = {}
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

    def chat_id(self, bot: BotState, params: dict, *, check_blocked: bool = True, key: str = "chat_id") -> int:
        """Resolve a chat for a send/edit: blocked users, chats that never wrote and groups the bot is not in
        are rejected as Telegram rejects them."""
        raw = required(params, key)
        try:
            chat_id = int(raw)
        except (TypeError, ValueError):
            raise bad("chat not found") from None
        group = self.groups.get(chat_id)
        if group is not None:
            status = group.status(bot.bot_id)
            if bot.bot_id not in group.members:
                raise bad("chat not found")
            kind = "supergroup" if group.type == "supergroup" else "group"
            if status == "kicked":
                raise ApiError(403, f"Forbidden: bot was kicked from the {kind} chat")
            if status == "left":
                raise ApiError(403, f"Forbidden: bot is not a member of the {kind} chat")
            return chat_id
        if check_blocked and chat_id in self.blocked:
            raise ApiError(403, BLOCKED)
        if chat_id not in bot.known_chats:
            raise bad("chat not found")
        return chat_id

    def chat_dict(self, chat_id: int) -> dict:
        group = self.groups.get(chat_id)
        if group is not None:
            return group.chat_json()
        user = self.users.get(chat_id, {"first_name": "Test"})
        chat = {"id": chat_id, "type": "private", "first_name": user.get("first_name", "Test")}
        for key in ("last_name", "username"):
            if user.get(key):
                chat[key] = user[key]
        return chat

    def message_dict(self, bot: BotState, msg: BotMessage) -> dict:
        result: dict[str, Any] = {
            "message_id": msg.message_id, "from": bot.user, "chat": self.chat_dict(msg.chat_id),
            "date": msg.date,
        }
        if msg.message_thread_id is not None:
            result |= {"message_thread_id": msg.message_thread_id, "is_topic_message": True}
        if msg.content_type == "text":
            result["text"] = msg.text
            if msg.entities:
                result["entities"] = msg.entities
        else:
            result[msg.content_type] = msg.media
            if msg.text:
                result["caption"] = msg.text
            if msg.entities:
                result["caption_entities"] = msg.entities
        if msg.reply_markup and msg.reply_markup.get("inline_keyboard"):
            result["reply_markup"] = {"inline_keyboard": msg.reply_markup["inline_keyboard"]}
        if msg.edits:
            result["edit_date"] = int(time.time())
        return result

    def next_message_id(self, bot: BotState, chat_id: int) -> int:
        """Private chats number messages per bot; a group numbers everyone's messages in one sequence."""
        group = self.groups.get(chat_id)
        return group.next_message_id() if group is not None else bot.next_message_id(chat_id)

    def history_message(self, bot: BotState, chat_id: int, message_id: int) -> dict | None:
        """A message the bot can see in a chat (a person's or its own), or None."""
        group = self.groups.get(chat_id)
        if group is not None:
            return group.history.get(message_id)
        msg = bot.messages.get((chat_id, message_id))
        if msg is not None and msg.deleted:
            return None
        return bot.chat_history.get((chat_id, message_id))

    def record_bot_message(self, bot: BotState, msg: BotMessage, reply_to: dict | None = None) -> dict:
        """Store a message the bot just sent and return it as the Bot API answers a send."""
        bot.messages[(msg.chat_id, msg.message_id)] = msg
        self.chat_messages.setdefault(msg.chat_id, []).append(msg)
        result = self.message_dict(bot, msg)
        group = self.groups.get(msg.chat_id)
        if group is not None and msg.message_thread_id is not None and reply_to is None:
            reply_to = group.topics[msg.message_thread_id].root  # a topic's messages answer its opening message
        if group is not None:
            group.history[msg.message_id] = result
        else:
            bot.chat_history[(msg.chat_id, msg.message_id)] = result
        return result | {"reply_to_message": reply_to} if reply_to else result

    def refresh_history(self, bot: BotState, msg: BotMessage) -> None:
        """Keep the stored copy of a bot message in step with an edit or a deletion."""
        group = self.groups.get(msg.chat_id)
        store: dict = group.history if group is not None else bot.chat_history
        key: Any = msg.message_id if group is not None else (msg.chat_id, msg.message_id)
        if msg.deleted:
            if group is not None:
                store.pop(key, None)
        elif key in store:
            store[key] = store[key] | self.message_dict(bot, msg)

    def thread_for_send(self, bot: BotState, chat_id: int, params: dict, reply_to: dict | None) -> int | None:
        """The forum topic a send goes to: ``message_thread_id``, or the topic of the message it replies to."""
        raw = params.get("message_thread_id")
        group = self.groups.get(chat_id)
        if raw is None or raw == "":
            if reply_to and reply_to.get("is_topic_message") and group is not None:
                raw = reply_to["message_thread_id"]
            else:
                return None
        thread_id = as_int(raw, "message_thread_id")
        topic = group.live_topic(thread_id) if group is not None and group.is_forum else None
        if topic is None:
            raise bad("message thread not found")
        if topic.closed and not group.has_right(bot.bot_id, "can_manage_topics"):
            raise bad("TOPIC_CLOSED")
        return thread_id

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
        if kind in bot.allowed_updates or (not bot.allowed_updates and kind not in OPT_IN_UPDATES):
            bot.updates.append(update)
            bot.update_event.set()
        return update
