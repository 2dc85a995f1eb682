"""A question in the user's own words → a reviewed answer, a short choice, or an honest "no answer".

Only reviewed texts are ever shown, never generated text. What the person wrote is not stored or logged: a
question with no answer leaves only daily counts of its dictionary words (bot/search/service.py, /gaps).

```mermaid
flowchart LR
    q[text, caption, forwarded or edited message] --> search{band}
    search -- confident --> answer[the answer itself] --> alt["Not what you asked? + 2 alternatives"]
    search -- unsure --> pick[up to 3 topics, one line each]
    search -- none --> none[no reviewed answer: menu, free lawyers, hotline, rephrase hint]
```
"""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton, Update
from telegram.ext import BaseHandler, MessageHandler, filters

from bot.context import NavContext
from bot.search.engine import CONFIDENT, NONE, Result
from bot.search.service import Search
from handlers.fallback import DOCUMENT_WARNING
from handlers.helpdesk.entry import ask_rows
from handlers.topics import main_menu_button, send_topic
from handlers.ui import button, keyboard, show

MAX_QUERY = 1000
ALTERNATIVES = 2
CHOICES = 3
# Shown when nothing fits: where a person can still get help today.
HELP_TOPICS = ("free-lawyers", "ice-line")


def search_service(context: NavContext) -> Search:
    return context.search


def title_of(context: NavContext, slug: str) -> str | None:
    document = search_service(context).document(slug)
    if document is None:
        return None
    return document.titles.get(context.locale) or next(iter(document.titles.values()), None)


def snippet_of(context: NavContext, slug: str) -> str:
    document = search_service(context).document(slug)
    if document is None:
        return ""
    return document.snippets.get(context.locale) or next(iter(document.snippets.values()), "")


def topic_buttons(context: NavContext, slugs, *, numbered: bool = False) -> list[list[InlineKeyboardButton]]:
    rows = []
    for i, slug in enumerate(slugs, start=1):
        title = title_of(context, slug)
        if title:
            rows.append([button((f"{i}. " if numbered else "➡️ ") + title, f"t:{slug}")])
    return rows


async def on_question(update: Update, context: NavContext) -> None:
    message = update.effective_message
    if message.photo or message.document:
        await show(update, "⚠️ " + context._(DOCUMENT_WARNING), None, new=True)
    query = (message.text or message.caption or "")[:MAX_QUERY]
    search = search_service(context)
    result = await search.search(context.session, query, context.locale)
    if result.band == CONFIDENT and await send_topic(update, context, result.hits[0].slug, new=True):
        alternatives = [h.slug for h in result.hits[1:1 + ALTERNATIVES]]
        rows = topic_buttons(context, alternatives)
        text = "🔎 " + context._("Not what you asked?") + " " + (
            context._("Maybe one of these:") if rows else context._("Try other words.")
        )
        await show(update, text, keyboard([*rows, [main_menu_button(context)]]), new=True)
    elif result.band != NONE and result.hits:
        await show_choices(update, context, result)
    else:
        await show_no_answer(update, context)
        await search.record_gap(context.session, result)


async def show_choices(update: Update, context: NavContext, result: Result) -> None:
    slugs = [h.slug for h in result.hits[:CHOICES] if title_of(context, h.slug)]
    lines = ["<b>" + context._("I am not sure which answer you need. Maybe one of these:") + "</b>"]
    for i, slug in enumerate(slugs, start=1):
        lines.append(f"{i}. <b>{html.escape(title_of(context, slug))}</b>\n<i>{html.escape(snippet_of(context, slug))}</i>")
    lines.append(context._("If none fits, try other words: a short question works best."))
    rows = topic_buttons(context, slugs, numbered=True)
    await show(update, "\n\n".join(lines), keyboard([*rows, [main_menu_button(context)]]), new=True)


def no_answer_buttons(context: NavContext) -> list[list[InlineKeyboardButton]]:
    """Where to go when the knowledge base has nothing: a volunteer first (when the help desk is on)."""
    return [*ask_rows(context), *topic_buttons(context, HELP_TOPICS), [main_menu_button(context)]]


async def show_no_answer(update: Update, context: NavContext) -> None:
    text = "\n\n".join([
        "<b>" + context._("I don't have a reviewed answer to this question.") + "</b>",
        context._("Try other words: a short question works best, for example «how to find a person in "
                  "detention» or «hearing moved». Or choose your situation in the main menu."),
        context._("For a question about your own case, talk to a lawyer; the free lawyers list and the ICE "
                  "detention hotline are below."),
    ])
    await show(update, text, keyboard(no_answer_buttons(context)), new=True)


def handlers() -> list[BaseHandler]:
    private = filters.ChatType.PRIVATE
    # Typed, forwarded and edited text, and captions; commands stay with their handlers and the fallbacks.
    text = (filters.TEXT & ~filters.COMMAND) | filters.CAPTION
    return [MessageHandler(private & text & (filters.UpdateType.MESSAGE | filters.UpdateType.EDITED_MESSAGE),
                           on_question)]
