"""The /edit form's draft and the steps that take one field each — text, title, sources, short version — and the
preview of the change exactly as people will see it. The form itself (choosing a topic, publishing) is in
``edit``; every step here checks the role again (``requires``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import ConversationHandler

from bot.context import NavContext
from bot.db import utcnow
from bot.knowledge.models import Topic
from bot.knowledge.pack import SHORT_LIMIT
from bot.knowledge.render import render_answer, render_menu, render_short
from bot.moderation import service as moderation
from bot.moderation.service import Change
from bot.persistence import form_draft
from handlers.moderation.access import EDIT, reasons, requires
from handlers.ui import button, keyboard, show

# Persisted as numbers: new states go at the end, so a form open across a deploy keeps its step.
PICK, LOCALE, ACTION, TEXT, TITLE, SOURCES, PREVIEW, SHORT = range(8)
# After a refused preview, the step that takes the field the first problem is about.
PROBLEM_STATES = {"empty_title": TITLE, "bad_title": TITLE, "bad_html": TEXT, "empty_body": TEXT, "too_long": TEXT,
                  "bad_link": TEXT, "bad_source": SOURCES}


@form_draft("moderation_edit")
@dataclass
class EditDraft:
    form_id: str
    slug: str | None = None
    locale: str | None = None
    expected_revision: int = 0
    title: str | None = None
    body: str | None = None
    sources: list[dict] | None = None  # [{"title", "title_ru"?, "url"}]
    short: str | None = None  # the new short version (plain text); None keeps the published one
    fields: list[str] = field(default_factory=list)

    def change(self) -> Change:
        return Change(title=self.title, body=self.body, sources=self.sources, short=self.short)

    def reset(self) -> None:
        self.title = self.body = self.sources = self.short = None
        self.fields = []


def cb(draft: EditDraft, action: str) -> str:
    return f"me:{draft.form_id}:{action}"


async def topic_of(context: NavContext, draft: EditDraft) -> Topic | None:
    return await moderation.topic_any(context.session, draft.slug)


async def ask_field(update: Update, context: NavContext, draft: EditDraft, action: str) -> int:
    """The prompt for the field a moderator chose (``a:text`` / ``a:title`` / ``a:sources`` / ``a:short``)."""
    if action == "a:text":
        await show(update, context._("Send the new text. Use Telegram's own formatting (bold, italic, links); "
                                     "lists by hand with • or 1."), new=True)
        return TEXT
    if action == "a:title":
        await show(update, context._("Send the new title (one line)."), new=True)
        return TITLE
    if action == "a:sources":
        await show(update, context._(
            "Send the sources, one per line: English title | Русское название | https://… — the Russian title "
            "is shown in the Russian footer. Without it: Title | https://…"), new=True)
        return SOURCES
    topic = await topic_of(context, draft)
    if topic is None or topic.kind != "answer":  # a forged or outdated press: menus have no short version
        await show(update, "⚠️ " + context._("Only answers have a short version."), new=True)
        return ACTION
    current = await moderation.current_text(context.session, topic, draft.locale)
    if current is not None and current.short:  # the published one, as a plain message to copy and change
        await update.effective_chat.send_message(current.short, disable_web_page_preview=True)
    return await ask_short(update, context)


async def ask_short(update: Update, context: NavContext) -> int:
    await show(update, context._(
        "Send the new short version: plain text, at most {limit} characters — the one next step, with the number "
        "or site. People forward or dictate it to a detainee as it is, so no bold, italic or links.",
        limit=SHORT_LIMIT), new=True)
    return SHORT


@requires()
async def on_text(update: Update, context: NavContext) -> int:
    draft = context.user_data[EDIT]
    # Telegram's entities (bold, italic, links…) become Telegram HTML; plain "<" typed by hand is escaped.
    draft.body = update.effective_message.text_html
    draft.fields.append("text")
    if draft.expected_revision == 0 and draft.short is None:  # a new answer in this language needs one too
        topic = await topic_of(context, draft)
        if topic is not None and topic.kind == "answer":
            return await ask_short(update, context)
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
    text = update.effective_message.text
    sources = moderation.parse_sources(text)
    if sources is None:
        line = moderation.bad_source_line(text)
        await show(update, reasons(context, ["bad_source"]) + "\n" + context._(
            "Line {n} is not like that. Please send the whole list again.", n=line or 1), new=True)
        return SOURCES
    draft.sources = sources
    draft.fields.append("sources")
    return await preview(update, context, draft)


@requires()
async def on_short(update: Update, context: NavContext) -> int:
    draft = context.user_data[EDIT]
    message = update.effective_message
    text = message.text.strip()
    problem = moderation.short_version_problem(text, {entity.type for entity in message.entities or ()})
    if problem is not None:
        if problem == "short_too_long":
            why = context._("The short version is {n} characters; it can be at most {limit}. Please shorten it.",
                            n=len(text), limit=SHORT_LIMIT)
        elif problem == "short_formatted":
            why = context._("The short version must be plain text: no bold, italic, links or tags — it is "
                            "forwarded or dictated as it is. Please send it again without formatting.")
        else:
            why = context._("The short version is empty.")
        await show(update, "⚠️ " + why + "\n\n" + context._("The published short version is unchanged. Send the "
                                                           "new one, or /cancel."), new=True)
        return SHORT
    draft.short = text
    draft.fields.append("short")
    return await preview(update, context, draft)


async def preview(update: Update, context: NavContext, draft: EditDraft) -> int:
    topic = await topic_of(context, draft)
    if topic is None:
        await show(update, context._("This topic no longer exists."), new=True)
        context.user_data.pop(EDIT, None)
        return ConversationHandler.END
    current = await moderation.current_text(context.session, topic, draft.locale)
    title, body, sources = draft.change().applied_to(current)
    problems = moderation.validate(title, body, sources)
    if problems:
        await show(update, reasons(context, problems) + "\n\n" + context._("The published text is unchanged."),
                   new=True)
        return PROBLEM_STATES.get(problems[0], ACTION)
    chat = update.effective_chat
    await chat.send_message("👁 " + context._("Preview — exactly as people will see it:"))
    today = utcnow().date()  # publishing stamps today's review date
    if set(draft.fields) - {"short"}:
        if topic.kind == "answer":
            parts = render_answer(title, body, sources, today, draft.locale)
        else:
            parts = [render_menu(title, body)]
        for part in parts:
            await chat.send_message(part, parse_mode=ParseMode.HTML, disable_web_page_preview=True)
    if draft.short is not None:
        # The "Short version" button's message: plain text, no HTML, to forward or dictate.
        await chat.send_message(render_short(title, draft.short, today, draft.locale),
                                disable_web_page_preview=True)
    rows = [[button("✅ " + context._("Publish"), cb(draft, "p"))],
            [button("✏️ " + context._("Edit again"), cb(draft, "again")),
             button("✖️ " + context._("Cancel"), cb(draft, "x"))]]
    await chat.send_message(context._("Publish this?"), reply_markup=keyboard(rows))
    return PREVIEW
