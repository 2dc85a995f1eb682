"""Moderation from Telegram: edit answers safely, history and rollback, review dates, roles, audit, broadcasts.

Only admins (ADMIN_IDS) and moderators see any of this. For everyone else a moderation command gets exactly the
ordinary "unknown command" reply (and a moderation button the ordinary "out of date" reply); the attempt is
written to the audit log as their id and the command, nothing else.

```mermaid
stateDiagram-v2
    [*] --> PICK: /edit (or /edit slug)
    PICK --> LOCALE: a topic
    LOCALE --> ACTION: ru / en — the current text is sent to copy
    ACTION --> TEXT: ✏️ text
    ACTION --> TITLE: 🏷 title
    ACTION --> SOURCES: 📚 sources
    ACTION --> [*]: ✅ still accurate (new revision, today's date)
    TEXT --> PREVIEW: formatted message → Telegram HTML
    TITLE --> PREVIEW
    SOURCES --> PREVIEW
    PREVIEW --> [*]: publish (refused if someone published meanwhile)
    PREVIEW --> ACTION: edit again
```
"""

from __future__ import annotations

import functools
import html
import re
import secrets
from dataclasses import dataclass, field
from datetime import date

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

import handlers.fallback as fallback
from bot.context import NavContext
from bot.db import utcnow
from bot.knowledge.models import Topic
from bot.knowledge.pack import valid_url
from bot.knowledge.render import human_date, render_answer, render_menu
from bot.moderation import broadcasts
from bot.moderation import service as moderation
from bot.moderation.service import ADMIN, Change, Conflict, Invalid
from handlers.menu import publish_team_menu
from handlers.ui import ack, button, form_button, keyboard, show

PICK, LOCALE, ACTION, TEXT, TITLE, SOURCES, PREVIEW = range(7)
B_RU, B_EN, B_PREVIEW = range(10, 13)
EDIT, CAST = "edit_draft", "broadcast_draft"
SOURCE_LINE = re.compile(r"^\s*(.+?)\s*\|\s*(\S+)\s*$")


def requires(level: str = "moderator"):
    """Refuse anyone below ``level`` exactly as an unknown command (or a stale button) would, and audit it."""

    def wrap(callback):
        @functools.wraps(callback)
        async def guarded(update: Update, context: NavContext):
            user_id = update.effective_user.id
            role = await moderation.role(context.session, context.settings, user_id)
            if role is None or (level == ADMIN and role != ADMIN):
                what = (update.effective_message.text or "").split()[0][:32] if update.message else "button"
                if update.callback_query:
                    what = update.callback_query.data.split(":")[0][:32]
                await moderation.audit(context.session, user_id, "refused", what)
                if update.callback_query:
                    await fallback.on_stale_button(update, context)
                else:
                    await fallback.on_unknown_command(update, context)
                return ConversationHandler.END
            return await callback(update, context)

        return guarded

    return wrap


def reasons(context: NavContext, problems: list[str]) -> str:
    messages = {
        "empty_title": context._("The title is empty."),
        "bad_title": context._("The title must be one line of plain text, at most 64 characters."),
        "bad_html": context._("Telegram could not show this formatting. Please send the text again."),
        "empty_body": context._("The text is empty."),
        "too_long": context._("The text is too long for one screen (at most 3,500 characters). Please shorten it."),
        "bad_link": context._("Only http(s) and tg links are allowed."),
        "bad_source": context._("Every source needs a title and an http(s) link, one per line: Title | https://…"),
        "missing_locale": context._(
            "This topic has no text in that language yet: write the title first, then the text."),
        "no_revision": context._("There is no such revision."),
        "bad_slug": context._("The slug must be lower-case letters, digits and dashes, the parent must be a menu, "
                              "and the kind menu or answer."),
        "slug_taken": context._("That slug is taken."),
        "cycle": context._("A topic cannot be moved under itself."),
        "bad_parent": context._("The new parent must be a menu, not an answer."),
    }
    return "⚠️ " + " ".join(messages.get(p, p) for p in problems)


