"""/edit: change an answer's text, title, sources or short version safely, or stamp it «still accurate».

```mermaid
stateDiagram-v2
    [*] --> PICK: /edit (or /edit slug)
    PICK --> LOCALE: a topic
    LOCALE --> ACTION: ru / en — the current text is sent to copy
    ACTION --> TEXT: ✏️ text
    ACTION --> TITLE: 🏷 title
    ACTION --> SOURCES: 📚 sources
    ACTION --> SHORT: 📋 short version (answers)
    ACTION --> [*]: ✅ still accurate (new revision, today's date)
    TEXT --> PREVIEW: formatted message → Telegram HTML
    TEXT --> SHORT: a new answer in this language
    TITLE --> PREVIEW
    TITLE --> TEXT: a new text in this language
    SOURCES --> PREVIEW: "English | Русское | https://…" per line
    SHORT --> PREVIEW: plain text ≤ 300 characters
    PREVIEW --> [*]: publish (refused if someone published meanwhile)
    PREVIEW --> ACTION: edit again
```
The role is checked again at every step (``requires``); a publish based on an older revision is refused. The
draft and the field steps are in ``edit_fields``.
"""

from __future__ import annotations

import html
import secrets

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from bot.context import NavContext
from bot.db import utcnow
from bot.knowledge.pack import SHORT_LIMIT
from bot.knowledge.render import human_date
from bot.moderation import service as moderation
from bot.moderation.service import Change, Conflict, Invalid
from handlers.moderation.access import CAST, EDIT, reasons, requires
from handlers.moderation.edit_fields import (
    ACTION,
    LOCALE,
    PICK,
    PREVIEW,
    SHORT,
    SOURCES,
    TEXT,
    TITLE,
    EditDraft,
    ask_field,
    cb,
    on_short,
    on_sources,
    on_text,
    on_title,
    topic_of,
)
from handlers.ui import ack, button, form_button, keyboard, show


async def _stale(update: Update, context: NavContext) -> int:
    await ack(update, context._("This button is from an older form."))
    return ConversationHandler.END if context.user_data.get(EDIT) is None else None


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


@requires()
async def on_pick_text(update: Update, context: NavContext) -> int:
    draft = context.user_data[EDIT]
    rows = await moderation.find_topics(context.session, update.effective_message.text, context.locale)
    if not rows:
        await show(update, "⚠️ " + context._("No topic matches. Try another word."), new=True)
        return PICK
    buttons = [[button(f"{title} ({slug})", cb(draft, f"t:{slug}"))] for slug, title in rows]
    await show(update, context._("Choose the topic:"), keyboard(buttons), new=True)
    return PICK


@requires()
@form_button(EDIT, _stale)
async def on_pick_button(update: Update, context: NavContext, draft: EditDraft, action: str) -> int:
    draft.slug = action.removeprefix("t:")
    return await ask_locale(update, context, draft)


async def ask_locale(update: Update, context: NavContext, draft: EditDraft) -> int:
    rows = [[button("Русский", cb(draft, "l:ru")), button("English", cb(draft, "l:en"))]]
    await show(update, context._("Topic: {slug}. Which language?", slug=draft.slug), keyboard(rows),
               new=update.callback_query is None)
    return LOCALE


@requires()
@form_button(EDIT, _stale)
async def on_locale(update: Update, context: NavContext, draft: EditDraft, action: str) -> int:
    draft.locale = action.removeprefix("l:")
    return await show_current(update, context, draft)


