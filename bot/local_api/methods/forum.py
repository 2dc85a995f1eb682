"""Forum topics: createForumTopic, editForumTopic, closeForumTopic, reopenForumTopic, deleteForumTopic.

Rights as Telegram checks them: creating needs ``can_manage_topics``; editing, closing and reopening need it
too unless the bot created the topic; deleting needs ``can_delete_messages`` and takes every message of the
topic with it, after which sends to that thread fail with "message thread not found". Topic names are 1–128
characters (Telegram would cut a longer name; here it is an error, so the bot's own limit is tested).
"""

from __future__ import annotations

import time
from typing import Any

from ..groups import TOPIC_COLORS, Group, Topic
from ..registry import method
from ..state import BotState, World
from ..validation import as_int, bad, required

MAX_TOPIC_NAME = 128


def _forum(world: World, bot: BotState, params: dict) -> Group:
    chat_id = world.chat_id(bot, params)
    group = world.groups.get(chat_id)
    if group is None or not group.is_forum:
        raise bad("the chat is not a forum")
    return group


def _topic(group: Group, params: dict) -> Topic:
    topic = group.live_topic(as_int(required(params, "message_thread_id"), "message_thread_id"))
    if topic is None:
        raise bad("message thread not found")
    return topic


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise bad("TOPIC_TITLE_EMPTY")
    if len(name) > MAX_TOPIC_NAME:
        raise bad("TOPIC_NAME_INVALID")
    return name


def _may_manage(group: Group, bot: BotState, topic: Topic) -> None:
    if topic.creator_id != bot.bot_id and not group.has_right(bot.bot_id, "can_manage_topics"):
        raise bad("not enough rights to manage topics")


def _service(world: World, bot: BotState, group: Group, thread_id: int, kind: str, payload: dict) -> dict:
    """Post the service message Telegram shows for a topic change (forum_topic_created, _closed, ...)."""
    message_id = thread_id if kind == "forum_topic_created" else group.next_message_id()
    message = {
        "message_id": message_id, "from": bot.user, "chat": group.chat_json(), "date": int(time.time()),
        "message_thread_id": thread_id, "is_topic_message": True, kind: payload,
    }
    group.history[message_id] = message
    return message


@method("createForumTopic")
async def create_forum_topic(world: World, bot: BotState, params: dict) -> dict:
    group = _forum(world, bot, params)
    if not group.has_right(bot.bot_id, "can_manage_topics"):
        raise bad("not enough rights to create a topic")
    name = _check_name(params.get("name"))
    color = as_int(params.get("icon_color") or TOPIC_COLORS[0], "icon_color")
    if color not in TOPIC_COLORS:
        raise bad("TOPIC_COLOR_INVALID")  # only the six colours Telegram offers
    emoji = str(params.get("icon_custom_emoji_id") or "") or None
    thread_id = group.next_message_id()  # a topic's id is the id of the message that opens it
    created: dict[str, Any] = {"name": name, "icon_color": color} | (
        {"icon_custom_emoji_id": emoji} if emoji else {})
    root = _service(world, bot, group, thread_id, "forum_topic_created", created)
    topic = group.topics[thread_id] = Topic(
        message_thread_id=thread_id, name=name, icon_color=color, icon_custom_emoji_id=emoji,
        creator_id=bot.bot_id, root=root, names=[name],
    )
    return topic.as_json()


@method("editForumTopic")
async def edit_forum_topic(world: World, bot: BotState, params: dict) -> bool:
    group = _forum(world, bot, params)
    topic = _topic(group, params)
    _may_manage(group, bot, topic)
    name = _check_name(params["name"]) if params.get("name") else topic.name  # empty keeps the name
    emoji = topic.icon_custom_emoji_id
    if params.get("icon_custom_emoji_id") is not None:
        emoji = str(params["icon_custom_emoji_id"]) or None  # empty removes the icon
    if (name, emoji) == (topic.name, topic.icon_custom_emoji_id):
        raise bad("TOPIC_NOT_MODIFIED")
    edited: dict[str, Any] = {}
    if name != topic.name:
        edited["name"] = name
        topic.names.append(name)
    if emoji != topic.icon_custom_emoji_id:
        edited["icon_custom_emoji_id"] = emoji or ""
    topic.name, topic.icon_custom_emoji_id = name, emoji
    _service(world, bot, group, topic.message_thread_id, "forum_topic_edited", edited)
    return True


async def _set_closed(world: World, bot: BotState, params: dict, closed: bool) -> bool:
    group = _forum(world, bot, params)
    topic = _topic(group, params)
    _may_manage(group, bot, topic)
    if topic.closed == closed:
        raise bad("TOPIC_NOT_MODIFIED")
    topic.closed = closed
    _service(world, bot, group, topic.message_thread_id, "forum_topic_closed" if closed else "forum_topic_reopened",
             {})
    return True


@method("closeForumTopic")
async def close_forum_topic(world: World, bot: BotState, params: dict) -> bool:
    return await _set_closed(world, bot, params, True)


@method("reopenForumTopic")
async def reopen_forum_topic(world: World, bot: BotState, params: dict) -> bool:
    return await _set_closed(world, bot, params, False)


@method("deleteForumTopic")
async def delete_forum_topic(world: World, bot: BotState, params: dict) -> bool:
    group = _forum(world, bot, params)
    topic = _topic(group, params)
    if not group.has_right(bot.bot_id, "can_delete_messages"):
        raise bad("not enough rights to delete the topic")
    topic.deleted = True
    thread_id = topic.message_thread_id
    for message_id in [m for m, msg in group.history.items() if msg.get("message_thread_id") == thread_id]:
        del group.history[message_id]
    for msg in world.chat_messages.get(group.chat_id, []):
        if msg.message_thread_id == thread_id:
            msg.deleted = True
    return True
