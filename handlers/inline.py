"""Inline mode: ``@botname <question>`` in any chat offers reviewed answers to post there.

Each result is an answer: its title, a one-line snippet, the answer's own text (with its sources, review date and
"not legal advice") as the message, and a button that opens the topic in the bot through its deep link
(t.me/<bot>?start=<slug>). An empty query offers the most-read answers of the last 30 days. Results are the same
for everyone who types the same words (not personal) and cached briefly, because moderators edit texts.
Nothing about the query is stored: inline queries arrive letter by letter, so they are not counted for /gaps.
"""

from __future__ import annotations

import logging

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import BaseHandler, InlineQueryHandler

from bot.context import NavContext
from bot.knowledge import service
from bot.knowledge.render import MESSAGE_LIMIT, plain_length, render_answer
from bot.search.engine import NONE
from handlers.search import search_service, snippet_of

log = logging.getLogger(__name__)

CACHE_SECONDS = 60
MAX_RESULTS = 10
START_PARAMETER = "inline"  # the "open the bot" button above the results: /start inline → main menu


async def on_inline_query(update: Update, context: NavContext) -> None:
    inline_query = update.inline_query
    text = " ".join((inline_query.query or "").split())
    search = search_service(context)
    if text:
        result = await search.search(context.session, text, context.locale)
        slugs = [h.slug for h in result.hits] if result.band != NONE else []
    else:
        await search.refresh(context.session)
        slugs = search.most_read()
    results = []
    for slug in slugs[:MAX_RESULTS]:
        article = await answer_article(context, slug)
        if article is not None:
            results.append(article)
    label = context._("Open Asylum Navigator") if results else context._("No reviewed answer: open the bot")
    try:
        await inline_query.answer(results, cache_time=CACHE_SECONDS, is_personal=False,
                                  button=InlineQueryResultsButton(label, start_parameter=START_PARAMETER))
    except BadRequest as exc:  # the person typed on and the query expired: nothing to do
        log.info("inline answer refused: %s", type(exc).__name__)


async def answer_article(context: NavContext, slug: str) -> InlineQueryResultArticle | None:
    screen = await service.screen(context.lazy_session, slug, context.locale)
    if screen is None or screen.topic.kind != "answer":
        return None
    text = screen.text
    parts = render_answer(text.title, text.body, text.sources, text.reviewed_on, context.locale)
    message = parts[0]
    if len(parts) > 1:  # a long answer: its first part here, the whole of it one tap away
        note = "\n\n" + context._("The rest of this answer is in the bot: the button below opens it.")
        if plain_length(message + note) <= MESSAGE_LIMIT:
            message += note
    link = f"https://t.me/{context.bot.username}?start={slug}"
    return InlineQueryResultArticle(
        id=slug,
        title=text.title,
        description=snippet_of(context, slug) or None,
        input_message_content=InputTextMessageContent(message, parse_mode=ParseMode.HTML,
                                                      link_preview_options=LinkPreviewOptions(is_disabled=True)),
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("📖 " + context._("Open in the bot"), url=link)]]),
    )


def handlers() -> list[BaseHandler]:
    return [InlineQueryHandler(on_inline_query)]
