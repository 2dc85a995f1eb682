"""/start (with an optional deep link to a topic) and /help."""

from __future__ import annotations

import re

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot.context import NavContext
from handlers.menu import command_lines, user_commands
from handlers.topics import send_topic, show_main_menu

_PAYLOAD_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def greeting(context: NavContext) -> str:
    return "\n\n".join([
        context._("<b>Hello! This is Asylum Navigator.</b>"),
        context._(
            "I help people going through the US asylum process, and their relatives: where you are now, what "
            "comes next, and where to get help. Short answers, each with its sources and the date it was checked."
        ),
        "⚖️ <i>" + context._("General information, not legal advice. For decisions about your case, "
                             "talk to a lawyer.") + "</i>",
        "🔒 " + context._(
            "I store only your Telegram id, your language and the reminders you set.\n"
            "Chats with bots are not end-to-end encrypted: do not send names, A-numbers or documents. /privacy"
        ),
    ]) + "\n\n"


async def on_start(update: Update, context: NavContext) -> None:
    payload = context.args[0] if context.args else ""
    if payload and _PAYLOAD_RE.match(payload) and payload != "start":
        if await send_topic(update, context, payload.lower(), new=True):
            return
    await show_main_menu(update, context, new=True, prefix=greeting(context))


async def on_help(update: Update, context: NavContext) -> None:
    text = "\n\n".join([
        "<b>" + context._("How to use the bot") + "</b>",
        context._("Press the buttons: start from where you are now, and each answer leads to the next step. "
                  "You can also type a question in a few words, for example «hearing moved»."),
        command_lines(context.locale, user_commands(context.desk is not None)),
        "<i>" + context._("General information, not legal advice.") + "</i>",
    ])
    await update.effective_chat.send_message(text, parse_mode="HTML")


def handlers() -> list[BaseHandler]:
    return [CommandHandler("start", on_start), CommandHandler("help", on_help)]
