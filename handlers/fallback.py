"""Everything no feature claimed: media, unknown commands and stale buttons (questions: handlers/search.py).

Registered last, in the same group as the features (0), so a feature's handler always wins and at most one
handler answers each update.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, MessageHandler, filters

from bot.context import NavContext
from bot.i18n import N_
from handlers.topics import main_menu_button, show_main_menu
from handlers.ui import ack, keyboard, show

DOCUMENT_WARNING = N_(
    "Please don't send documents or photos of documents here. Chats with bots are not end-to-end "
    "encrypted, and phones get searched. Delete that message if it shows a name or an A-number."
)


async def on_unknown_command(update: Update, context: NavContext) -> None:
    await show(update, context._("I don't know this command. /start opens the menu, /help shows all commands."),
               keyboard([[main_menu_button(context)]]), new=True)


async def on_media(update: Update, context: NavContext) -> None:
    await show(update, context._(
        "I can only read text and button presses. Type a short question or choose from the menu."
    ), keyboard([[main_menu_button(context)]]), new=True)


async def on_document(update: Update, context: NavContext) -> None:
    await show(update, "⚠️ " + context._(DOCUMENT_WARNING) + "\n\n"
               + context._("I can only read text and button presses. Type a short question or choose from the menu."),
        keyboard([[main_menu_button(context)]]), new=True)


async def on_stale_button(update: Update, context: NavContext) -> None:
    await ack(update, context._("This button is out of date."))
    await show_main_menu(update, context, new=True,
                         prefix=context._("This menu was updated. Here is the current one.") + "\n\n")


def handlers() -> list[BaseHandler]:
    private = filters.ChatType.PRIVATE
    return [
        MessageHandler(private & filters.COMMAND, on_unknown_command),
        MessageHandler(private & (filters.Document.ALL | filters.PHOTO), on_document),
        MessageHandler(private & ~filters.StatusUpdate.ALL, on_media),
        CallbackQueryHandler(on_stale_button),
    ]