@dataclass
class EditDraft:
    form_id: str
    slug: str | None = None
    locale: str | None = None
    expected_revision: int = 0
    title: str | None = None
    body: str | None = None
    sources: list[dict] | None = None
    fields: list[str] = field(default_factory=list)


def _cb(draft: EditDraft, action: str) -> str:
    return f"me:{draft.form_id}:{action}"


async def _stale(update: Update, context: NavContext) -> int:
    await ack(update, context._("This button is from an older form."))
    return ConversationHandler.END if context.user_data.get(EDIT) is None else None


# ---- /edit ----------------------------------------------------------------------------------------------------

@requires()
async def edit_start(update: Update, context: NavContext) -> int:
    draft = EditDraft(form_id=secrets.token_hex(4))
    context.user_data[EDIT] = draft
    if context.args:
        topic = await moderation.topic_any(context.session, context.args[0])
        if topic is not None:
            draft.slug = topic.slug
            return await ask_locale(update, context, draft)
    await show(update, "✏️ " + context._("Which topic? Type part of its title or its slug."), new=True)
    return PICK


async def on_pick_text(update: Update, context: NavContext) -> int:
    draft = context.user_data[EDIT]
    rows = await moderation.find_topics(context.session, update.effective_message.text, context.locale)
    if not rows:
        await show(update, "⚠️ " + context._("No topic matches. Try another word."), new=True)
        return PICK
    buttons = [[button(f"{title} ({slug})", _cb(draft, f"t:{slug}"))] for slug, title in rows]
    await show(update, context._("Choose the topic:"), keyboard(buttons), new=True)
    return PICK


@form_button(EDIT, _stale)
async def on_pick_button(update: Update, context: NavContext, draft: EditDraft, action: str) -> int:
    draft.slug = action.removeprefix("t:")
    return await ask_locale(update, context, draft)


async def ask_locale(update: Update, context: NavContext, draft: EditDraft) -> int:
    rows = [[button("Русский", _cb(draft, "l:ru")), button("English", _cb(draft, "l:en"))]]
    await show(update, context._("Topic: {slug}. Which language?", slug=draft.slug), keyboard(rows),
               new=update.callback_query is None)
    return LOCALE


async def _topic(context: NavContext, draft: EditDraft) -> Topic | None:
    return await moderation.topic_any(context.session, draft.slug)


@form_button(EDIT, _stale)
async def on_locale(update: Update, context: NavContext, draft: EditDraft, action: str) -> int:
    draft.locale = action.removeprefix("l:")
    return await show_current(update, context, draft)


async def show_current(update: Update, context: NavContext, draft: EditDraft) -> int:
    topic = await _topic(context, draft)
    if topic is None:
        await show(update, context._("This topic no longer exists."), new=True)
        return ConversationHandler.END
    text = await moderation.current_text(context.session, topic, draft.locale)
    draft.title = draft.body = draft.sources = None
    draft.fields = []
    chat = update.effective_chat
    if text is None:
        draft.expected_revision = 0
        await chat.send_message(context._("No {locale} text yet. Send the title (one line).", locale=draft.locale))
        return TITLE
    draft.expected_revision = text.revision
    # The current text as a message the moderator can copy with its formatting, then the choices.
    await chat.send_message(text.body, parse_mode=ParseMode.HTML, disable_web_page_preview=True)
    info = context._("«{title}» · revision {revision} · reviewed on {date}", title=html.escape(text.title),
                     revision=text.revision, date=human_date(text.reviewed_on, context.locale))
    sources = "\n".join(f"• {html.escape(s['title'])} | {html.escape(s['url'])}" for s in text.sources)
    rows = [[button("✏️ " + context._("Text"), _cb(draft, "a:text")),
             button("🏷 " + context._("Title"), _cb(draft, "a:title"))],
            [button("📚 " + context._("Sources"), _cb(draft, "a:sources")),
             button("✅ " + context._("Still accurate"), _cb(draft, "a:ok"))],
            [button("✖️ " + context._("Cancel"), _cb(draft, "x"))]]
    await chat.send_message(info + ("\n" + sources if sources else ""), parse_mode=ParseMode.HTML,
                            reply_markup=keyboard(rows), disable_web_page_preview=True)
    return ACTION


