"""Inline mode: answerInlineQuery, checked as strictly as Telegram checks it.

At most 50 results with unique ids of 1–64 bytes; article results need a title and an input message whose text
is Telegram-valid (HTML subset, 1–4096 characters) with an inline keyboard checked like a message's; the results
button opens the bot with a start parameter of 1–64 characters ``A-Z a-z 0-9 _ -``; the query must be this bot's,
unanswered and fresh.
"""

from __future__ import annotations

import time
from typing import Any

from ..registry import method
from ..state import BotMessage, BotState, InlineAnswer, World
from ..validation import (
    MAX_CAPTION,
    QUERY_TOO_OLD,
    ApiError,
    as_bool,
    bad,
    check_markup,
    check_start_parameter,
    opt_int,
    parse_text,
    required,
)

INLINE_QUERY_TTL = 10.0  # Telegram drops an inline query's answer after about ten seconds
MAX_RESULTS = 50
RESULT_TYPES = {
    "article", "photo", "gif", "mpeg4_gif", "video", "audio", "voice", "document", "location", "venue",
    "contact", "game", "sticker",
}
# Inline messages are posted by the person, not in a chat with the bot: these buttons cannot work there.
FORBIDDEN_BUTTONS = ("web_app", "request_contact", "request_location", "request_poll")


def _parse_error(what: str) -> ApiError:
    return bad(f"can't parse inline query result: {what}")


def _check_content(content: Any) -> BotMessage | None:
    """An InputMessageContent; returns the text message it would post (None for locations, contacts...)."""
    if not isinstance(content, dict):
        raise _parse_error("Field \"input_message_content\" must be of type Object")
    if "message_text" in content:
        text, entities, mode = parse_text(
            content, "message_text", empty="MESSAGE_EMPTY", too_long="MESSAGE_TOO_LONG"
        )
        return BotMessage(message_id=0, chat_id=0, text=text, html=str(content["message_text"]), parse_mode=mode,
                          reply_markup=None, entities=entities)
    if "latitude" in content and "longitude" in content:
        return None
    if "phone_number" in content and "first_name" in content:
        return None
    if "payload" in content and "prices" in content:
        return None
    raise _parse_error("Can't parse input message content")


def _check_result(result: Any, seen: set[str]) -> tuple[dict, BotMessage | None]:
    if not isinstance(result, dict):
        raise _parse_error("Object expected")
    kind = result.get("type")
    if kind is None:
        raise _parse_error("Can't find field \"type\"")
    if kind not in RESULT_TYPES:
        raise bad("RESULT_TYPE_INVALID")
    if "id" not in result:
        raise _parse_error("Can't find field \"id\"")
    result_id = result["id"]
    if not isinstance(result_id, str):
        raise _parse_error("Field \"id\" must be of type String")
    if not 1 <= len(result_id.encode("utf-8")) <= 64:
        raise bad("RESULT_ID_INVALID")
    if result_id in seen:
        raise bad("RESULT_ID_DUPLICATE")
    seen.add(result_id)
    markup = check_markup(result.get("reply_markup"), inline_only=True)
    for row in (markup or {}).get("inline_keyboard", []):
        if any(key in button for button in row for key in FORBIDDEN_BUTTONS):
            raise bad("BUTTON_TYPE_INVALID")
    message = None
    if kind == "article":
        if not isinstance(result.get("title"), str) or not result["title"].strip():
            raise _parse_error("Can't find field \"title\"" if "title" not in result else "RESULT_TITLE_EMPTY")
        if "input_message_content" not in result:
            raise _parse_error("Can't find field \"input_message_content\"")
    if "input_message_content" in result:
        message = _check_content(result["input_message_content"])
    elif result.get("caption") is not None:
        parse_text(result, "caption", entities_key="caption_entities", limit=MAX_CAPTION,
                   empty="MESSAGE_EMPTY", too_long="MEDIA_CAPTION_TOO_LONG")
    if message is not None:
        message.reply_markup = markup
    return result, message


def _check_button(params: dict) -> dict | None:
    button = params.get("button")
    if button is None and params.get("switch_pm_text"):  # the pre-6.7 form of the same button
        button = {"text": params["switch_pm_text"], "start_parameter": params.get("switch_pm_parameter")}
    if button is None or button == "":
        return None
    if not isinstance(button, dict):
        raise bad("can't parse button JSON object")
    if not isinstance(button.get("text"), str) or not button["text"].strip():
        raise bad("BUTTON_TEXT_INVALID")
    if ("start_parameter" in button) == ("web_app" in button):
        raise bad("can't parse InlineQueryResultsButton: exactly one of start_parameter and web_app is required")
    if "start_parameter" in button:
        check_start_parameter(button["start_parameter"])
    elif not isinstance(button["web_app"], dict) or not str(button["web_app"].get("url", "")).startswith("https://"):
        raise bad("BUTTON_URL_INVALID")
    return button


@method("answerInlineQuery")
async def answer_inline_query(world: World, bot: BotState, params: dict) -> bool:
    query_id = str(required(params, "inline_query_id"))
    query = world.inline_queries.get(query_id)
    if (
        query is None or query["bot_id"] != bot.bot_id or query["answer"] is not None
        or time.monotonic() - query["created"] > INLINE_QUERY_TTL
    ):
        raise ApiError(400, QUERY_TOO_OLD)
    results = params.get("results")
    if not isinstance(results, list):
        raise bad("results is required" if results is None else "can't parse results JSON object")
    if len(results) > MAX_RESULTS:
        raise bad("RESULTS_TOO_MUCH")
    seen: set[str] = set()
    checked = [_check_result(result, seen) for result in results]
    button = _check_button(params)
    cache_time = max(0, opt_int(params, "cache_time", 300) or 0)
    next_offset = str(params.get("next_offset") or "")
    if len(next_offset.encode("utf-8")) > 64:
        raise bad("NEXT_OFFSET_INVALID")
    query["answer"] = InlineAnswer(
        query_id=query_id, results=[r for r, _ in checked],
        messages={r["id"]: m for r, m in checked if m is not None},
        cache_time=cache_time, is_personal=as_bool(params.get("is_personal")),
        next_offset=next_offset, button=button,
    )
    bot.inline_answers.append(params)
    return True
