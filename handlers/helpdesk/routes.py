"""The desk's handlers in the order ``handlers.register_all`` adds them.

1. ``foreign`` (before the private-chats guard): any other group is left; ``staff``: updates from the staff
   forum go to the desk and nowhere else.
2. ``forms``: the /ask conversation (it owns free text while it waits for the question).
3. ``handlers``: /mytickets and the buttons, then a person's free text while a ticket is open (after every form,
   before search).
"""

from __future__ import annotations

import logging

from telegram import BotCommand, BotCommandScopeChat
from telegram.error import TelegramError
from telegram.ext import BaseHandler

from bot.i18n import N_, translator
from handlers.helpdesk import ask, followup, mine, staff_commands
from handlers.helpdesk import groups as foreign_groups
from handlers.helpdesk import staff as staff_handlers

log = logging.getLogger(__name__)

# The staff group's own command menu ("/" in that chat).
STAFF_COMMANDS = (
    ("answer", N_("Send a reviewed answer to the person: /answer SLUG")),
    ("note", N_("A note for volunteers only: /note TEXT")),
    ("close", N_("Close this ticket (the person is told)")),
    ("reopen", N_("Reopen this ticket")),
    ("ban", N_("Stop this person writing to the desk: /ban REASON")),
    ("unban", N_("Lift a ban set from this ticket")),
    ("desk", N_("Open tickets and answer times")),
)


def foreign(application) -> list[BaseHandler]:
    """Any group but the staff forum: a pointer to the private chat, then the bot leaves (before the guard)."""
    desk = application.desk
    return foreign_groups.handlers(desk.chat_id if desk else None)


def staff(application) -> list[BaseHandler]:
    """Every update from the staff forum (the private-chats guard lets only it through)."""
    desk = application.desk
    return staff_handlers.handlers(desk, staff_commands.handlers(desk)) if desk is not None else []


def forms(application) -> list[BaseHandler]:
    return [ask.conversation()] if application.desk is not None else []


def handlers(application) -> list[BaseHandler]:
    desk = application.desk
    return [*mine.handlers(), *followup.handlers(desk)] if desk is not None else []


async def on_startup(application) -> None:
    desk = application.desk
    if desk is None:
        return
    t = translator(desk.locale)
    commands = [BotCommand(name, t._(text)) for name, text in STAFF_COMMANDS]
    try:
        await application.bot.set_my_commands(commands, scope=BotCommandScopeChat(desk.chat_id))
    except TelegramError as exc:  # not in the group yet: `python -m bot check` says so
        log.warning("staff group menu not set (%s)", type(exc).__name__)
