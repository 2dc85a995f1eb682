"""The baseline: a bare python-telegram-bot bot that answers /start with a fixed text.

Run as its own process by the benchmarks (``python -m bench.bare_bot``), configured like ours through
TELEGRAM_BOT_TOKEN and TELEGRAM_API_URL, polling with the same settings as ``python -m bot run`` — or, with
WEBHOOK_URL, WEBHOOK_SECRET and WEBHOOK_LISTEN, on PTB's own webhook server (``run_webhook``).
"""

from __future__ import annotations

import os

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

BARE_TEXT = "Hello! This is a fixed reply."


async def on_start(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_chat.send_message(BARE_TEXT)


async def on_button(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup

    query = update.callback_query
    await query.answer()
    rows = [[InlineKeyboardButton(f"Option {i}", callback_data=f"t:{i}")] for i in range(3)]
    await query.edit_message_text(f"Fixed screen for {query.data}", reply_markup=InlineKeyboardMarkup(rows))


def main() -> None:
    base = os.environ["TELEGRAM_API_URL"].rstrip("/")
    application = (Application.builder().token(os.environ["TELEGRAM_BOT_TOKEN"]).base_url(base + "/bot")
                   .base_file_url(base + "/file/bot").build())
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
