"""/language: switch between Russian and English with two buttons; the choice is stored and wins from then on."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import users
from bot.context import NavContext
from handlers.topics import show_main_menu
from handlers.ui import ack, button, keyboard, show

CHOICES = (("ru", "🇷🇺 Русский"), ("en", "🇬🇧 English"))


async def on_language(update: Update, context: NavContext) -> None:
    await ack(update)
    rows = [[button(("✅ " if code == context.locale else "") + label, f"lang:{code}")] for code, label in CHOICES]
    await show(update, "🌐 Выберите язык / Choose your language", keyboard(rows))


async def on_choice(update: Update, context: NavContext) -> None:
    code = update.callback_query.data.removeprefix("lang:")
    await users.set_locale(context.session, update.effective_user.id, code)
    context.locale = code
    await ack(update, context._("Language: English"))
    await show_main_menu(update, context, prefix=context._("Language: English") + "\n\n")


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler("language", on_language),
        CallbackQueryHandler(on_language, pattern=r"^lang:menu$"),
        CallbackQueryHandler(on_choice, pattern=r"^lang:(ru|en)$"),
    ]
