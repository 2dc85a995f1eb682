"""Messages in chats: send, edit, delete, chat actions and callback-query answers."""

from __future__ import annotations

import time

from ..registry import method
from ..state import BotMessage, BotState, World
from ..validation import (
    CALLBACK_TTL,
    CHAT_ACTIONS,
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


@method("sendMessage")
async def send_message(world: World, bot: BotState, params: dict) -> dict:
    chat_id = world.chat_id(bot, params)
    text, entities, mode = parse_text(params)
    markup = check_markup(params.get("reply_markup"))
    reply_to = None
    reply = params.get("reply_parameters") or (
        {"message_id": params["reply_to_message_id"]} if params.get("reply_to_message_id") else None
    )
    if isinstance(reply, dict) and reply.get("message_id") is not None:
        reply_to = bot.chat_history.get((chat_id, as_int(reply["message_id"], "message_id")))
        if reply_to is None and not as_bool(reply.get("allow_sending_without_reply")):
            raise bad("message to be replied not found")
    msg = BotMessage(
        message_id=bot.next_message_id(chat_id), chat_id=chat_id, text=text, html=str(params["text"]),
        parse_mode=mode, reply_markup=markup, entities=entities, bot_id=bot.bot_id,
    )
    bot.messages[(chat_id, msg.message_id)] = msg
    world.chat_messages.setdefault(chat_id, []).append(msg)
    result = world.message_dict(bot, msg)
    bot.chat_history[(chat_id, msg.message_id)] = result
    if reply_to:
        result = result | {"reply_to_message": reply_to}
    return result


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
    return world.message_dict(bot, msg)


@method("deleteMessage")
async def delete_message(world: World, bot: BotState, params: dict) -> bool:
    msg = world.find_message(bot, params, "message to delete not found")
    msg.deleted = True
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
