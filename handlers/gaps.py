"""Moderators: what people ask that has no answer (/gaps), and teaching search their words.

- /gaps — the most frequent words of unanswered questions in the last 30 days (daily counts of dictionary words
  only; never a question as typed, never who asked);
- /questions SLUG — a topic's alternative questions (how people ask for it), with ids;
- /question_add SLUG ru|en TEXT — one more way of asking; /question_del ID;
- /synonym WORD = WORD = … — words that mean the same to a searcher; /synonyms; /synonym_del ID.
Every command checks the role (handlers/moderation.requires); the search index is rebuilt on the next question.
"""

from __future__ import annotations

import html

from sqlalchemy import select
from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot.context import NavContext
from bot.i18n import LOCALES
from bot.knowledge import questions
from bot.knowledge.questions import QUESTION_LIMIT
from bot.moderation import service as moderation
from bot.search.models import SearchSynonym
from bot.search.service import GAP_DAYS
from handlers.moderation.access import requires
from handlers.ui import show

MAX_SYNONYM_WORDS = 12
SYNONYM_WORD_LIMIT = 60


async def reply(update: Update, text: str) -> None:
    await show(update, text, None, new=True)


@requires()
async def on_gaps(update: Update, context: NavContext) -> None:
    gaps = await context.application.search.gaps(context.session)
    if not gaps:
        await reply(update, context._("No unanswered questions were counted in the last {days} days.", days=GAP_DAYS))
        return
    lines = [f"{i}. {html.escape(g.term.lstrip('@').replace('_', ' '))} — {g.count}" for i, g in enumerate(gaps, 1)]
    await reply(update, "\n".join([
        "<b>" + context._("Words of unanswered questions, last {days} days", days=GAP_DAYS) + "</b>",
        "<i>" + context._("Dictionary words only, counted per day; words seen once are not shown.") + "</i>",
        "", *lines,
    ]))


@requires()
async def on_questions(update: Update, context: NavContext) -> None:
    topic = await moderation.topic_any(context.session, context.args[0]) if context.args else None
    if topic is None:
        await reply(update, context._("Usage: /questions SLUG"))
        return
    rows = await questions.for_topic(context.session, topic.id)
    lines = [f"<code>{r.id}</code> [{r.locale}{'' if r.origin == 'pack' else ', ' + r.origin}] {html.escape(r.text)}"
             for r in rows]
    await reply(update, "\n".join([f"<b>{html.escape(topic.slug)}</b>", *(lines or ["—"])])[:4000])


@requires()
async def on_question_add(update: Update, context: NavContext) -> None:
    args = context.args or []
    topic = await moderation.topic_any(context.session, args[0]) if args else None
    text = " ".join(args[2:]).strip()
    if topic is None or len(args) < 3 or args[1] not in LOCALES or len(text) > QUESTION_LIMIT or "<" in text:
        await reply(update, context._("Usage: /question_add SLUG ru|en QUESTION (plain text, at most {n} characters)",
                                      n=QUESTION_LIMIT))
        return
    added = await questions.add(context.session, topic, args[1], text, update.effective_user.id)
    if added:
        await context.session.commit()
        await moderation.audit(context.session, update.effective_user.id, "question_add", topic.slug)
    await reply(update, context._("Added.") if added else context._("This topic already has that question."))


@requires()
async def on_question_del(update: Update, context: NavContext) -> None:
    question_id = _small_id(context.args)
    row = await questions.remove(context.session, question_id) if question_id is not None else None
    if row is None:
        await reply(update, context._("Usage: /question_del ID (the number /questions shows)"))
        return
    await context.session.commit()
    await moderation.audit(context.session, update.effective_user.id, "question_del", str(question_id))
    await reply(update, context._("Deleted."))


@requires()
async def on_synonym(update: Update, context: NavContext) -> None:
    raw = " ".join(context.args or [])
    words = [" ".join(w.split()) for w in raw.split("=") if w.strip()]
    if len(words) < 2 or len(words) > MAX_SYNONYM_WORDS or any(len(w) > SYNONYM_WORD_LIMIT or "<" in w for w in words):
        await reply(update, context._("Usage: /synonym WORD = WORD = … (2 to {n} words or short phrases)",
                                      n=MAX_SYNONYM_WORDS))
        return
    row = SearchSynonym(terms=words, author_id=update.effective_user.id)
    context.session.add(row)
    await context.session.commit()
    await moderation.audit(context.session, update.effective_user.id, "synonym_add", str(row.id))
    await reply(update, context._("Added: {words}", words=html.escape(" = ".join(words))))


@requires()
async def on_synonyms(update: Update, context: NavContext) -> None:
    rows = (await context.session.scalars(select(SearchSynonym).order_by(SearchSynonym.id))).all()
    lines = [f"<code>{r.id}</code> {html.escape(' = '.join(r.terms))}" for r in rows]
    await reply(update, "\n".join([
        "<b>" + context._("Synonyms added by moderators") + "</b>",
        context._("(The built-in list is bot/search/synonyms.yaml.)"), "", *(lines or ["—"]),
    ])[:4000])


@requires()
async def on_synonym_del(update: Update, context: NavContext) -> None:
    synonym_id = _small_id(context.args)
    row = await context.session.get(SearchSynonym, synonym_id) if synonym_id is not None else None
    if row is None:
        await reply(update, context._("Usage: /synonym_del ID (the number /synonyms shows)"))
        return
    await context.session.delete(row)
    await context.session.commit()
    await moderation.audit(context.session, update.effective_user.id, "synonym_del", str(synonym_id))
    await reply(update, context._("Deleted."))


def _small_id(args: list[str] | None) -> int | None:
    """A database id from a command argument: ASCII digits only, within 31 bits."""
    if not args or not (args[0].isascii() and args[0].isdigit()) or len(args[0]) > 9:
        return None
    return int(args[0])


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler("gaps", on_gaps),
        CommandHandler("questions", on_questions),
        CommandHandler("question_add", on_question_add),
        CommandHandler("question_del", on_question_del),
        CommandHandler("synonym", on_synonym),
        CommandHandler("synonyms", on_synonyms),
        CommandHandler("synonym_del", on_synonym_del),
    ]