@form_button(EDIT, _stale)
async def on_action(update: Update, context: NavContext, draft: EditDraft, action: str) -> int:
    if action == "a:text":
        await show(update, context._("Send the new text. Use Telegram's own formatting (bold, italic, links); "
                                     "lists by hand with • or 1."), new=True)
        return TEXT
    if action == "a:title":
        await show(update, context._("Send the new title (one line)."), new=True)
        return TITLE
    if action == "a:sources":
        await show(update, context._("Send the sources, one per line: Title | https://…"), new=True)
        return SOURCES
    # "Still accurate": the same text, today's review date.
    return await _publish(update, context, draft, Change(reviewed_on=utcnow().date()), action="still_accurate")


async def on_text(update: Update, context: NavContext) -> int:
    draft = context.user_data[EDIT]
    # Telegram's entities (bold, italic, links…) become Telegram HTML; plain "<" typed by hand is escaped.
    draft.body = update.effective_message.text_html
    draft.fields.append("text")
    return await preview(update, context, draft)


async def on_title(update: Update, context: NavContext) -> int:
    draft = context.user_data[EDIT]
    draft.title = " ".join(update.effective_message.text.split())
    draft.fields.append("title")
    if draft.expected_revision == 0 and draft.body is None:
        await show(update, context._("Now send the text."), new=True)
        return TEXT
    return await preview(update, context, draft)


async def on_sources(update: Update, context: NavContext) -> int:
    draft = context.user_data[EDIT]
    sources = []
    for line in update.effective_message.text.splitlines():
        if not line.strip():
            continue
        match = SOURCE_LINE.match(line)
        if not match or not valid_url(match[2]):
            await show(update, reasons(context, ["bad_source"]), new=True)
            return SOURCES
        sources.append({"title": match[1][:200], "url": match[2]})
    draft.sources = sources
    draft.fields.append("sources")
    return await preview(update, context, draft)


async def preview(update: Update, context: NavContext, draft: EditDraft) -> int:
    topic = await _topic(context, draft)
    current = await moderation.current_text(context.session, topic, draft.locale)
    title = draft.title if draft.title is not None else (current.title if current else "")
    body = draft.body if draft.body is not None else (current.body if current else "")
    sources = draft.sources if draft.sources is not None else list(current.sources if current else [])
    problems = moderation.validate(title, body, sources)
    if problems:
        await show(update, reasons(context, problems) + "\n\n" + context._("The published text is unchanged."),
                   new=True)
        return TEXT if "text" in draft.fields[-1:] else (TITLE if "title" in draft.fields[-1:] else SOURCES)
    chat = update.effective_chat
    await chat.send_message("👁 " + context._("Preview — exactly as people will see it:"))
    if topic.kind == "answer":
        parts = render_answer(title, body, sources, date.today(), draft.locale)
    else:
        parts = [render_menu(title, body)]
    for part in parts:
        await chat.send_message(part, parse_mode=ParseMode.HTML, disable_web_page_preview=True)
    rows = [[button("✅ " + context._("Publish"), _cb(draft, "p"))],
            [button("✏️ " + context._("Edit again"), _cb(draft, "again")),
             button("✖️ " + context._("Cancel"), _cb(draft, "x"))]]
    await chat.send_message(context._("Publish this?"), reply_markup=keyboard(rows))
    return PREVIEW


@form_button(EDIT, _stale)
async def on_preview(update: Update, context: NavContext, draft: EditDraft, action: str) -> int:
    if action == "again":
        draft.title = draft.body = draft.sources = None
        draft.fields = []
        return await show_current(update, context, draft)
    change = Change(title=draft.title, body=draft.body, sources=draft.sources)
    return await _publish(update, context, draft, change)


