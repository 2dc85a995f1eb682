"""/history, /rollback and /stale: what changed in a text, restoring an older revision, what needs a review."""

from __future__ import annotations

import html

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

import handlers.fallback as fallback
from bot.context import NavContext
from bot.knowledge.models import Topic, TopicRevision
from bot.moderation import service as moderation
from bot.moderation.service import Conflict, Invalid
from bot.validate import INT32_MAX, row_id, strict_int
from handlers.moderation.access import reasons, requires
from handlers.ui import ack, button, keyboard, show

STALE_MAX_DAYS = 3650


async def _topic_arg(update: Update, context: NavContext) -> Topic | None:
    topic = await moderation.topic_any(context.session, context.args[0]) if context.args else None
    if topic is None:
        await show(update, "⚠️ " + context._("No such topic. Use its slug, for example: {example}",
                                            example="/history acis"), new=True)
    return topic


def _locale_arg(context: NavContext, index: int) -> str:
    return context.args[index] if len(context.args) > index and context.args[index] in ("ru", "en") else "ru"


@requires()
async def on_history(update: Update, context: NavContext) -> None:
    topic = await _topic_arg(update, context)
    if topic is None:
        return
    locale = _locale_arg(context, 1)
    revisions = await moderation.history(context.session, topic, locale)
    lines = [f"<b>{html.escape(topic.slug)}/{locale}</b>"]
    restore = "\n" + context._("Restore one: /rollback {slug} {locale} N", slug=topic.slug, locale=locale)
    room = 4000 - len(lines[0]) - len(restore)  # whole revisions only: a cut could split a tag
    for newer, older in zip(revisions, [*revisions[1:], None], strict=True):
        block = _revision_block(context, newer, older)
        room -= sum(len(line) + 1 for line in block)
        if room < 0:
            lines.append("…")
            break
        lines += block
    lines.append(restore)
    await update.effective_chat.send_message("\n".join(lines), parse_mode=ParseMode.HTML)


def _revision_block(context: NavContext, newer: TopicRevision, older: TopicRevision | None) -> list[str]:
    """One revision in /history: who and when, then what changed since the one before (body lines, title,
    short version, sources)."""
    who = f"id {newer.author_id}" if newer.author_id else newer.origin
    block = [f"\n<b>r{newer.revision}</b> · {newer.created_at:%Y-%m-%d %H:%M} UTC · {html.escape(who)}"]
    if older is None:
        return block
    diff = moderation.short_diff(older.body, newer.body)
    changes = moderation.revision_changes(older, newer)
    if "title" in changes:
        diff.insert(0, "title: {} → {}".format(*(t[:30] for t in changes["title"])))
    if "short" in changes:
        old, new = (t[:40] + ("…" if len(t) > 40 else "") if t else "—" for t in changes["short"])
        diff.append("📋 " + context._("Short version: «{old}» → «{new}»", old=old, new=new))
    if "sources" in changes:
        diff.append("📚 " + context._("Sources changed ({old} → {new})", old=changes["sources"][0],
                                      new=changes["sources"][1]))
    return block + ([f"<code>{html.escape(line)}</code>" for line in diff] or ["<i>—</i>"])


@requires()
async def on_rollback(update: Update, context: NavContext) -> None:
    topic = await _topic_arg(update, context)
    if topic is None:
        return
    locale = _locale_arg(context, 1)
    revision = row_id(context.args[2]) if len(context.args) >= 3 else None
    if revision is None:
        await show(update, "⚠️ " + context._("Say which revision: /rollback {slug} {locale} N", slug=topic.slug,
                                            locale=locale), new=True)
        return
    current = await moderation.current_text(context.session, topic, locale)
    data = f"mr:{topic.id}:{locale}:{revision}:{current.revision if current else 0}"
    rows = [[button("↩️ " + context._("Restore revision {n}", n=revision), data)],
            [button("✖️ " + context._("Cancel"), "mr:no")]]
    await show(update, context._("Restore {slug}/{locale} to revision {n}? It becomes a new revision.",
                                 slug=topic.slug, locale=locale, n=revision), keyboard(rows), new=True)


@requires()
async def on_rollback_button(update: Update, context: NavContext) -> None:
    await ack(update)
    if update.callback_query.data == "mr:no":
        await show(update, context._("Cancelled. Nothing was published."))
        return
    _, topic_id, locale, revision, expected = update.callback_query.data.split(":")
    topic_id, revision, expected = row_id(topic_id), row_id(revision), strict_int(expected, lo=0, hi=INT32_MAX)
    topic = await context.session.get(Topic, topic_id) if topic_id is not None else None
    if topic is None or revision is None or expected is None:  # a forged button
        await fallback.on_stale_button(update, context)
        return
    try:
        text = await moderation.rollback(context.session, topic, locale, revision,
                                         author_id=update.effective_user.id, expected_revision=expected)
    except Conflict as conflict:
        await show(update, "⚠️ " + context._(
            "Someone else published revision {revision} meanwhile; nothing was changed. Look at /history again.",
            revision=conflict.current.revision))
        return
    except Invalid as invalid:
        await show(update, reasons(context, invalid.problems))
        return
    await show(update, "✅ " + context._("Restored as revision {revision}.", revision=text.revision))


@requires()
async def on_stale(update: Update, context: NavContext) -> None:
    days = context.settings.stale_after_days
    if context.args:
        days = strict_int(context.args[0], lo=1, hi=STALE_MAX_DAYS)
        if days is None:
            await show(update, "⚠️ " + context._("Say how many days, from 1 to {max}: /stale 90", max=STALE_MAX_DAYS),
                       new=True)
            return
    rows = await moderation.stale(context.session, days)
    if not rows:
        await show(update, "✅ " + context._("Every text was reviewed in the last {days} days.", days=days), new=True)
        return
    lines = ["<b>" + context.ngettext("{n} text not reviewed for more than {days} days:",
                                      "{n} texts not reviewed for more than {days} days:", len(rows), days=days)
             + "</b>"]
    lines += [f"{reviewed:%Y-%m-%d} · {html.escape(slug)}/{locale} · {html.escape(title)}"
              for slug, locale, title, reviewed in rows[:50]]
    if len(rows) > 50:
        lines.append(context._("…and {n} more. /stale DAYS narrows the list.", n=len(rows) - 50))
    await update.effective_chat.send_message("\n".join(lines)[:4000], parse_mode=ParseMode.HTML)


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler("history", on_history),
        CommandHandler("rollback", on_rollback),
        CallbackQueryHandler(on_rollback_button, pattern=r"^mr:(no|[0-9]{1,10}:(ru|en):[0-9]{1,10}:[0-9]{1,10})$"),
        CommandHandler("stale", on_stale),
    ]
