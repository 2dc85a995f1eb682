"""Groups other than the staff forum: the bot leaves at once (and every group, when the desk is off).

People talk to the bot in private; volunteers in the one staff group. A group the bot is added to anywhere else
could expose who uses it, so it leaves on the "added" update, or on the first message it sees there.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import BaseHandler, ChatMemberHandler, MessageHandler, filters

from bot.context import NavContext

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


async def leave(update: Update, context: NavContext) -> None:
    try:
        await context.bot.leave_chat(update.effective_chat.id)
        log.info("left a %s the bot was added to", update.effective_chat.type)
    except TelegramError as exc:
        log.warning("could not leave a group (%s)", type(exc).__name__)


def make_on_member(desk_chat_id: int | None):
    async def on_my_member(update: Update, context: NavContext) -> None:
        change = update.my_chat_member
        status = change.new_chat_member.status
        if change.chat.id == desk_chat_id:
            if status != "administrator":
                log.error("staff group: the bot is now %s there; the desk needs it to be an administrator", status)
            return
        if change.chat.type != ChatType.PRIVATE and status in PRESENT:
            await leave(update, context)

    return on_my_member


def handlers(desk_chat_id: int | None) -> list[BaseHandler]:
    return [
        ChatMemberHandler(make_on_member(desk_chat_id), ChatMemberHandler.MY_CHAT_MEMBER),
        MessageHandler(ForeignChat(desk_chat_id), leave),
    ]
