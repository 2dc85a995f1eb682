"""Who may moderate: every step that shows or changes something checks the role again.

A role is checked at every step of a moderation form, not only where it starts: a moderator removed while a form
is open gets the ordinary "unknown command" reply at the next step, and nothing is published or sent. For everyone
else a moderation command gets exactly the ordinary "unknown command" reply (and a moderation button the ordinary
"out of date" reply); the attempt is written to the audit log as their id and the command, nothing else.
"""

from __future__ import annotations

import functools

from telegram import Update
from telegram.ext import ConversationHandler

import handlers.fallback as fallback
from bot.context import NavContext
from bot.moderation import service as moderation
from bot.moderation.service import ADMIN

EDIT, CAST = "edit_draft", "broadcast_draft"  # user_data keys of the two moderation forms
FORM_KEYS = (EDIT, CAST)


def requires(level: str = "moderator"):
    """Refuse anyone below ``level`` exactly as an unknown command (or a stale button) would, audit it, and end
    any form the update belongs to. Put it on every step that shows or changes something."""

    def wrap(callback):
        @functools.wraps(callback)
        async def guarded(update: Update, context: NavContext):
            user_id = update.effective_user.id
            role = await moderation.role(context.session, context.settings, user_id)
            if role is None or (level == ADMIN and role != ADMIN):
                words = (update.effective_message.text or "").split() if update.message else []
                what = words[0][:32] if words and words[0].startswith("/") else "message"
                if update.callback_query:
                    what = update.callback_query.data.split(":")[0][:32]
                await moderation.audit(context.session, user_id, "refused", what)
                for key in FORM_KEYS:  # an open form of someone who lost the role is closed, unsaved
                    context.user_data.pop(key, None)
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
        "bad_source": context._("Every source needs a title and an http(s) link, one per line: English title | "
                                "Русское название | https://… (or without the Russian title: Title | https://…)."),
        "bad_short": context._("The short version must be plain text of at most 300 characters."),
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
