"""/edit: change an answer's text, title or sources safely, or stamp it «still accurate».

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
The role is checked again at every step (``requires``); a publish based on an older revision is refused.
"""

from __future__ import annotations

import html
import secrets
from dataclasses import dataclass, field
from datetime import date

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from bot.context import NavContext
from bot.db import utcnow
from bot.knowledge.models import Topic
from bot.knowledge.render import human_date, render_answer, render_menu
from bot.moderation import service as moderation
from bot.moderation.service import Change, Conflict, Invalid
from bot.persistence import form_draft
from handlers.moderation.access import CAST, EDIT, reasons, requires
from handlers.ui import ack, button, form_button, keyboard, show

PICK, LOCALE, ACTION, TEXT, TITLE, SOURCES, PREVIEW = range(7)


@form_draft("moderation_edit")
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

    def change(self) -> Change:
        return Change(title=self.title, body=self.body, sources=self.sources)


def _cb(draft: EditDraft, action: str) -> str:
    return f"me:{draft.form_id}:{action}"


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
    buttons = [[button(f"{title} ({slug})", _cb(draft, f"t:{slug}"))] for slug, title in rows]
    await show(update, context._("Choose the topic:"), keyboard(buttons), new=True)
    return PICK


@requires()
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


@requires()
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


@requires()
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


@requires()
async def on_text(update: Update, context: NavContext) -> int:
    draft = context.user_data[EDIT]
    # Telegram's entities (bold, italic, links…) become Telegram HTML; plain "<" typed by hand is escaped.
    draft.body = update.effective_message.text_html
    draft.fields.append("text")
    return await preview(update, context, draft)


@requires()
async def on_title(update: Update, context: NavContext) -> int:
    draft = context.user_data[EDIT]
    draft.title = " ".join(update.effective_message.text.split())
    draft.fields.append("title")
    if draft.expected_revision == 0 and draft.body is None:
        await show(update, context._("Now send the text."), new=True)
        return TEXT
    return await preview(update, context, draft)


@requires()
async def on_sources(update: Update, context: NavContext) -> int:
    draft = context.user_data[EDIT]
    sources = moderation.parse_sources(update.effective_message.text)
    if sources is None:
        await show(update, reasons(context, ["bad_source"]), new=True)
        return SOURCES
    draft.sources = sources
    draft.fields.append("sources")
    return await preview(update, context, draft)


async def preview(update: Update, context: NavContext, draft: EditDraft) -> int:
    topic = await _topic(context, draft)
    current = await moderation.current_text(context.session, topic, draft.locale)
    title, body, sources = draft.change().applied_to(current)
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


@requires()
@form_button(EDIT, _stale)
async def on_preview(update: Update, context: NavContext, draft: EditDraft, action: str) -> int:
    if action == "again":
        draft.title = draft.body = draft.sources = None
        draft.fields = []
        return await show_current(update, context, draft)
    return await _publish(update, context, draft, draft.change())


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


def conversation() -> ConversationHandler:
    text = filters.TEXT & ~filters.COMMAND
    wrong = ~filters.TEXT & ~filters.COMMAND & ~filters.StatusUpdate.ALL
    form = r"^me:[0-9a-f]{8}:"
    return ConversationHandler(
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
        conversation_timeout=30 * 60, name="moderation_edit", allow_reentry=True, persistent=True,
    )
