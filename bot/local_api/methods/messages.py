"""Messages in chats: send, edit, delete, chat actions and callback-query answers."""

from __future__ import annotations

import time

from ..groups import CONTENT_KEYS
from ..registry import method
from ..state import BotMessage, BotState, World
from ..validation import (
    CALLBACK_TTL,
    CHAT_ACTIONS,
    MAX_CAPTION,
    NOT_MODIFIED,
    QUERY_TOO_OLD,
    ApiError,
    as_bool,
    as_int,
    bad,
    check_markup,
    markup_key,
    opt_int,
    parse_text,
    required,
)


def _maybe_int(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _reply_target(world: World, bot: BotState, chat_id: int, params: dict) -> dict | None:
    reply = params.get("reply_parameters") or (
        {"message_id": params["reply_to_message_id"]} if params.get("reply_to_message_id") else None
    )
    if not isinstance(reply, dict) or reply.get("message_id") is None:
        return None
    reply_to = world.history_message(bot, chat_id, as_int(reply["message_id"], "message_id"))
    if reply_to is None and not as_bool(reply.get("allow_sending_without_reply")):
        raise bad("message to be replied not found")
    return reply_to


@method("sendMessage")
async def send_message(world: World, bot: BotState, params: dict) -> dict:
    chat_id = world.chat_id(bot, params)
    text, entities, mode = parse_text(params)
    markup = check_markup(params.get("reply_markup"))
    reply_to = _reply_target(world, bot, chat_id, params)
    thread_id = world.thread_for_send(bot, chat_id, params, reply_to)
    msg = BotMessage(
        message_id=world.next_message_id(bot, chat_id), chat_id=chat_id, text=text, html=str(params["text"]),
        parse_mode=mode, reply_markup=markup, entities=entities, bot_id=bot.bot_id, message_thread_id=thread_id,
    )
    return world.record_bot_message(bot, msg, reply_to)


@method("copyMessage")
async def copy_message(world: World, bot: BotState, params: dict) -> dict:
    """A copy without the "forwarded" header: text keeps its entities; media keep or replace their caption."""
    chat_id = world.chat_id(bot, params)
    from_chat_id = world.chat_id(bot, params, check_blocked=False, key="from_chat_id")
    source = world.history_message(bot, from_chat_id, as_int(required(params, "message_id"), "message_id"))
    if source is None:
        raise bad("message to copy not found")
    kind = next((key for key in CONTENT_KEYS if key in source), None)
    if kind is None:
        raise bad("message can't be copied")
    markup = check_markup(params.get("reply_markup"))
    reply_to = _reply_target(world, bot, chat_id, params)
    thread_id = world.thread_for_send(bot, chat_id, params, reply_to)
    if kind == "text":
        text, entities, mode, media = source["text"], source.get("entities", []), None, None
    elif params.get("caption") is not None:
        text, entities, mode = parse_text(params, "caption", entities_key="caption_entities", limit=MAX_CAPTION,
                                          empty="message caption is empty", too_long="message caption is too long")
        media = source[kind]
    else:
        text, entities, mode, media = source.get("caption", ""), source.get("caption_entities", []), None, source[kind]
    msg = BotMessage(
        message_id=world.next_message_id(bot, chat_id), chat_id=chat_id, text=text, html=text, parse_mode=mode,
        reply_markup=markup, entities=list(entities), bot_id=bot.bot_id, message_thread_id=thread_id,
        content_type=kind, media=media,
    )
    world.record_bot_message(bot, msg, reply_to)
    return {"message_id": msg.message_id}


@method("editMessageText")
async def edit_message_text(world: World, bot: BotState, params: dict) -> dict | bool:
    if params.get("inline_message_id"):
        return True
    msg = world.find_message(bot, params, "message to edit not found")
    text, entities, mode = parse_text(params)
    markup = check_markup(params.get("reply_markup"), inline_only=True)
    if (text, entities, markup_key(markup)) == (msg.text, msg.entities, markup_key(msg.reply_markup)):
        raise ApiError(400, NOT_MODIFIED)
    msg.text, msg.entities, msg.html, msg.parse_mode = text, entities, str(params["text"]), mode
    msg.reply_markup = markup
    msg.edits += 1
    world.refresh_history(bot, msg)
    return world.message_dict(bot, msg)


@method("editMessageReplyMarkup")
async def edit_message_reply_markup(world: World, bot: BotState, params: dict) -> dict | bool:
    if params.get("inline_message_id"):
        return True
    msg = world.find_message(bot, params, "message to edit not found")
    markup = check_markup(params.get("reply_markup"), inline_only=True)
    if markup_key(markup) == markup_key(msg.reply_markup):
        raise ApiError(400, NOT_MODIFIED)
    msg.reply_markup = markup
    msg.edits += 1
    world.refresh_history(bot, msg)
    return world.message_dict(bot, msg)


@method("deleteMessage")
async def delete_message(world: World, bot: BotState, params: dict) -> bool:
    group = world.groups.get(_maybe_int(params.get("chat_id")))
    if group is not None:  # in a group an administrator bot may delete other people's messages too
        world.chat_id(bot, params)
        message_id = as_int(required(params, "message_id"), "message_id")
        if (group.chat_id, message_id) not in bot.messages and message_id in group.history:
            if not group.has_right(bot.bot_id, "can_delete_messages"):
                raise bad("message can't be deleted")
            group.history.pop(message_id)
            return True
    msg = world.find_message(bot, params, "message to delete not found")
    msg.deleted = True
    world.refresh_history(bot, msg)
    return True


@method("answerCallbackQuery")
async def answer_callback_query(world: World, bot: BotState, params: dict) -> bool:
    cq = world.callbacks.get(str(required(params, "callback_query_id")))
    if (
        cq is None or cq["bot_id"] != bot.bot_id or cq["answer"] is not None
        or time.monotonic() - cq["created"] > CALLBACK_TTL
    ):
        raise ApiError(400, QUERY_TOO_OLD)
    text = params.get("text")
    if text is not None and len(str(text)) > 200:
        raise bad("MESSAGE_TOO_LONG")
    cq["answer"] = {
        "text": text, "show_alert": as_bool(params.get("show_alert")), "url": params.get("url"),
        "cache_time": opt_int(params, "cache_time", 0),
    }
    return True


@method("sendChatAction")
async def send_chat_action(world: World, bot: BotState, params: dict) -> bool:
    world.chat_id(bot, params)
    if required(params, "action") not in CHAT_ACTIONS:
        raise bad("wrong parameter action in request")
    return True
