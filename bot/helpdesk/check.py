"""``python -m bot check`` for the help desk: the staff group exists, has topics, and the bot may run it."""

from __future__ import annotations

from telegram import Bot
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.config import Settings

NAME = "help desk"


async def check(settings: Settings) -> tuple[str, bool, str]:
    chat_id = settings.helpdesk_chat_id
    if chat_id is None:
        return NAME, True, "off (HELPDESK_CHAT_ID is not set)"
    if not settings.token:
        return NAME, False, "HELPDESK_CHAT_ID is set, but there is no TELEGRAM_BOT_TOKEN to check it with"
    try:
        async with Bot(settings.token, base_url=settings.bot_base_url) as bot:
            chat = await bot.get_chat(chat_id)
            member = await bot.get_chat_member(chat_id, bot.bot.id)
    except (Forbidden, BadRequest):
        return NAME, False, f"the bot is not in chat {chat_id} (add it, or check HELPDESK_CHAT_ID)"
    except TelegramError as exc:
        return NAME, False, f"could not ask Telegram ({type(exc).__name__})"
    problems = []
    if chat.type != "supergroup":
        problems.append("the chat is not a supergroup")
    if not chat.is_forum:
        problems.append("topics are off (turn on Topics in the group's settings)")
    if member.status != "administrator":
        problems.append("the bot is not an administrator")
    else:
        if not getattr(member, "can_manage_topics", False):
            problems.append("the bot may not manage topics")
        if not getattr(member, "can_delete_messages", False):
            problems.append("the bot may not delete messages (needed to delete withdrawn texts and old topics)")
    if problems:
        return NAME, False, f"chat {chat_id}: " + "; ".join(problems)
    return NAME, True, f"chat {chat_id}: a forum supergroup; the bot is an administrator that manages topics"
