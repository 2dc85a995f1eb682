"""The volunteers' forum: a volunteer's message in a ticket's topic goes to the person; reviewed answers by
``/answer SLUG`` or the buttons of the topic's first post.

Only moderators (the existing roles) act here, and the role is checked at every message and every button; what
anyone else writes or presses is ignored. Every update from the staff group ends in this module's handlers, so no
other feature ever answers there. Volunteers never see who asks: the topic holds the ticket number, the language,
the category and the person's own words; the person never learns which volunteer answered.
"""

from __future__ import annotations

import html
import logging
import re

from telegram import Message, Update
from telegram.constants import ReactionEmoji
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.context import NavContext
from bot.helpdesk import buttons, posts, service
from bot.helpdesk.desk import Desk
from bot.helpdesk.models import ANSWER, CLOSED, WITHDRAWN, Ticket
from bot.knowledge import service as knowledge
from bot.knowledge.pack import SLUG_RE
from bot.moderation import service as moderation
from bot.telegram_html import HtmlEntityError, parse_telegram_html
from handlers.ui import ack

log = logging.getLogger(__name__)

# Room for the signature ("💬 Asylum Navigator volunteer · #123") in Telegram's 4,096 characters.
REPLY_LIMIT = 4000
_MENTION = re.compile(r'<a href="tg://user\?id=\d+">(.*?)</a>', re.DOTALL)
_CUSTOM_EMOJI = re.compile(r"<tg-emoji emoji-id=\"\d+\">(.*?)</tg-emoji>", re.DOTALL)


class InChat(CallbackQueryHandler):
    """A button pressed in one chat (the staff group) only."""

    def __init__(self, chat_id: int, callback, pattern: str | None = None) -> None:
        super().__init__(callback, pattern=pattern)
        self.chat_id = chat_id

    def check_update(self, update: object):
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None or chat.id != self.chat_id:
            return None
        return super().check_update(update)


async def is_volunteer(update: Update, context: NavContext) -> bool:
    """A moderator or admin, writing in the staff group (so a member of it). Checked at every step."""
    user = update.effective_user
    if user is None or user.is_bot:
        return False
    return await moderation.role(context.session, context.settings, user.id) is not None


async def refuse_command(update: Update, context: NavContext) -> None:
    """Someone without the role used a desk command: ignored, and only their id and the command audited."""
    words = (update.effective_message.text or "").split()
    what = words[0].split("@")[0][:32] if words else "command"
    await moderation.audit(context.session, update.effective_user.id, "refused", what)


async def reply(message: Message, text: str) -> None:
    try:
        await message.reply_text(text, parse_mode="HTML", disable_web_page_preview=True)
    except TelegramError as exc:
        log.warning("staff group reply failed (%s)", type(exc).__name__)


async def ticket_here(update: Update, context: NavContext) -> Ticket | None:
    """The ticket whose topic this message is in (None outside a ticket's topic)."""
    message = update.effective_message
    if not message.is_topic_message or message.message_thread_id is None:
        return None
    return await service.by_thread(context.session, message.message_thread_id)


def state_problem(context: NavContext, ticket: Ticket) -> str | None:
    """Why nothing can be sent to this ticket's person now."""
    if ticket.status == WITHDRAWN:
        return "🗑 " + context._("The person withdrew this ticket and deleted their data. Nothing was sent.")
    if ticket.status == CLOSED:
        return "🔒 " + context._("This ticket is closed. Nothing was sent; /reopen first to write to the person.")
    return None


def reply_html(message: Message) -> str:
    """The volunteer's formatting as Telegram HTML, without anything that would name someone to the person
    (a mention's user id) or that a bot cannot send (custom emoji)."""
    text = message.text_html
    text = _MENTION.sub(r"\1", text)
    text = _CUSTOM_EMOJI.sub(r"\1", text)
    try:
        parse_telegram_html(text)
    except HtmlEntityError:
        return html.escape(message.text or "")
    return text


async def on_topic_message(update: Update, context: NavContext) -> None:
    """A volunteer writes in a ticket's topic: the text goes to the person (👍 when delivered)."""
    if not await is_volunteer(update, context):
        return
    ticket = await ticket_here(update, context)
    if ticket is None:
        return  # a topic that is not a ticket: the volunteers' own
    message = update.effective_message
    problem = state_problem(context, ticket)
    if problem is None and not message.text:
        problem = "⚠️ " + context._("Only text reaches the person. Describe it in words, or send a link.")
    if problem is None and len(message.text) > REPLY_LIMIT:
        problem = "⚠️ " + context._("Too long for one message to the person: {length} characters, at most {limit}. "
                                    "Please split it.", length=len(message.text), limit=REPLY_LIMIT)
    if problem is not None:
        await reply(message, problem)
        return
    queued = await service.reply(context.session, ticket, reply_html(message), message.message_id)
    if queued is None:
        await reply(message, posts.notice("gone", context.locale))
        return
    log.info("ticket %s: a volunteer's reply queued", ticket.id)


