"""The test-driver side of the local Bot API: act as Telegram users, inspect what the bot did, inject faults.

Used by tests (``tests/helpers.py``), ``python -m bot try`` (``bot/terminal.py``) and the benchmarks. Everything
here runs in the server's event loop and changes the shared :class:`~bot.local_api.state.World` directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

from bot.telegram_html import utf16_len

from .state import BotMessage, BotState, Fault, InlineAnswer, World
from .validation import BLOCKED, TOKEN_RE, http_reason

__all__ = ["Driver", "WaitTimeout"]

MAX_INLINE_QUERY = 256
INLINE_CHAT_TYPES = {"sender", "private", "group", "supergroup", "channel", None}


class WaitTimeout(TimeoutError, AssertionError):
    """A driver wait ran out of time; catchable as TimeoutError or AssertionError, as a test prefers."""


class Driver:
    """Mixed into :class:`~bot.local_api.LocalBotApi`; needs ``self.world``."""

    world: World

    # -- acting as a user ----------------------------------------------------------------------------------
    def _target_bots(self, token: str | None) -> list[BotState]:
        if token is not None:
            if not TOKEN_RE.match(token):
                raise ValueError(f"invalid bot token {token!r}")
            bot = self.world.bot(token)
            bot.active = True
            return [bot]
        bots = [b for b in self.world.bots.values() if b.active]
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
        self.world.users[user_id] = user
        return user

    def register_chats(self, user_ids, *, token: str | None = None) -> None:
        """These users have talked to the bot before (as after a restart): the bot may write to them, and no
        update is queued. Benchmarks and broadcast tests use it to set up thousands of chats at once."""
        for bot in self._target_bots(token):
            bot.known_chats.update(user_ids)

    def _user_message(self, user_id: int, content: dict, *, token: str | None = None,
                      **user_kw: Any) -> dict:
        world = self.world
        user = self._user(user_id, **user_kw)
        first: dict | None = None
        for bot in self._target_bots(token):
            bot.known_chats.add(user_id)
            message = {
                "message_id": bot.next_message_id(user_id), "from": user, "chat": world.chat_dict(user_id),
                "date": int(time.time()), **content,
            }
            bot.chat_history[(user_id, message["message_id"])] = message
            world.add_update(bot, "message", message)
            first = first or message
        world.notify()
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
        n = next(self.world.ids)
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
        return self._press(self._target_bots(token), user_id, user_id, message_id, callback_data, strict, user_kw)

    def _press(self, bots: list[BotState], chat_id: int, user_id: int, message_id: int, callback_data: str,
               strict: bool, user_kw: dict) -> str:
        world = self.world
        candidates = [b for b in bots if (chat_id, message_id) in b.messages]
        if not candidates:
            raise AssertionError(f"bot message {message_id} not found in chat {chat_id}")
        bot = candidates[-1]
        msg = bot.messages[(chat_id, message_id)]
        available = [b.get("callback_data") for row in msg.buttons for b in row if "callback_data" in b]
        if strict and (msg.deleted or callback_data not in available):
            raise AssertionError(
                f"message {message_id} (deleted={msg.deleted}) has no button with callback_data "
                f"{callback_data!r}; available: {available!r}"
            )
        user = self._user(user_id, **user_kw)
        cq_id = str(4_000_000_000_000 + next(world.ids))
        world.callbacks[cq_id] = {"bot_id": bot.bot_id, "created": time.monotonic(), "answer": None}
        query = {
            "id": cq_id, "from": user, "message": world.message_dict(bot, msg),
            "chat_instance": f"{bot.bot_id}{chat_id}", "data": callback_data,
        }
        world.add_update(bot, "callback_query", query)
        world.notify()
        return cq_id

    def user_inline_query(self, user_id: int, query: str = "", *, offset: str = "",
                          chat_type: str | None = "private", token: str | None = None, **user_kw: Any) -> str:
        """Type ``@botname <query>`` in a chat of ``chat_type`` (sender, private, group, supergroup, channel;
        None as from a secret chat); returns the inline query id. The person need not have talked to the bot."""
        world = self.world
        if not world.inline_mode:
            raise AssertionError("inline mode is off for this bot (set_inline_mode(True), as @BotFather /setinline)")
        if len(query) > MAX_INLINE_QUERY:
            raise ValueError(f"Telegram apps send at most {MAX_INLINE_QUERY} characters of an inline query")
        if chat_type not in INLINE_CHAT_TYPES:
            raise ValueError(f"chat_type must be one of {sorted(t for t in INLINE_CHAT_TYPES if t)} or None")
        user = self._user(user_id, **user_kw)
        bots = self._target_bots(token)
        query_id = str(5_000_000_000_000 + next(world.ids))
        payload: dict[str, Any] = {"id": query_id, "from": user, "query": query, "offset": offset}
        if chat_type:
            payload["chat_type"] = chat_type
        world.inline_queries[query_id] = {
            "bot_id": bots[-1].bot_id, "created": time.monotonic(), "user_id": user_id, "answer": None,
        }
        world.add_update(bots[-1], "inline_query", payload)
        world.notify()
        return query_id

    def age_inline_query(self, query_id: str, seconds: float) -> None:
        """Pretend the inline query was sent `seconds` earlier (to test Telegram's answer timeout)."""
        self.world.inline_queries[query_id]["created"] -= seconds

    def set_inline_mode(self, enabled: bool) -> None:
        """Turn the bot's inline mode on or off, as @BotFather /setinline does (on by default)."""
        self.world.inline_mode = enabled

    def age_callback(self, cq_id: str, seconds: float) -> None:
        """Pretend the callback query was created `seconds` earlier (to test the 15-minute expiry)."""
        self.world.callbacks[cq_id]["created"] -= seconds

    # -- inspecting what the bot did -----------------------------------------------------------------------
    def bot_messages(self, chat_id: int) -> list[BotMessage]:
        return list(self.world.chat_messages.get(chat_id, []))

    def last_message(self, chat_id: int) -> BotMessage | None:
        messages = self.world.chat_messages.get(chat_id)
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
            changed = self.world.changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    async def next_messages(
        self, chat_id: int, n: int = 1, timeout: float = 10.0  # noqa: ASYNC109
    ) -> list[BotMessage]:
        world = self.world
        start = world.cursors.get(chat_id, 0)
        try:
            await self.wait_for(lambda: len(world.chat_messages.get(chat_id, [])) >= start + n, timeout)
        except WaitTimeout:
            got = world.chat_messages.get(chat_id, [])[start:]
            raise WaitTimeout(
                f"expected {n} new bot message(s) in chat {chat_id} within {timeout}s, got {len(got)}: "
                f"{[m.text[:120] for m in got]!r}; recent calls: {[c[0] for c in world.calls[-10:]]!r}"
            ) from None
        world.cursors[chat_id] = start + n
        return world.chat_messages[chat_id][start:start + n]

    def callback_answer(self, cq_id: str) -> dict | None:
        cq = self.world.callbacks.get(cq_id)
        return cq["answer"] if cq else None

    async def wait_callback_answer(self, cq_id: str, timeout: float = 5.0) -> dict:  # noqa: ASYNC109
        try:
            return await self.wait_for(lambda: self.callback_answer(cq_id), timeout)
        except WaitTimeout:
            raise WaitTimeout(f"callback query {cq_id} was not answered within {timeout}s") from None

    def inline_answer(self, query_id: str) -> InlineAnswer | None:
        """The bot's accepted answer to an inline query (None until answerInlineQuery succeeded)."""
        query = self.world.inline_queries.get(query_id)
        return query["answer"] if query else None

    async def wait_inline_answer(self, query_id: str, timeout: float = 5.0) -> InlineAnswer:  # noqa: ASYNC109
        try:
            return await self.wait_for(lambda: self.inline_answer(query_id), timeout)
        except WaitTimeout:
            raise WaitTimeout(f"inline query {query_id} was not answered within {timeout}s; recent calls: "
                              f"{[c[0] for c in self.world.calls[-10:]]!r}") from None

    def _default_bot(self) -> BotState | None:
        bots = self.world.bots
        active = [b for b in bots.values() if b.active] or list(bots.values())
        return active[-1] if active else None

    def commands(self, language_code: str | None = None, scope: str = "default") -> list[dict]:
        bot = self._default_bot()
        return list(bot.commands.get((scope, language_code or ""), [])) if bot else []

    def description(self, language_code: str | None = None) -> str | None:
        bot = self._default_bot()
        return bot.descriptions.get(language_code or "") if bot else None

    def sent_count(self, method: str = "sendMessage") -> int:
        return self.world.success[method.lower()]

    # -- fault injection -----------------------------------------------------------------------------------
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
            description = description or http_reason(status)
        self.world.faults.append(Fault(method.lower(), status, description, retry_after, count, chat_id))

    def inject_raw_update(self, kind: str, payload: dict, *, token: str | None = None) -> None:
        """Queue an update exactly as given, unchecked — malformed ones included (what a bot must survive)."""
        for bot in self._target_bots(token):
            self.world.add_update(bot, kind, payload)
        self.world.notify()

    def drop_pending_updates(self, *, token: str | None = None) -> None:
        for bot in self._target_bots(token):
            bot.updates.clear()

    def block_user(self, user_id: int) -> None:
        self.world.blocked.add(user_id)

    def unblock_user(self, user_id: int) -> None:
        self.world.blocked.discard(user_id)

    def set_delay(self, method: str, seconds: float) -> None:
        self.world.delays[method.lower()] = seconds

    def clear_faults(self) -> None:
        """Drop pending fail_next rules, delays and blocked users."""
        self.world.faults.clear()
        self.world.delays.clear()
        self.world.blocked.clear()
