"""/privacy (what is stored, and why a phone is a risk) and /delete_me (everything, after one confirmation)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import users
from bot.context import NavContext
from bot.helpdesk import service as helpdesk
from handlers.ui import ack, button, keyboard, show


async def on_privacy(update: Update, context: NavContext) -> None:
    text = "\n\n".join([
        "<b>" + context._("Privacy and safety") + "</b>",
        context._(
            "What I store: your Telegram id, the language you chose, roughly when you last used the bot, and the "
            "reminders you set (the kind of event, its date and court, for a deadline the date it counts from, and "
            "a short label if you gave one). "
            "Nothing else: no names, usernames, phone numbers or the text of your messages."
        ),
        context.ngettext(
            "Reminders are deleted {n} day after the event.",
            "Reminders are deleted {n} days after the event.",
            context.settings.retention_days,
        ) + " " + context._("/delete_me deletes everything at once."),
        *([desk_privacy(context)] if context.desk is not None else []),
        context._(
            "Chats with bots are not end-to-end encrypted, and phones may be searched at the US border, when "
            "entering detention and on arrival in Russia. Do not send names, A-numbers or documents here; "
            "delete this chat if it could put you at risk."
        ),
    ])
    await show(update, text, keyboard([[button("🗑 " + context._("Delete everything about me"), "del:ask")]]),
               new=True)


def desk_privacy(context: NavContext) -> str:
    return context.ngettext(
        "Questions to volunteers: your messages and their answers are kept until {n} day after the question is "
        "closed, then deleted. Volunteers never see your name, username, phone or Telegram id. If volunteers "
        "block someone for abuse, a one-way code of their Telegram id is kept so the block outlasts /delete_me.",
        "Questions to volunteers: your messages and their answers are kept until {n} days after the question is "
        "closed, then deleted. Volunteers never see your name, username, phone or Telegram id. If volunteers "
        "block someone for abuse, a one-way code of their Telegram id is kept so the block outlasts /delete_me.",
        context.settings.helpdesk_retention_days)


async def on_delete_me(update: Update, context: NavContext) -> None:
    await ack(update)
    text = context._(
        "This deletes everything the bot stores about you: your language and all your reminders. "
        "It cannot be undone. Delete?"
    ) if context.desk is None else context._(
        "This deletes everything the bot stores about you: your language, all your reminders and your questions "
        "to volunteers. It cannot be undone. Delete?")
    rows = [[button(context._("Yes, delete everything"), "del:yes")], [button(context._("Cancel"), "del:no")]]
    await show(update, text, keyboard(rows), new=update.callback_query is None)


async def on_confirm(update: Update, context: NavContext) -> None:
    await ack(update)
    user_id = update.effective_user.id
    # Questions to volunteers are withdrawn first (texts deleted, "ticket withdrawn" in the staff forum); the
    # walk over every table with a user_id column then removes the rest, the ticket → person link included.
    if context.desk is not None:
        await context.desk.withdraw(context.session, user_id)
    else:
        await helpdesk.withdraw_person(context.session, user_id)
    await users.delete_everything(context.session, user_id)
    context.user_data.clear()
    context.scope.user = None
    await show(update, "✅ " + context._(
        "Done: everything about you has been deleted. If you write to the bot again, it starts from scratch."
    ))


async def on_cancel(update: Update, context: NavContext) -> None:
    await ack(update)
    await show(update, context._("Nothing was deleted."))


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler("privacy", on_privacy),
        CommandHandler("delete_me", on_delete_me),
        CallbackQueryHandler(on_delete_me, pattern=r"^del:ask$"),
        CallbackQueryHandler(on_confirm, pattern=r"^del:yes$"),
        CallbackQueryHandler(on_cancel, pattern=r"^del:no$"),
    ]