async def on_edited(update: Update, context: NavContext) -> None:
    if not await is_volunteer(update, context) or await ticket_here(update, context) is None:
        return
    await reply(update.effective_message, "✏️ " + context._(
        "Edits do not reach the person. Send the correction as a new message."))


async def send_answer(update: Update, context: NavContext, ticket: Ticket, slug: str, group_message_id: int | None,
                      reply_to: Message | None) -> None:
    """Queue the reviewed answer ``slug`` for the ticket's person; ``reply_to``: where to say why not."""
    async def say(text: str) -> None:
        if reply_to is not None:
            await reply(reply_to, text)
        else:
            await context.desk.post(text, ticket.thread_id)

    problem = state_problem(context, ticket)
    topic = await knowledge.topic_by_slug(context.session, slug) if SLUG_RE.match(slug) else None
    if problem is None and (topic is None or topic.kind != "answer"):
        problem = "⚠️ " + context._("There is no reviewed answer «{slug}». The slugs are in the first post of the "
                                    "topic, or in /topics in a private chat with the bot.", slug=html.escape(slug))
    if problem is None and await service.answer_sent_recently(context.session, ticket.id, slug):
        problem = "ℹ️ " + context._("This answer was sent to the person a moment ago.")
    if problem is not None:
        await say(problem)
        return
    if group_message_id is None:  # a button: the bot's own line gets the 👍
        text = await knowledge.text_for(context.session, topic, context.desk.locale)
        group_message_id = await context.desk.post("📖 " + context._(
            "Sending the reviewed answer «{title}» to the person.", title=html.escape(text.title if text else slug)),
            ticket.thread_id)
    queued = await service.reply(context.session, ticket, slug, group_message_id or 0, author=ANSWER)
    if queued is None:
        await say(posts.notice("gone", context.locale))
        return
    log.info("ticket %s: a reviewed answer queued", ticket.id)


async def on_answer(update: Update, context: NavContext) -> None:
    if not await is_volunteer(update, context):
        return await refuse_command(update, context)
    message = update.effective_message
    ticket = await ticket_here(update, context)
    if ticket is None:
        return await reply(message, "ℹ️ " + context._("Use this inside a ticket's topic."))
    if not context.args:
        return await reply(message, context._("Usage: /answer SLUG (the slugs are in the topic's first post)."))
    await send_answer(update, context, ticket, context.args[0].lower()[:64], message.message_id, message)


async def on_answer_button(update: Update, context: NavContext) -> None:
    if not await is_volunteer(update, context):
        await ack(update)  # not for them: the spinner stops, nothing happens
        return
    ticket_id, slug = buttons.answer_of(update.callback_query.data)
    ticket = await context.session.get(Ticket, ticket_id)
    if ticket is None or ticket.purged:
        await ack(update, context._("This ticket no longer exists."))
        return
    await ack(update)
    await send_answer(update, context, ticket, slug, None, None)


async def on_note(update: Update, context: NavContext) -> None:
    """/note TEXT: stays in the topic, never sent; ✍ says so."""
    if not await is_volunteer(update, context):
        return await refuse_command(update, context)
    message = update.effective_message
    if not context.args:
        return await reply(message, context._("Usage: /note TEXT — a note for volunteers; the person never sees it."))
    try:
        await message.set_reaction(ReactionEmoji.WRITING_HAND)
    except TelegramError as exc:
        log.info("note reaction failed (%s)", type(exc).__name__)


async def ignore(update: Update, context: NavContext) -> None:
    """Everything else in the staff group: other features never answer there."""
    if update.callback_query is not None:
        await ack(update)


def handlers(desk: Desk, commands: list[BaseHandler]) -> list[BaseHandler]:
    here = filters.Chat(chat_id=desk.chat_id)
    new = here & filters.UpdateType.MESSAGE  # an edited command is not run again
    topic_text = new & filters.IS_TOPIC_MESSAGE & ~filters.COMMAND
    return [
        CommandHandler("answer", on_answer, filters=new),
        CommandHandler("note", on_note, filters=new),
        *commands,
        MessageHandler(topic_text & ~filters.StatusUpdate.ALL, on_topic_message),
        MessageHandler(here & filters.UpdateType.EDITED_MESSAGE & filters.IS_TOPIC_MESSAGE, on_edited),
        MessageHandler(here, ignore),
        InChat(desk.chat_id, on_answer_button, pattern=buttons.P_SEND_ANSWER),
        InChat(desk.chat_id, ignore),
    ]