async def _publish(update: Update, context: NavContext, draft: EditDraft, change: Change,
                   action: str = "publish") -> int:
    topic = await _topic(context, draft)
    try:
        text = await moderation.publish(context.session, topic, draft.locale, change,
                                        author_id=update.effective_user.id,
                                        expected_revision=draft.expected_revision, action=action)
    except Conflict as conflict:
        current = conflict.current
        await show(update, "⚠️ " + context._(
            "Someone else published revision {revision} of this text while you were editing. Nothing was "
            "overwritten. Their version:", revision=current.revision), new=True)
        await update.effective_chat.send_message(current.body, parse_mode=ParseMode.HTML,
                                                 disable_web_page_preview=True)
        rows = [[button("✏️ " + context._("Edit their version"), _cb(draft, "again"))],
                [button("✖️ " + context._("Cancel"), _cb(draft, "x"))]]
        await update.effective_chat.send_message(context._("What now?"), reply_markup=keyboard(rows))
        return PREVIEW
    except Invalid as invalid:
        await show(update, reasons(context, invalid.problems), new=True)
        return ACTION
    context.user_data.pop(EDIT, None)
    await show(update, "✅ " + context._("Published as revision {revision}. People see it from their next tap.",
                                        revision=text.revision), new=True)
    return ConversationHandler.END


async def on_cancel(update: Update, context: NavContext) -> int:
    """/cancel, or the edit form's ✖️ button (routed through ``on_cancel_button``)."""
    context.user_data.pop(EDIT, None)
    context.user_data.pop(CAST, None)
    await show(update, context._("Cancelled. Nothing was published."), new=True)
    return ConversationHandler.END


@form_button(EDIT, _stale)
async def on_cancel_button(update: Update, context: NavContext, _draft: EditDraft, _action: str) -> int:
    return await on_cancel(update, context)


async def on_wrong(update: Update, context: NavContext) -> None:
    await show(update, "⚠️ " + context._("I need text here, or a button. /cancel closes the form."), new=True)


# ---- history, rollback, stale, audit, roles, topics ------------------------------------------------------

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
    for newer, older in zip(revisions, [*revisions[1:], None], strict=True):
        who = f"id {newer.author_id}" if newer.author_id else newer.origin
        lines.append(f"\n<b>r{newer.revision}</b> · {newer.created_at:%Y-%m-%d %H:%M} UTC · {html.escape(who)}")
        if older is not None:
            diff = moderation.short_diff(older.body, newer.body)
            if older.title != newer.title:
                diff.insert(0, f"title: {older.title[:30]} → {newer.title[:30]}")
            lines += [f"<code>{html.escape(line)}</code>" for line in diff] or ["<i>—</i>"]
    lines.append("\n" + context._("Restore one: /rollback {slug} {locale} N", slug=topic.slug, locale=locale))
    await update.effective_chat.send_message("\n".join(lines)[:4000], parse_mode=ParseMode.HTML)


@requires()
async def on_rollback(update: Update, context: NavContext) -> None:
    topic = await _topic_arg(update, context)
    if topic is None:
        return
    locale = _locale_arg(context, 1)
    if len(context.args) < 3 or not context.args[2].isdigit():
        await show(update, "⚠️ " + context._("Say which revision: /rollback {slug} {locale} N", slug=topic.slug,
                                            locale=locale), new=True)
        return
    current = await moderation.current_text(context.session, topic, locale)
    data = f"mr:{topic.id}:{locale}:{context.args[2]}:{current.revision if current else 0}"
    rows = [[button("↩️ " + context._("Restore revision {n}", n=context.args[2]), data)],
            [button("✖️ " + context._("Cancel"), "mr:no")]]
    await show(update, context._("Restore {slug}/{locale} to revision {n}? It becomes a new revision.",
                                 slug=topic.slug, locale=locale, n=context.args[2]), keyboard(rows), new=True)


@requires()
async def on_rollback_button(update: Update, context: NavContext) -> None:
    await ack(update)
    if update.callback_query.data == "mr:no":
        await show(update, context._("Cancelled. Nothing was published."))
        return
    _, topic_id, locale, revision, expected = update.callback_query.data.split(":")
    topic = await context.session.get(Topic, int(topic_id))
    try:
        text = await moderation.rollback(context.session, topic, locale, int(revision),
                                         author_id=update.effective_user.id, expected_revision=int(expected))
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
    days = int(context.args[0]) if context.args and context.args[0].isdigit() else context.settings.stale_after_days
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