async def show_current(update: Update, context: NavContext, draft: EditDraft) -> int:
    topic = await topic_of(context, draft)
    if topic is None:
        await show(update, context._("This topic no longer exists."), new=True)
        return ConversationHandler.END
    text = await moderation.current_text(context.session, topic, draft.locale)
    draft.reset()
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
    # Both titles, in the form the sources step takes, so a line can be copied, changed and sent back.
    lines, room = [info], 3500  # the listing stays within one message
    for source in text.sources:
        line = "• " + moderation.source_line(source)
        room -= len(line) + 1
        lines.append(html.escape(line) if room >= 0 else "…")
        if room < 0:
            break
    rows = [[button("✏️ " + context._("Text"), cb(draft, "a:text")),
             button("🏷 " + context._("Title"), cb(draft, "a:title"))],
            [button("📚 " + context._("Sources"), cb(draft, "a:sources")),
             button("✅ " + context._("Still accurate"), cb(draft, "a:ok"))],
            [button("✖️ " + context._("Cancel"), cb(draft, "x"))]]
    if topic.kind == "answer":
        lines.append("📋 " + (context._("Short version: {n} of {limit} characters.", n=len(text.short),
                                        limit=SHORT_LIMIT) if text.short
                             else context._("No short version yet: people see no «Short version» button.")))
        rows.insert(2, [button("📋 " + context._("Short version"), cb(draft, "a:short"))])
    await chat.send_message("\n".join(lines), parse_mode=ParseMode.HTML, reply_markup=keyboard(rows),
                            disable_web_page_preview=True)
    return ACTION


@requires()
@form_button(EDIT, _stale)
async def on_action(update: Update, context: NavContext, draft: EditDraft, action: str) -> int:
    if action != "a:ok":
        return await ask_field(update, context, draft, action)
    # "Still accurate": the same text, short version and sources, today's review date.
    return await _publish(update, context, draft, Change(reviewed_on=utcnow().date()), action="still_accurate")


@requires()
@form_button(EDIT, _stale)
async def on_preview(update: Update, context: NavContext, draft: EditDraft, action: str) -> int:
    if action == "again":
        return await show_current(update, context, draft)
    return await _publish(update, context, draft, draft.change())


async def _publish(update: Update, context: NavContext, draft: EditDraft, change: Change,
                   action: str = "publish") -> int:
    topic = await topic_of(context, draft)
    try:
        text = await moderation.publish(context.session, topic, draft.locale, change,
                                        author_id=update.effective_user.id,
                                        expected_revision=draft.expected_revision, action=action)
    except Conflict as conflict:
        current = conflict.current
        await show(update, "⚠️ " + context._(
            "Someone else published revision {revision} of this text while you were editing. Nothing was "
            "overwritten. Their version:", revision=current.revision), new=True)
        if draft.fields == ["short"] and current.short:  # their short version is what this edit would replace
            await update.effective_chat.send_message(current.short, disable_web_page_preview=True)
        else:
            await update.effective_chat.send_message(current.body, parse_mode=ParseMode.HTML,
                                                     disable_web_page_preview=True)
        rows = [[button("✏️ " + context._("Edit their version"), cb(draft, "again"))],
                [button("✖️ " + context._("Cancel"), cb(draft, "x"))]]
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


def conversation() -> ConversationHandler:
    text = filters.TEXT & ~filters.COMMAND
    wrong = ~filters.TEXT & ~filters.COMMAND & ~filters.StatusUpdate.ALL
    form = r"^me:[0-9a-f]{8}:"
    return ConversationHandler(
        entry_points=[CommandHandler("edit", edit_start)],
        states={
            PICK: [MessageHandler(text, on_pick_text), CallbackQueryHandler(on_pick_button, pattern=form + r"t:")],
            LOCALE: [CallbackQueryHandler(on_locale, pattern=form + r"l:(ru|en)$")],
            ACTION: [CallbackQueryHandler(on_action, pattern=form + r"a:(text|title|sources|short|ok)$")],
            TEXT: [MessageHandler(text, on_text)],
            TITLE: [MessageHandler(text, on_title)],
            SOURCES: [MessageHandler(text, on_sources)],
            SHORT: [MessageHandler(text, on_short)],
            PREVIEW: [CallbackQueryHandler(on_preview, pattern=form + r"(p|again)$")],
        },
        fallbacks=[CommandHandler("cancel", on_cancel), CallbackQueryHandler(on_cancel_button, pattern=form + "x$"),
                   MessageHandler(wrong, on_wrong), CallbackQueryHandler(_stale, pattern=r"^me:")],
        conversation_timeout=30 * 60, name="moderation_edit", allow_reentry=True, persistent=True,
    )
