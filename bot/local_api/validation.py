"""Telegram's rules, as the real Bot API applies them: errors, parameter coercion, limits, markup and HTML.

HTML is parsed by :mod:`bot.telegram_html` (the same parser the bot's own checks use), never duplicated here.
"""

from __future__ import annotations

import itertools
import json
import re
from http import HTTPStatus
from typing import Any

from bot.telegram_html import HtmlEntityError, parse_telegram_html, utf16_len

TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]{20,}$")
COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
START_PARAM_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
BLOCKED = "Forbidden: bot was blocked by the user"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
CALLBACK_TTL = 15 * 60
MAX_TEXT = 4096
MAX_CAPTION = 1024
# PTB sends these as JSON-encoded strings inside form data.
JSON_KEYS = {
    "reply_markup", "entities", "caption_entities", "commands", "scope", "link_preview_options",
    "allowed_updates", "reply_parameters", "results", "button", "menu_button", "media", "options",
    "explanation_entities", "input_message_content", "rights", "reaction",
}
BUTTON_ACTIONS = (
    "callback_data", "url", "switch_inline_query", "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat", "copy_text", "login_url", "web_app", "callback_game", "pay",
)
CHAT_ACTIONS = {
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
}


class ApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.retry_after = code, description, retry_after


def bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


def http_reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


# -- parameter coercion: form data carries everything as strings, JSON bodies carry real types -------------
def decode_json_params(params: dict) -> dict:
    for key in JSON_KEYS & params.keys():
        if isinstance(params[key], str):
            try:
                params[key] = json.loads(params[key])
            except ValueError:
                what = "reply keyboard markup" if key == "reply_markup" else key
                raise bad(f"can't parse {what} JSON object") from None
    return params


def required(params: dict, key: str) -> Any:
    value = params.get(key)
    if value is None or value == "":
        raise bad(f"{key} is required")
    return value


def as_int(value: Any, key: str) -> int:
    if isinstance(value, bool):
        raise bad(f"{key} must be an integer")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad(f"{key} must be an integer") from None


def opt_int(params: dict, key: str, default: int | None = None) -> int | None:
    value = params.get(key)
    return default if value is None or value == "" else as_int(value, key)


def as_bool(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() in ("true", "1")) or value == 1


# -- message content -------------------------------------------------------------------------------------
def markup_key(markup: dict | None) -> str:
    """A comparable form of a reply markup (no keyboard and an empty inline keyboard are the same)."""
    if not markup or markup.get("inline_keyboard") == []:
        return "null"
    return json.dumps(markup, sort_keys=True)


def parse_text(
    params: dict, key: str = "text", *, entities_key: str = "entities", limit: int = MAX_TEXT,
    empty: str = "message text is empty", too_long: str = "message is too long",
) -> tuple[str, list[dict], str | None]:
    """Text, entities and parse mode of ``params[key]`` (with ``parse_mode`` and ``entities_key``), as Telegram
    reads them: HTML must be Telegram's subset, and the visible text 1–``limit`` UTF-16 units."""
    if params.get(key) is None:
        raise bad(f"{key} is required")
    raw = str(params[key])
    mode = params.get("parse_mode") or None
    entities = params.get(entities_key) or []
    if mode is not None:
        if mode.lower() == "html":
            try:
                text, entities = parse_telegram_html(raw)
            except HtmlEntityError as exc:
                raise bad(f"can't parse entities: {exc.reason}") from None
        elif mode.lower() in ("markdownv2", "markdown"):
            text = raw  # plain length check only; MarkdownV2 is not parsed here
        else:
            raise bad("unsupported parse_mode")
    else:
        text = raw
    if not text.strip():
        raise bad(empty)
    if utf16_len(text) > limit:
        raise bad(too_long)
    return text, entities, mode


def check_start_parameter(value: Any) -> str:
    """A deep-link start parameter: 1–64 characters of ``A-Z a-z 0-9 _ -``."""
    if value is None or value == "":
        raise bad("START_PARAM_EMPTY")
    if not isinstance(value, str) or not START_PARAM_RE.fullmatch(value):
        raise bad("START_PARAM_INVALID")
    return value


def check_markup(markup: Any, *, inline_only: bool = False) -> dict | None:
    if markup is None or markup == "":
        return None
    if not isinstance(markup, dict):
        raise bad("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad("can't parse inline keyboard button: field \"inline_keyboard\" must be an Array")
        if sum(len(r) for r in rows) > 100:
            raise bad("reply markup is too long")
        for button in itertools.chain.from_iterable(rows):
            if not isinstance(button, dict) or not str(button.get("text") or "").strip():
                raise bad("can't parse inline keyboard button: Text must be non-empty")
            actions = [key for key in BUTTON_ACTIONS if key in button]
            if len(actions) != 1:
                raise bad("can't parse inline keyboard button: exactly one optional field is required")
            if "callback_data" in button:
                data = button["callback_data"]
                if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
                    raise bad("BUTTON_DATA_INVALID")
            if "url" in button:
                url = str(button["url"])
                if not re.match(r"^(https?://[^\s/?#]+|tg://\S+)\S*$", url, re.IGNORECASE):
                    raise bad(f"inline keyboard button URL '{url}' is invalid")
        return markup
    if inline_only:
        raise bad("inline keyboard expected")
    if "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad("can't parse reply keyboard markup JSON object")
        for button in itertools.chain.from_iterable(rows):
            text = button.get("text") if isinstance(button, dict) else button
            if not isinstance(text, str) or not text.strip():
                raise bad("keyboard button text must be non-empty")
        return markup
    if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
        return markup
    raise bad("can't parse reply keyboard markup JSON object")
