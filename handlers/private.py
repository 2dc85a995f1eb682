"""Private features in private chats only.

Hearing dates, deletion prompts, moderation — none of it belongs in front of a whole group. Added to a group, the bot
answers a command addressed to it (or a reply to it) with one short "write to me in private" and a link that opens
the private chat, at most once a minute per group; everything else there is ignored, and a button pressed there
only gets a toast. The guard runs before every other handler (group ``GUARD_GROUP``) and stops the update.

Group chats where the bot works for the team (the help desk's staff group, once it exists) are listed by
:func:`team_chats` and pass through.
"""

from __future__ import annotations

import time

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, MessageEntity, Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, BaseHandler, TypeHandler

from bot.context import NavContext
from handlers.ui import ack

GUARD_GROUP = -100  # before every feature's handlers
REPLY_EVERY = 60.0  # seconds between two "write to me in private" replies in one group
_MAX_REMEMBERED = 4096
_last_reply: dict[int, float] = {}


def team_chats(context: NavContext) -> frozenset[int]:
    """Group chats the bot serves as such: the help desk's staff group, when the desk is on."""
    return frozenset({context.desk.chat_id}) if context.desk is not None else frozenset()


def pointer(context: NavContext) -> tuple[str, InlineKeyboardMarkup]:
    """"Write to me in private", with a button that opens the private chat."""
    link = f"https://t.me/{context.bot.username}"
    return (context._("I answer in private chats only, so that your dates and questions stay between us. "
                      "Write to me there:"),
            InlineKeyboardMarkup([[InlineKeyboardButton(context._("Open a private chat"), url=link)]]))


def _addressed_to_bot(update: Update, context: NavContext) -> bool:
    message = update.message
    if message is None:
        return False
    entities = message.entities or ()
    if any(e.type == MessageEntity.BOT_COMMAND and e.offset == 0 for e in entities):
        command = (message.text or "").split(maxsplit=1)[0]
        target = command.partition("@")[2]
        return not target or target.lower() == (context.bot.username or "").lower()
    replied = message.reply_to_message
    return replied is not None and replied.from_user is not None and replied.from_user.id == context.bot.id


def _may_reply(chat_id: int) -> bool:
    now = time.monotonic()
    if len(_last_reply) > _MAX_REMEMBERED:
        for key in [k for k, at in _last_reply.items() if now - at >= REPLY_EVERY]:
            del _last_reply[key]
    if now - _last_reply.get(chat_id, -REPLY_EVERY) < REPLY_EVERY:
        return False
    _last_reply[chat_id] = now
    return True


async def guard(update: Update, context: NavContext) -> None:
    chat = update.effective_chat
    if chat is None or chat.type == ChatType.PRIVATE or chat.id in team_chats(context):
        return  # on to the features
    if update.callback_query is not None:
        await ack(update, context._("I answer in private chats only."))
    elif _addressed_to_bot(update, context) and _may_reply(chat.id):
        text, markup = pointer(context)
        await update.message.reply_text(text, reply_markup=markup)
    raise ApplicationHandlerStop


def handlers() -> list[BaseHandler]:
    return [TypeHandler(Update, guard)]
