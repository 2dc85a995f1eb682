"""Chats and members: getChat, getChatMember, getChatAdministrators, getChatMemberCount, leaveChat, and
setMessageReaction."""

from __future__ import annotations

import time

from ..groups import CONTENT_KEYS, PRESENT, member_json
from ..registry import method
from ..state import BotState, World
from ..validation import as_int, bad, required

# The emoji a bot may react with (Bot API ReactionTypeEmoji); note that ✅ is not among them.
REACTION_EMOJI = frozenset(
    "❤ 👍 👎 🔥 🥰 👏 😁 🤔 🤯 😱 🤬 😢 🎉 🤩 🤮 💩 🙏 👌 🕊 🤡 🥱 🥴 😍 🐳 ❤\u200d🔥 🌚 🌭 💯 🤣 ⚡ 🍌 🏆 💔 🤨 😐 🍓 🍾 💋 🖕 "
    "😈 😴 😭 🤓 👻 👨\u200d💻 👀 🎃 🙈 😇 😨 🤝 ✍ 🤗 🫡 🎅 🎄 ☃ 💅 🤪 🗿 🆒 💘 🙉 🦄 😘 💊 🙊 😎 👾 🤷\u200d♂ 🤷 "
    "🤷\u200d♀ 😡".split()
)
# python-telegram-bot spells three of them with U+FE0F; accept that spelling too rather than fail a bot for it.
REACTION_EMOJI |= {"❤\ufe0f\u200d🔥", "🤷\u200d♂\ufe0f", "🤷\u200d♀\ufe0f"}
ACCEPTED_GIFTS = {"unlimited_gifts": False, "limited_gifts": False, "unique_gifts": False,
                  "premium_subscription": False, "gifts_from_channels": False}


@method("getChat")
async def get_chat(world: World, bot: BotState, params: dict) -> dict:
    chat_id = world.chat_id(bot, params, check_blocked=False)
    info = world.chat_dict(chat_id) | {"accent_color_id": 0, "max_reaction_count": 11,
                                       "accepted_gift_types": ACCEPTED_GIFTS}
    group = world.groups.get(chat_id)
    if group is not None:
        info["permissions"] = {"can_send_messages": True, "can_manage_topics": False}
    return info


def _user_json(world: World, user_id: int) -> dict:
    if user_id in world.users:
        return world.users[user_id]
    for other in world.bots.values():
        if other.bot_id == user_id:
            return other.user
    raise bad("user not found")


@method("getChatMember")
async def get_chat_member(world: World, bot: BotState, params: dict) -> dict:
    chat_id = world.chat_id(bot, params, check_blocked=False)
    user_id = as_int(required(params, "user_id"), "user_id")
    group = world.groups.get(chat_id)
    if group is None:
        if user_id not in (chat_id, bot.bot_id):
            raise bad("user not found")
        return member_json(_user_json(world, user_id), "member")
    if user_id in group.members:
        return group.members[user_id]
    return member_json(_user_json(world, user_id), "left")


@method("getChatAdministrators")
async def get_chat_administrators(world: World, bot: BotState, params: dict) -> list[dict]:
    chat_id = world.chat_id(bot, params, check_blocked=False)
    group = world.groups.get(chat_id)
    if group is None:
        raise bad("there are no administrators in the private chat")
    return [m for m in group.members.values() if m["status"] in ("creator", "administrator")]


@method("getChatMemberCount")
async def get_chat_member_count(world: World, bot: BotState, params: dict) -> int:
    chat_id = world.chat_id(bot, params, check_blocked=False)
    group = world.groups.get(chat_id)
    return 2 if group is None else sum(m["status"] in PRESENT for m in group.members.values())


@method("leaveChat")
async def leave_chat(world: World, bot: BotState, params: dict) -> bool:
    chat_id = world.chat_id(bot, params, check_blocked=False)
    group = world.groups.get(chat_id)
    if group is None:
        raise bad("chat member status can't be changed in private chats")
    old = group.members[bot.bot_id]
    new = group.members[bot.bot_id] = member_json(bot.user, "left")
    world.add_update(bot, "my_chat_member", {
        "chat": group.chat_json(), "from": bot.user, "date": int(time.time()),
        "old_chat_member": old, "new_chat_member": new,
    })
    return True


def _reaction_types(value: object) -> list[dict]:
    if value is None or value == "":
        return []
    if not isinstance(value, list):
        raise bad("expected an Array of ReactionType")
    reactions = []
    for item in value:
        if not isinstance(item, dict):
            raise bad("can't parse ReactionType: expected an Object")
        kind = item.get("type")
        if kind is None:
            raise bad("can't parse ReactionType: Can't find field \"type\"")
        if kind not in ("emoji", "custom_emoji"):
            raise bad("can't parse ReactionType: invalid reaction type specified")
        if kind == "custom_emoji":
            raise bad("REACTION_INVALID")  # bots have no custom emoji reactions
        if "emoji" not in item:
            raise bad("can't parse ReactionType: Can't find field \"emoji\"")
        if not isinstance(item["emoji"], str) or not item["emoji"]:
            raise bad("invalid reaction type specified")
        reactions.append({"type": "emoji", "emoji": item["emoji"]})
    return reactions


@method("setMessageReaction")
async def set_message_reaction(world: World, bot: BotState, params: dict) -> bool:
    reactions = _reaction_types(params.get("reaction"))
    chat_id = world.chat_id(bot, params)
    message_id = as_int(params.get("message_id") or 0, "message_id")
    message = world.history_message(bot, chat_id, message_id) if message_id > 0 else None
    if message is None:
        raise bad("message to react not found")
    if not any(key in message for key in CONTENT_KEYS):
        raise bad("REACTION_INVALID")  # service messages take no reactions
    if any(r["emoji"] not in REACTION_EMOJI for r in reactions):
        raise bad("REACTION_INVALID")
    if len(reactions) > 1:
        raise bad("REACTIONS_TOO_MANY")  # a bot, like a person without Premium, sets one reaction
    by_actor = world.reactions.setdefault((chat_id, message_id), {})
    if reactions:
        by_actor[bot.bot_id] = reactions
    else:
        by_actor.pop(bot.bot_id, None)
    return True
