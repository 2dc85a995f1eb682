"""Everything no feature claimed: free-text questions, media, unknown commands and stale buttons.

Registered last, in the same group as the features (0), so a feature's handler always wins and at most one
handler answers each update.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, MessageHandler, filters

from bot.context import NavContext
from bot.knowledge import service
from handlers.topics import main_menu_button, show_main_menu
from handlers.ui import ack, button, keyboard, show

MAX_QUERY = 500


async def on_text(update: Update, context: NavContext) -> None:
    """A question in the user's own words: answer with the reviewed topics that fit, never with generated text."""
    query = update.effective_message.text or ""
    links = await service.search(context.session, context.locale, query[:MAX_QUERY])
    if links:
        rows = [[button(link.title, f"t:{link.slug}")] for link in links] + [[main_menu_button(context)]]
        await show(update, context._("These answers may help:"), keyboard(rows), new=True)
        return
    await show(update, context._(
        "I did not find an answer to that. Try a few other words, or choose your situation in the menu."
    ) + "\n\n" + context._("For a question about your own case, talk to a lawyer: /start → «Free lawyers»."),
        keyboard([[main_menu_button(context)]]), new=True)


async def on_unknown_command(update: Update, context: NavContext) -> None:
    await show(update, context._("I don't know this command. /start opens the menu, /help shows all commands."),
               keyboard([[main_menu_button(context)]]), new=True)


async def on_media(update: Update, context: NavContext) -> None:
    await show(update, context._(
        "I can only read text and button presses. Type a short question or choose from the menu."
    ), keyboard([[main_menu_button(context)]]), new=True)


async def on_document(update: Update, context: NavContext) -> None:
    await show(update, "⚠️ " + context._(
        "Please don't send documents or photos of documents here. Chats with bots are not end-to-end "
        "encrypted, and phones get searched. Delete that message if it shows a name or an A-number."
    ) + "\n\n" + context._("I can only read text and button presses. Type a short question or choose from the menu."),
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
        MessageHandler(private & filters.TEXT, on_text),
        MessageHandler(private & ~filters.StatusUpdate.ALL, on_media),
        CallbackQueryHandler(on_stale_button),
    ]
