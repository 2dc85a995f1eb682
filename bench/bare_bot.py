"""The baseline: a bare python-telegram-bot bot that sends what ours sends, and nothing else.

The benchmarks first record the Bot API requests our bot made for one /start and for each button press (method
and parameters, as the local Bot API received them) and write them to a JSON file (:func:`write_payload`). Given
that file in ``BARE_PAYLOAD``, this bot answers every /start, and every press of a recorded ``callback_data``,
with the same requests — same text, parse mode, keyboard, link preview options, in the same order, one Bot API
call for each of ours — through PTB's own methods (``send_message``, ``answer_callback_query``,
``edit_message_text`` …), the PTB objects (keyboards, link preview options) built once at start-up. Only the
chat, the message and the callback query ids are the update's own. So the bare bot costs what python-telegram-bot
itself costs for the same traffic; what ours costs beyond that is what ours adds (database, user lookup, language,
ordering, rendering).

Without ``BARE_PAYLOAD`` it answers with a fixed short text (``bench.webhook`` measures memory, not speed).

Run as its own process by the benchmarks (``python -m bench.bare_bot``), configured like ours through
TELEGRAM_BOT_TOKEN and TELEGRAM_API_URL, polling with the same settings as ``python -m bot run`` — or, with
WEBHOOK_URL, WEBHOOK_SECRET and WEBHOOK_LISTEN, on PTB's own webhook server (``run_webhook``).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from telegram import (
    Bot,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    MessageEntity,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
    Update,
)
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

BARE_TEXT = "Hello! This is a fixed reply."
Call = tuple[str, dict]  # (Bot API method, parameters as the local Bot API received them)
# Parameters that name the update's own chat, message or callback query: replaced by the current update's.
OWN_IDS = ("chat_id", "message_id", "callback_query_id")


def write_payload(path: Path, start: list[Call], buttons: dict[str, list[Call]] | None = None) -> None:
    """The file ``BARE_PAYLOAD`` names: ``{"start": [[method, params], …], "buttons": {callback_data: […]}}``."""
    path.write_text(json.dumps({"start": start, "buttons": buttons or {}}, ensure_ascii=False))


def comparable(calls: list[Call]) -> list[tuple[str, str]]:
    """Calls without the update's own ids, as JSON keeping the order of the parameters and of the keys inside
    them (keyboards, link preview options) as they were sent: equal for ours and the bare bot when both sent the
    same bytes apart from those ids."""
    return [(method, json.dumps([(k, v) for k, v in params.items() if k not in OWN_IDS], ensure_ascii=False))
            for method, params in calls]


def _markup(data: dict) -> Any:
    if "inline_keyboard" in data:
        return InlineKeyboardMarkup.de_json(data, None)
    if "keyboard" in data:
        return ReplyKeyboardMarkup.de_json(data, None)
    if "remove_keyboard" in data:
        return ReplyKeyboardRemove.de_json(data, None)
    return ForceReply.de_json(data, None)


OBJECTS: dict[str, Callable[[Any], Any]] = {
    "reply_markup": _markup,
    "link_preview_options": lambda d: LinkPreviewOptions.de_json(d, None),
    "reply_parameters": lambda d: ReplyParameters.de_json(d, None),
    "entities": lambda d: MessageEntity.de_list(d, None),
}


class Prepared:
    """One recorded call, ready to send: the PTB method and its keyword arguments (PTB objects built once)."""

    def __init__(self, method: str, params: dict) -> None:
        self.method = method
        self.name = re.sub(r"(?<!^)(?=[A-Z])", "_", method).lower()  # sendMessage → send_message
        if not callable(getattr(Bot, self.name, None)):
            raise ValueError(f"the bare bot cannot replay {method}")
        self.kwargs = {k: OBJECTS[k](v) if k in OBJECTS and v is not None else v
                       for k, v in params.items() if k not in OWN_IDS}
        self.ids = [k for k in OWN_IDS if k in params]

    async def send(self, bot: Bot, chat_id: int, message_id: int | None = None, query_id: str | None = None) -> None:
        own = {"chat_id": chat_id, "message_id": message_id, "callback_query_id": query_id}
        await getattr(bot, self.name)(**{k: own[k] for k in self.ids}, **self.kwargs)


class Replayer:
    """Handlers that answer /start and button presses with the recorded calls."""

    def __init__(self, payload: dict) -> None:
        self.start = [Prepared(m, p) for m, p in payload["start"]]
        self.buttons = {data: [Prepared(m, p) for m, p in calls] for data, calls in payload["buttons"].items()}

    @classmethod
    def from_file(cls, path: str | Path) -> Replayer:
        return cls(json.loads(Path(path).read_text()))

    async def on_start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        for call in self.start:
            await call.send(context.bot, update.effective_chat.id)

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        calls = self.buttons.get(query.data)
        if calls is None:
            await query.answer()
            return
        for call in calls:
            await call.send(context.bot, update.effective_chat.id, query.message.message_id, query.id)

    def handlers(self) -> list:
        return [CommandHandler("start", self.on_start), CallbackQueryHandler(self.on_button)]


async def on_start(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_chat.send_message(BARE_TEXT)


async def on_button(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer()
    rows = [[InlineKeyboardButton(f"Option {i}", callback_data=f"t:{i}")] for i in range(3)]
    await query.edit_message_text(f"Fixed screen for {query.data}", reply_markup=InlineKeyboardMarkup(rows))


def main() -> None:
    base = os.environ["TELEGRAM_API_URL"].rstrip("/")
    builder = (Application.builder().token(os.environ["TELEGRAM_BOT_TOKEN"]).base_url(base + "/bot")
               .base_file_url(base + "/file/bot"))
    if os.environ.get("BARE_TRANSPORT") == "aiohttp":  # ours' transport, to see what our own layers cost on top of it
        from bot.http import AiohttpRequest

        builder = builder.request(AiohttpRequest())
    application = builder.build()
    if os.environ.get("BARE_PAYLOAD"):
        application.add_handlers(Replayer.from_file(os.environ["BARE_PAYLOAD"]).handlers())
    else:
        application.add_handler(CommandHandler("start", on_start))
        application.add_handler(CallbackQueryHandler(on_button))
    if os.environ.get("WEBHOOK_URL"):
        from urllib.parse import urlparse

        host, _, port = os.environ["WEBHOOK_LISTEN"].rpartition(":")
        application.run_webhook(listen=host, port=int(port), url_path=urlparse(os.environ["WEBHOOK_URL"]).path,
                                webhook_url=os.environ["WEBHOOK_URL"], secret_token=os.environ["WEBHOOK_SECRET"],
                                allowed_updates=Update.ALL_TYPES)
        return
    application.run_polling(allowed_updates=Update.ALL_TYPES, timeout=5)


if __name__ == "__main__":
    main()
