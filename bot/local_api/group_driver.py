"""The test driver for groups: set up a supergroup (with topics) and its members, add the bot and set its
administrator rights (with the my_chat_member updates Telegram sends), post and press buttons as a member,
and read what the bot did there (messages per topic, topics, reactions, every request aimed at the chat)."""

from __future__ import annotations

import time
from typing import Any

from bot.telegram_html import utf16_len

from .driver import Driver
from .groups import DEFAULT_BOT_RIGHTS, PRESENT, Group, Topic, member_json
from .state import BotMessage, BotState

__all__ = ["GroupDriver"]


def _without_reply(message: dict) -> dict:
    return {k: v for k, v in message.items() if k != "reply_to_message"}


class GroupDriver(Driver):
    """Mixed into :class:`~bot.local_api.LocalBotApi`."""

    # -- setting up ----------------------------------------------------------------------------------------
    def create_group(self, title: str = "Volunteers", *, owner_id: int, forum: bool = True,
                     supergroup: bool = True, chat_id: int | None = None, **owner_kw: Any) -> int:
        """A group created by ``owner_id`` (a supergroup with topics unless told otherwise); returns its id."""
        if forum and not supergroup:
            raise ValueError("only supergroups can have topics")
        n = next(self.world.group_ids)
        chat_id = chat_id if chat_id is not None else (-1_001_000_000_000 - n if supergroup else -4_000_000_000 - n)
        if chat_id >= 0 or chat_id in self.world.groups:
            raise ValueError(f"chat id {chat_id} must be negative and unused")
        group = Group(chat_id=chat_id, title=title, type="supergroup" if supergroup else "group", is_forum=forum)
        group.members[owner_id] = member_json(self._user(owner_id, **owner_kw), "creator")
        self.world.groups[chat_id] = group
        return chat_id

    def add_member(self, chat_id: int, user_id: int, *, admin: bool = False, rights: dict | None = None,
                   **user_kw: Any) -> dict:
        """``user_id`` is a member (an administrator with ``rights``) as if for a while: no update is sent."""
        group = self.group(chat_id)
        status = "administrator" if admin else "member"
        group.members[user_id] = member_json(self._user(user_id, **user_kw), status, rights)
        return group.members[user_id]

    def remove_member(self, chat_id: int, user_id: int) -> None:
        group = self.group(chat_id)
        group.members[user_id] = member_json(self._user(user_id), "left")

    def _group_bot(self, token: str | None) -> BotState:
        return self._target_bots(token)[-1]

    def _change_bot(self, chat_id: int, by: int, status: str, rights: dict | None, token: str | None) -> dict:
        group = self.group(chat_id)
        if group.status(by) not in PRESENT:
            raise AssertionError(f"user {by} is not a member of chat {chat_id}")
        bot = self._group_bot(token)
        if status == "administrator" and not group.has_right(by, "can_promote_members"):
            raise AssertionError(f"user {by} may not make administrators in chat {chat_id}")
        old = group.members.get(bot.bot_id) or member_json(bot.user, "left")
        new = group.members[bot.bot_id] = member_json(bot.user, status, rights)
        world = self.world
        world.add_update(bot, "my_chat_member", {
            "chat": group.chat_json(), "from": world.users[by], "date": int(time.time()),
            "old_chat_member": old, "new_chat_member": new,
        })
        if old["status"] not in PRESENT and status in PRESENT:  # the "X added the bot" service message
            self._post(group, by, {"new_chat_members": [bot.user]}, None, None, service=True)
        world.notify()
        return new

    def add_bot(self, chat_id: int, *, by: int, admin: bool = False, rights: dict | None = None,
                token: str | None = None) -> dict:
        """Member ``by`` adds the bot (as an administrator with ``rights``, by default those a help desk needs):
        the bot gets my_chat_member and the new_chat_members service message. Returns its ChatMember."""
        status = "administrator" if admin else "member"
        return self._change_bot(chat_id, by, status, (DEFAULT_BOT_RIGHTS if rights is None else rights)
                                if admin else None, token)

    def set_bot_rights(self, chat_id: int, *, by: int, admin: bool = True, token: str | None = None,
                       **rights: bool) -> dict:
        """Promote the bot with exactly ``rights`` (none given: the help-desk defaults) or, with
        ``admin=False``, make it a plain member; the bot gets my_chat_member."""
        status = "administrator" if admin else "member"
        return self._change_bot(chat_id, by, status, (rights or DEFAULT_BOT_RIGHTS) if admin else None, token)

    def remove_bot(self, chat_id: int, *, by: int, token: str | None = None) -> dict:
        """An administrator removes (bans) the bot from the group; the bot gets my_chat_member."""
        return self._change_bot(chat_id, by, "kicked", None, token)

    # -- acting as a member --------------------------------------------------------------------------------
    def _post(self, group: Group, user_id: int, content: dict, thread_id: int | None, reply_to: int | None,
              *, service: bool = False, user_kw: dict | None = None) -> dict:
        world = self.world
        if group.status(user_id) not in PRESENT:
            raise AssertionError(f"user {user_id} is not a member of chat {group.chat_id}")
        user = world.users[user_id]
        if user_kw:  # a changed name or language, as a Telegram profile can change
            keep = {k: user[k] for k in ("first_name", "last_name", "username") if k in user}
            keep["language_code"] = user.get("language_code")
            user = self._user(user_id, **(keep | user_kw))
        group.members[user_id]["user"] = user
        replied = None
        if reply_to is not None:
            replied = group.history.get(reply_to)
            if replied is None:
                raise AssertionError(f"message {reply_to} not found in chat {group.chat_id}")
            if thread_id is None and replied.get("is_topic_message"):
                thread_id = replied["message_thread_id"]
        topic = None
        if thread_id is not None:
            topic = group.live_topic(thread_id) if group.is_forum else None
            if topic is None:
                raise AssertionError(f"no topic {thread_id} in chat {group.chat_id}")
            if topic.closed and not group.has_right(user_id, "can_manage_topics"):
                raise AssertionError(f"topic {thread_id} is closed: only administrators who manage topics write")
        message: dict[str, Any] = {
            "message_id": group.next_message_id(), "from": user, "chat": group.chat_json(),
            "date": int(time.time()),
        }
        if topic is not None:
            message |= {"message_thread_id": thread_id, "is_topic_message": True}
        if replied is not None or topic is not None:
            message["reply_to_message"] = _without_reply(replied or topic.root)  # Telegram's topic messages
        message |= content
        group.history[message["message_id"]] = message
        text = str(content.get("text") or "")
        recipients = []
        for bot in world.bots.values():
            if group.status(bot.bot_id) not in PRESENT:
                continue
            command = text.startswith("/") and text.split(maxsplit=1)[0].partition("@")[2] in ("", bot.user["username"])
            to_bot = replied is not None and replied["from"]["id"] == bot.bot_id
            if service or group.is_admin(bot.bot_id) or command or to_bot:  # privacy mode
                world.add_update(bot, "message", message)
                recipients.append(bot.bot_id)
        group.recipients[message["message_id"]] = recipients
        world.notify()
        return message

    def member_posts(self, chat_id: int, user_id: int, text: str, *, thread_id: int | None = None,
                     reply_to: int | None = None, entities: list[dict] | None = None, **user_kw: Any) -> dict:
        """``user_id`` writes ``text`` in the group (in topic ``thread_id``; replying to message ``reply_to``).
        The bot gets it if it is an administrator, or (privacy mode) for a command or a reply to the bot."""
        content: dict[str, Any] = {"text": text}
        if entities is None and text.startswith("/") and len(text) > 1:
            entities = [{"type": "bot_command", "offset": 0, "length": utf16_len(text.split(maxsplit=1)[0])}]
        if entities:
            content["entities"] = entities
        return self._post(self.group(chat_id), user_id, content, thread_id, reply_to, user_kw=user_kw)

    def member_posts_media(self, chat_id: int, user_id: int, kind: str = "photo", *, caption: str | None = None,
                           thread_id: int | None = None, **user_kw: Any) -> dict:
        """A photo, document, voice or sticker posted by a member (with ``caption`` where Telegram allows)."""
        file = self._file(kind, user_id)
        media: Any = {
            "photo": [file | {"width": 90, "height": 90}, self._file(kind, user_id) | {"width": 800, "height": 800}],
            "document": file | {"file_name": "file.pdf", "mime_type": "application/pdf"},
            "voice": file | {"duration": 3, "mime_type": "audio/ogg"},
            "sticker": file | {"type": "regular", "width": 512, "height": 512, "is_animated": False,
                               "is_video": False, "emoji": "🙂"},
        }.get(kind)
        if media is None:
            raise ValueError(f"unsupported kind {kind!r}")
        content: dict[str, Any] = {kind: media} | ({"caption": caption} if caption and kind != "sticker" else {})
        return self._post(self.group(chat_id), user_id, content, thread_id, None, user_kw=user_kw)

    def member_presses(self, chat_id: int, user_id: int, message_id: int, callback_data: str, *,
                       strict: bool = True, **user_kw: Any) -> str:
        """A member presses an inline button on a bot message in the group; returns the callback query id."""
        group = self.group(chat_id)
        if group.status(user_id) not in PRESENT:
            raise AssertionError(f"user {user_id} is not a member of chat {chat_id}")
        bots = [b for b in self.world.bots.values() if group.status(b.bot_id) in PRESENT]
        return self._press(bots, chat_id, user_id, message_id, callback_data, strict, user_kw)

    # -- inspecting ----------------------------------------------------------------------------------------
    def group(self, chat_id: int) -> Group:
        """The group's state: members, topics, and every live message (``history``)."""
        group = self.world.groups.get(chat_id)
        if group is None:
            raise AssertionError(f"no group {chat_id} (create_group first)")
        return group

    def topics(self, chat_id: int) -> list[Topic]:
        """Every topic in creation order, closed and deleted ones included (see ``closed`` / ``deleted``)."""
        return sorted(self.group(chat_id).topics.values(), key=lambda t: t.message_thread_id)

    def topic(self, chat_id: int, thread_id: int) -> Topic:
        topic = self.group(chat_id).topics.get(thread_id)
        if topic is None:
            raise AssertionError(f"no topic {thread_id} in chat {chat_id}")
        return topic

    def thread_messages(self, chat_id: int, thread_id: int | None) -> list[BotMessage]:
        """What bots sent in topic ``thread_id`` (None: outside topics), deleted ones included."""
        return [m for m in self.world.chat_messages.get(chat_id, []) if m.message_thread_id == thread_id]

    def reactions(self, chat_id: int, message_id: int, *, by: int | None = None) -> list[str]:
        """The emoji set on a message by ``by`` (default: the bot)."""
        if by is None:
            bot = self._default_bot()
            by = bot.bot_id if bot else 0
        found = self.world.reactions.get((chat_id, message_id), {}).get(by, [])
        return [r["emoji"] for r in found]

    def chat_member(self, chat_id: int, member_id: int) -> dict:
        return self.group(chat_id).members.get(member_id) or {"status": "left"}

    def recipients(self, chat_id: int, message_id: int) -> list[int]:
        """Ids of the bots that received a member's message (privacy mode decides)."""
        return list(self.group(chat_id).recipients.get(message_id, []))

    def chat_requests(self, chat_id: int) -> list[tuple[str, dict]]:
        """Every Bot API request that named this chat (chat_id or from_chat_id), for privacy scans."""
        wanted = str(chat_id)
        return [(name, params) for name, params in self.world.calls
                if wanted in (str(params.get("chat_id")), str(params.get("from_chat_id")))]
