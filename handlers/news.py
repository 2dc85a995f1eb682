"""/news: opt in or out of rare news broadcasts (a rule changed, flights resumed). Off unless the person asks."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import users
from bot.context import NavContext
from bot.models import User
from handlers.topics import main_menu_button
from handlers.ui import ack, button, keyboard, show


async def on_news(update: Update, context: NavContext) -> None:
    await ack(update)
    user = await context.session.get(User, update.effective_user.id)
    subscribed = bool(user and user.news)
    text = "📰 " + context._(
        "News: a short message when something important changes — a rule, a court practice, removal flights. "
        "Rarely, and never about your own case.") + "\n\n" + (
        context._("You are subscribed.") if subscribed else context._("You are not subscribed."))
    toggle = (button(context._("Stop the news"), "news:off") if subscribed
              else button("✅ " + context._("Subscribe to the news"), "news:on"))
    await show(update, text, keyboard([[toggle], [main_menu_button(context)]]), new=update.callback_query is None)


async def on_toggle(update: Update, context: NavContext) -> None:
    await users.set_news(context.session, update.effective_user.id, update.callback_query.data == "news:on",
                         context.locale)
    await on_news(update, context)


def handlers() -> list[BaseHandler]:
    return [CommandHandler("news", on_news), CallbackQueryHandler(on_news, pattern=r"^news:menu$"),
            CallbackQueryHandler(on_toggle, pattern=r"^news:(on|off)$")]
