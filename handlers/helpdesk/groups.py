"""Groups other than the staff forum: one "write to me in private", then the bot leaves (every group, when the
desk is off).

People talk to the bot in private; volunteers in the one staff group. A group the bot is added to anywhere else
could show who uses it, so the bot points the group to its private chat once and leaves at the "added" update,
or at the first update it sees there (if it was added while it was down). Runs before the private-chats guard
(``handlers.private``) and stops the update.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, BaseHandler, ChatMemberHandler, MessageHandler, filters

from bot.context import NavContext
from handlers.private import pointer

log = logging.getLogger(__name__)

PRESENT = ("member", "administrator", "restricted", "creator")


class ForeignChat(filters.UpdateFilter):
    """An update from a group, supergroup or channel that is not the staff group."""

    def __init__(self, desk_chat_id: int | None) -> None:
        super().__init__(name="ForeignChat")
        self.desk_chat_id = desk_chat_id

    def filter(self, update: Update) -> bool:
        chat = update.effective_chat
        return chat is not None and chat.type != ChatType.PRIVATE and chat.id != self.desk_chat_id


async def leave(update: Update, context: NavContext, *, say_why: bool = False) -> None:
    chat = update.effective_chat
    try:
        if say_why and chat.type != ChatType.CHANNEL:
            text, markup = pointer(context)
            await context.bot.send_message(chat.id, text, reply_markup=markup)
    except TelegramError as exc:  # not allowed to write there: leave all the same
        log.info("no pointer before leaving a group (%s)", type(exc).__name__)
    try:
        await context.bot.leave_chat(chat.id)
        log.info("left a %s the bot was added to", chat.type)
    except TelegramError as exc:
        log.warning("could not leave a group (%s)", type(exc).__name__)
    raise ApplicationHandlerStop


async def on_message(update: Update, context: NavContext) -> None:
    await leave(update, context)


def make_on_member(desk_chat_id: int | None):
    async def on_my_member(update: Update, context: NavContext) -> None:
        change = update.my_chat_member
        status = change.new_chat_member.status
        if change.chat.id == desk_chat_id:
            if status != "administrator":
                log.error("staff group: the bot is now %s there; the desk needs it to be an administrator", status)
            return
        if change.chat.type != ChatType.PRIVATE and status in PRESENT:
            await leave(update, context, say_why=True)

    return on_my_member


def handlers(desk_chat_id: int | None) -> list[BaseHandler]:
    return [
        ChatMemberHandler(make_on_member(desk_chat_id), ChatMemberHandler.MY_CHAT_MEMBER),
        MessageHandler(ForeignChat(desk_chat_id), on_message),
    ]
