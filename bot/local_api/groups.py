"""Groups, supergroups and forum topics as the local Bot API keeps them: members with Telegram's statuses and
administrator rights, topics, and every message posted (people's, bots' and service messages)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

# The six colours Telegram offers for a topic icon (Bot API createForumTopic).
TOPIC_COLORS = (7322096, 16766590, 13338331, 9367192, 16749490, 16478047)
ADMIN_RIGHTS = (
    "can_manage_chat", "can_delete_messages", "can_manage_video_chats", "can_restrict_members",
    "can_promote_members", "can_change_info", "can_invite_users", "can_post_stories", "can_edit_stories",
    "can_delete_stories", "can_pin_messages", "can_manage_topics",
)
# What an owner typically ticks when making a help-desk bot an administrator.
DEFAULT_BOT_RIGHTS = {
    "can_manage_chat": True, "can_delete_messages": True, "can_invite_users": True, "can_pin_messages": True,
    "can_manage_topics": True,
}
PRESENT = ("creator", "administrator", "member", "restricted")
# Keys of a message that carry content a bot can copy or react to (service messages have none of them).
CONTENT_KEYS = (
    "text", "photo", "document", "voice", "video", "audio", "animation", "sticker", "video_note", "contact",
    "location", "venue", "poll", "dice",
)


def member_json(user: dict, status: str, rights: dict[str, bool] | None = None) -> dict:
    """A ChatMember object as the Bot API shapes it for ``status``."""
    member: dict[str, Any] = {"status": status, "user": user}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        unknown = set(rights or {}) - set(ADMIN_RIGHTS)
        if unknown:
            raise ValueError(f"unknown administrator rights: {sorted(unknown)}")
        member |= {"can_be_edited": False, "is_anonymous": False}
        member |= {right: bool((rights or {}).get(right, False)) for right in ADMIN_RIGHTS}
    elif status == "kicked":
        member["until_date"] = 0
    elif status not in ("member", "left"):
        raise ValueError(f"unsupported member status {status!r}")
    return member


@dataclass
class Topic:
    """One forum topic; deleted topics stay here (``deleted=True``) so a test can see what happened."""

    message_thread_id: int
    name: str
    icon_color: int
    icon_custom_emoji_id: str | None
    creator_id: int
    root: dict  # the forum_topic_created service message that opens the topic
    closed: bool = False
    deleted: bool = False
    names: list[str] = field(default_factory=list)  # every name it had, oldest first

    def as_json(self) -> dict:
        topic: dict[str, Any] = {
            "message_thread_id": self.message_thread_id, "name": self.name, "icon_color": self.icon_color,
        }
        if self.icon_custom_emoji_id:
            topic["icon_custom_emoji_id"] = self.icon_custom_emoji_id
        return topic


@dataclass
class Group:
    chat_id: int
    title: str
    type: str  # "group" or "supergroup"
    is_forum: bool
    members: dict[int, dict] = field(default_factory=dict)  # user or bot id -> ChatMember JSON
    topics: dict[int, Topic] = field(default_factory=dict)
    history: dict[int, dict] = field(default_factory=dict)  # message id -> message JSON (deleted ones removed)
    recipients: dict[int, list[int]] = field(default_factory=dict)  # message id -> bots it was delivered to
    counter: itertools.count = field(default_factory=lambda: itertools.count(1))

    def chat_json(self) -> dict:
        chat: dict[str, Any] = {"id": self.chat_id, "title": self.title, "type": self.type}
        if self.is_forum:
            chat["is_forum"] = True
        return chat

    def next_message_id(self) -> int:
        return next(self.counter)

    def status(self, member_id: int) -> str:
        return self.members.get(member_id, {}).get("status", "left")

    def is_admin(self, member_id: int) -> bool:
        return self.status(member_id) in ("creator", "administrator")

    def has_right(self, member_id: int, right: str) -> bool:
        member = self.members.get(member_id, {})
        return member.get("status") == "creator" or bool(
            member.get("status") == "administrator" and member.get(right)
        )

    def live_topic(self, thread_id: int) -> Topic | None:
        topic = self.topics.get(thread_id)
        return topic if topic is not None and not topic.deleted else None