@requires(ADMIN)
async def on_audit(update: Update, context: NavContext) -> None:
    entries = await moderation.recent_audit(context.session, 30)
    lines = ["<b>" + context._("Audit log (newest first)") + "</b>"]
    lines += [f"{e.created_at:%Y-%m-%d %H:%M} · {e.actor_id} · {html.escape(e.action)} · {html.escape(e.target or '')}"
              for e in entries]
    await update.effective_chat.send_message("\n".join(lines)[:4000], parse_mode=ParseMode.HTML)


@requires(ADMIN)
async def on_mod_add(update: Update, context: NavContext) -> None:
    message = update.effective_message
    origin = getattr(message.reply_to_message, "forward_origin", None) if message.reply_to_message else None
    target = None
    if context.args and context.args[0].isdigit():
        target = int(context.args[0])
    elif origin is not None and getattr(origin, "sender_user", None) is not None:
        target = origin.sender_user.id
    if target is None:
        await show(update, context._("Send /mod_add with the person's numeric id, or forward me a message from "
                                     "them (I will add its sender)."), new=True)
        return
    added = await moderation.add_moderator(context.session, target, update.effective_user.id)
    await publish_team_menu(context.bot, target, "moderator")
    await show(update, ("✅ " + context._("{id} is now a moderator.", id=target)) if added
               else context._("{id} is already a moderator.", id=target), new=True)


async def on_forwarded(update: Update, context: NavContext) -> None:
    """An admin forwards a message from someone: offer to make its sender a moderator. For anyone else a
    forwarded text is just a question."""
    if await moderation.role(context.session, context.settings, update.effective_user.id) != ADMIN:
        if update.effective_message.text:
            await fallback.on_text(update, context)
        else:
            await fallback.on_media(update, context)
        return
    origin = update.effective_message.forward_origin
    sender = getattr(origin, "sender_user", None)
    if sender is None:
        await show(update, context._("That person hides their account in forwards. Ask them for their numeric id "
                                     "and use /mod_add ID."), new=True)
        return
    await show(update, context._("Make {id} a moderator?", id=sender.id),
               keyboard([[button("✅ " + context._("Yes"), f"ma:{sender.id}")]]), new=True)


@requires(ADMIN)
async def on_mod_add_button(update: Update, context: NavContext) -> None:
    await ack(update)
    target = int(update.callback_query.data.split(":")[1])
    added = await moderation.add_moderator(context.session, target, update.effective_user.id)
    await publish_team_menu(context.bot, target, "moderator")
    await show(update, ("✅ " + context._("{id} is now a moderator.", id=target)) if added
               else context._("{id} is already a moderator.", id=target))


@requires(ADMIN)
async def on_mod_remove(update: Update, context: NavContext) -> None:
    if not context.args or not context.args[0].isdigit():
        await show(update, context._("Use /mod_remove ID."), new=True)
        return
    target = int(context.args[0])
    removed = await moderation.remove_moderator(context.session, target, update.effective_user.id)
    if target not in context.settings.admin_ids:
        await publish_team_menu(context.bot, target, None)
    await show(update, context._("Removed.") if removed else context._("Not a moderator."), new=True)


@requires(ADMIN)
async def on_mods(update: Update, context: NavContext) -> None:
    ids = await moderation.moderators(context.session)
    admins = sorted(context.settings.admin_ids)
    await show(update, context._("Admins: {admins}\nModerators: {mods}", admins=", ".join(map(str, admins)) or "—",
                                 mods=", ".join(map(str, ids)) or "—"), new=True)


