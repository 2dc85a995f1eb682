"""Test helpers: a pretend Telegram user who talks to the real bot through the local Bot API.

``Person.send`` / ``Person.press`` return once the Application has finished handling the update (it counts
handled updates), so tests never sleep and never guess.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field

from bot.local_api import BotMessage, InlineAnswer, LocalBotApi

_ids = itertools.count(700_000_001)


def new_user_id() -> int:
    return next(_ids)


@dataclass
class Person:
    api: LocalBotApi
    app: object  # NavigatorApplication
    user_id: int = field(default_factory=new_user_id)
    language_code: str | None = "ru"
    first_name: str = "Тест"

    async def _handled(self, act) -> list[BotMessage]:
        before_done = self.app.updates_done
        before = {m.message_id: m.edits for m in self.api.bot_messages(self.user_id)}
        result = act()
        await eventually(lambda: self.app.updates_done > before_done, limit=15, interval=0.005)
        # Return what changed on screen: new messages and edited ones, in chat order.
        changed = [m for m in self.api.bot_messages(self.user_id)
                   if not m.deleted and before.get(m.message_id) != m.edits]
        self.last_result = result
        return changed

    async def send(self, text: str, **kw) -> list[BotMessage]:
        return await self._handled(lambda: self.api.user_sends(
            self.user_id, text, language_code=self.language_code, first_name=self.first_name, **kw))

    async def send_sticker(self) -> list[BotMessage]:
        return await self._handled(lambda: self.api.user_sends_sticker(self.user_id, language_code=self.language_code))

    async def send_voice(self) -> list[BotMessage]:
        return await self._handled(lambda: self.api.user_sends_voice(self.user_id, language_code=self.language_code))

    async def send_photo(self) -> list[BotMessage]:
        return await self._handled(lambda: self.api.user_sends_photo(self.user_id, language_code=self.language_code))

    async def send_document(self, file_name: str = "passport.pdf") -> list[BotMessage]:
        return await self._handled(
            lambda: self.api.user_sends_document(self.user_id, file_name, language_code=self.language_code))

    async def inline(self, query: str, **kw) -> InlineAnswer:
        """Type ``@botname <query>`` (``chat_type=`` / ``offset=`` as in ``user_inline_query``); returns the
        bot's accepted answer once the Application has handled the update."""
        await self._handled(lambda: self.api.user_inline_query(
            self.user_id, query, language_code=self.language_code, first_name=self.first_name, **kw))
        answer = self.api.inline_answer(self.last_result)
        assert answer is not None, f"the bot did not answer inline query {query!r}"
        return answer

    async def press_data(self, message: BotMessage, data: str, *, strict: bool = True) -> list[BotMessage]:
        """Press ``data`` on ``message``; ``strict=False`` sends a press the message does not (or no longer)
        show, as a stale or forged button would."""
        return await self._handled(lambda: self.api.user_presses(
            self.user_id, message.message_id, data, language_code=self.language_code, strict=strict))

    async def press(self, label: str, message: BotMessage | None = None) -> list[BotMessage]:
        """Press the button whose text contains ``label`` on ``message`` (default: the last one with buttons)."""
        message = message or self.last_with_buttons()
        return await self.press_data(message, message.callback_data(label))

    def last_with_buttons(self) -> BotMessage:
        for message in reversed(self.api.bot_messages(self.user_id)):
            if message.buttons and not message.deleted:
                return message
        raise AssertionError("no message with buttons in this chat")

    @property
    def screen(self) -> BotMessage:
        messages = [m for m in self.api.bot_messages(self.user_id) if not m.deleted]
        assert messages, "the bot has sent nothing to this chat"
        return messages[-1]

    def last_answer(self) -> dict | None:
        cq = getattr(self, "last_result", None)
        return self.api.callback_answer(cq) if isinstance(cq, str) else None


@dataclass
class Member:
    """A person in a group (a volunteer in the help-desk forum) talking where the real bot is a member.

    ``post`` / ``press`` return once the Application has handled the update, or at once when Telegram would not
    deliver it to the bot at all (privacy mode: a bot that is not an administrator sees commands and replies to
    itself only). They return what the bot changed in the group: new or edited messages, in order."""

    api: LocalBotApi
    app: object  # NavigatorApplication
    chat_id: int
    user_id: int = field(default_factory=new_user_id)
    first_name: str = "Вера"
    language_code: str | None = "ru"

    def __post_init__(self) -> None:
        group = self.api.group(self.chat_id)
        if self.user_id not in group.members or group.members[self.user_id]["status"] == "left":
            self.api.add_member(self.chat_id, self.user_id, first_name=self.first_name,
                                language_code=self.language_code)

    async def _handled(self, act, delivered) -> list[BotMessage]:
        before_done = self.app.updates_done
        before = {m.message_id: m.edits for m in self.api.bot_messages(self.chat_id)}
        self.last_result = act()
        if delivered(self.last_result):
            await eventually(lambda: self.app.updates_done > before_done, limit=15, interval=0.005)
        return [m for m in self.api.bot_messages(self.chat_id)
                if not m.deleted and before.get(m.message_id) != m.edits]

    async def post(self, text: str, *, thread_id: int | None = None, reply_to: int | None = None,
                   **kw) -> list[BotMessage]:
        return await self._handled(
            lambda: self.api.member_posts(self.chat_id, self.user_id, text, thread_id=thread_id,
                                          reply_to=reply_to, **kw),
            lambda message: self.api.recipients(self.chat_id, message["message_id"]))

    async def post_media(self, kind: str = "photo", *, caption: str | None = None,
                         thread_id: int | None = None) -> list[BotMessage]:
        return await self._handled(
            lambda: self.api.member_posts_media(self.chat_id, self.user_id, kind, caption=caption,
                                                thread_id=thread_id),
            lambda message: self.api.recipients(self.chat_id, message["message_id"]))

    async def press(self, label: str, message: BotMessage) -> list[BotMessage]:
        return await self._handled(
            lambda: self.api.member_presses(self.chat_id, self.user_id, message.message_id,
                                            message.callback_data(label)),
            lambda cq_id: True)

    def answer(self) -> dict | None:
        """The callback answer to this member's last press."""
        cq = getattr(self, "last_result", None)
        return self.api.callback_answer(cq) if isinstance(cq, str) else None


async def eventually(predicate, limit: float = 10.0, interval: float = 0.02):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(interval)