@requires()
async def on_topic_admin(update: Update, context: NavContext) -> None:
    """/topic_add PARENT SLUG [menu|answer], /topic_hide SLUG, /topic_show SLUG, /topic_move SLUG PARENT."""
    command = update.effective_message.text.split()[0].lstrip("/").split("@")[0]
    args = [a.lower() for a in context.args]

    async def by_slug(slug: str) -> Topic | None:
        return await moderation.topic_any(context.session, slug)

    try:
        if command == "topic_add" and len(args) >= 2 and (parent := await by_slug(args[0])):
            topic = await moderation.create_topic(context.session, parent, args[1], (args[2:] or ["answer"])[0],
                                                  update.effective_user.id)
            text = context._("Created {slug} (hidden). Write both languages with /edit {slug}, then /topic_show "
                             "{slug}.", slug=topic.slug)
        elif command in ("topic_hide", "topic_show") and args and (topic := await by_slug(args[0])):
            await moderation.set_hidden(context.session, topic, command == "topic_hide", update.effective_user.id)
            text = context._("Done.")
        elif command == "topic_move" and len(args) == 2 and (topic := await by_slug(args[0])) and \
                (parent := await by_slug(args[1])):
            await moderation.move_topic(context.session, topic, parent, update.effective_user.id)
            text = context._("Done.")
        else:
            text = context._("Usage: /topic_add PARENT SLUG [menu|answer] · /topic_hide SLUG · /topic_show SLUG · "
                             "/topic_move SLUG PARENT")
    except Invalid as invalid:
        await context.session.rollback()
        text = reasons(context, invalid.problems)
    await show(update, text, new=True)


@requires()
async def on_mod_help(update: Update, context: NavContext) -> None:
    await update.effective_chat.send_message(context._(
        "Moderation:\n/edit [slug] — change a text, title or sources; or stamp «still accurate»\n"
        "/history SLUG [ru|en] · /rollback SLUG LANG N\n/stale [days] — texts to re-check\n"
        "/topic_add · /topic_hide · /topic_show · /topic_move\n/broadcast — news to people who opted in\n"
        "Admins: /mod_add ID (or forward a message) · /mod_remove ID · /mods · /audit"))


# ---- /broadcast -----------------------------------------------------------------------------------------------

@requires()
async def cast_start(update: Update, context: NavContext) -> int:
    context.user_data[CAST] = {"id": secrets.token_hex(4)}
    await show(update, "📰 " + context._("The news in Russian, please (formatting allowed). /cancel stops."), new=True)
    return B_RU


async def cast_ru(update: Update, context: NavContext) -> int:
    return await _cast_text(update, context, "ru", B_RU,
                            context._("Now the same news in English."), B_EN)


async def cast_en(update: Update, context: NavContext) -> int:
    state = await _cast_text(update, context, "en", B_EN, None, B_PREVIEW)
    if state != B_PREVIEW:
        return state
    draft = context.user_data[CAST]
    recipients = await broadcasts.recipient_count(context.session)
    chat = update.effective_chat
    await chat.send_message("👁 " + context._("Preview:"))
    for locale in ("ru", "en"):
        await chat.send_message(draft[locale], parse_mode=ParseMode.HTML, disable_web_page_preview=True)
    rows = [[button("📤 " + context._("Send to {n} people", n=recipients), f"mb:{draft['id']}:go")],
            [button("✖️ " + context._("Cancel"), f"mb:{draft['id']}:x")]]
    await chat.send_message(context.ngettext("It goes to {n} person who opted in to news.",
                                             "It goes to {n} people who opted in to news.", recipients),
                            reply_markup=keyboard(rows))
    return B_PREVIEW


async def _cast_text(update: Update, context: NavContext, locale: str, state: int, next_prompt: str | None,
                     next_state: int) -> int:
    body = update.effective_message.text_html
    problems = moderation.validate("news", body, [])
    if problems:
        await show(update, reasons(context, problems), new=True)
        return state
    context.user_data[CAST][locale] = body
    if next_prompt:
        await show(update, next_prompt, new=True)
    return next_state


async def cast_confirm(update: Update, context: NavContext) -> int:
    draft = context.user_data.get(CAST)
    _, form_id, action = update.callback_query.data.split(":")
    if draft is None or draft["id"] != form_id:
        await ack(update, context._("This button is from an older form."))
        return ConversationHandler.END
    await ack(update)
    context.user_data.pop(CAST, None)
    if action == "x":
        await show(update, context._("Cancelled. Nothing was sent."))
        return ConversationHandler.END
    author = update.effective_user.id
    broadcast = await broadcasts.create(context.session, author, draft["ru"], draft["en"], context.locale)
    await moderation.audit(context.session, author, "broadcast", f"#{broadcast.id} to {broadcast.total}")
    progress = await update.effective_chat.send_message(
        broadcasts.progress_text(broadcasts.Counts(broadcast.total, 0, 0, 0, broadcast.total), context.locale,
                                 done=False))
    broadcast.progress_message_id = progress.message_id
    await context.session.commit()
    await show(update, "📤 " + context._("Sending. The line below shows the progress."))
    return ConversationHandler.END


# ---- wiring ----------------------------------------------------------------------------------------------------

def handlers() -> list[BaseHandler]:
    text = filters.TEXT & ~filters.COMMAND
    wrong = ~filters.TEXT & ~filters.COMMAND & ~filters.StatusUpdate.ALL
    form = r"^me:[0-9a-f]{8}:"
    edit = ConversationHandler(
        entry_points=[CommandHandler("edit", edit_start)],
        states={
            PICK: [MessageHandler(text, on_pick_text), CallbackQueryHandler(on_pick_button, pattern=form + r"t:")],
            LOCALE: [CallbackQueryHandler(on_locale, pattern=form + r"l:(ru|en)$")],
            ACTION: [CallbackQueryHandler(on_action, pattern=form + r"a:(text|title|sources|ok)$")],
            TEXT: [MessageHandler(text, on_text)],
            TITLE: [MessageHandler(text, on_title)],
            SOURCES: [MessageHandler(text, on_sources)],
            PREVIEW: [CallbackQueryHandler(on_preview, pattern=form + r"(p|again)$")],
        },
        fallbacks=[CommandHandler("cancel", on_cancel), CallbackQueryHandler(on_cancel_button, pattern=form + "x$"),
                   MessageHandler(wrong, on_wrong), CallbackQueryHandler(_stale, pattern=r"^me:")],
        conversation_timeout=30 * 60, name="moderation_edit", allow_reentry=True,
    )
    cast = ConversationHandler(
        entry_points=[CommandHandler("broadcast", cast_start)],
        states={B_RU: [MessageHandler(text, cast_ru)], B_EN: [MessageHandler(text, cast_en)],
                B_PREVIEW: [CallbackQueryHandler(cast_confirm, pattern=r"^mb:[0-9a-f]{8}:(go|x)$")]},
        fallbacks=[CommandHandler("cancel", on_cancel), MessageHandler(wrong, on_wrong)],
        conversation_timeout=30 * 60, name="moderation_broadcast", allow_reentry=True,
    )
    return [
        edit, cast,
        CommandHandler("mod", on_mod_help),
        CommandHandler("history", on_history),
        CommandHandler("rollback", on_rollback),
        CallbackQueryHandler(on_rollback_button, pattern=r"^mr:(no|\d+:(ru|en):\d+:\d+)$"),
        CommandHandler("stale", on_stale),
        CommandHandler("audit", on_audit),
        CommandHandler("mod_add", on_mod_add),
        CallbackQueryHandler(on_mod_add_button, pattern=r"^ma:\d+$"),
        CommandHandler("mod_remove", on_mod_remove),
        CommandHandler("mods", on_mods),
        CommandHandler(["topic_add", "topic_hide", "topic_show", "topic_move"], on_topic_admin),
        MessageHandler(filters.FORWARDED & filters.ChatType.PRIVATE, on_forwarded),
        # A moderation button outside its form: audited for outsiders, "out of date" for everyone.
        CallbackQueryHandler(on_orphan_button, pattern=r"^(me|mb|mr|ma):"),
    ]


@requires()
async def on_orphan_button(update: Update, context: NavContext) -> None:
    await fallback.on_stale_button(update, context)


async def publish_team_menus(application) -> None:
    """On start: every moderator's and admin's own command menu."""
    app = application
    async with app.db.session() as session:
        team = {uid: "moderator" for uid in await moderation.moderators(session)}
    team.update({uid: ADMIN for uid in app.settings.admin_ids})
    for user_id, role in team.items():
        await publish_team_menu(application.bot, user_id, role)
