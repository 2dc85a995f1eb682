"""Telegram handlers, one module (or package) per feature. ``register_all`` adds them in the order that matters.

Order (PTB tries groups in ascending order and, within a group, handlers in the order added):
0. groups: any group but the help desk's staff forum gets one "write to me in private" and is left
   (``handlers.helpdesk.groups``, before everything); then the private-chats-only guard (``handlers.private``),
   which lets only the staff forum through, to the desk's handlers (first in group 0);
1. conversations that own free text while they run (moderation forms, the help desk's question, the reminder
   form), so their text steps win;
2. commands and namespaced buttons of each feature; then a person's free text while a help-desk ticket is open;
3. free-text questions (handlers/search.py), then the fallbacks: media, unknown commands, stale buttons.
"""

from __future__ import annotations

from telegram.ext import Application

from handlers import (
    errors,
    fallback,
    gaps,
    inline,
    language,
    menu,
    moderation,
    news,
    privacy,
    private,
    reminders,
    search,
    start,
    topics,
)
from handlers.helpdesk import routes as helpdesk


def register_all(application: Application) -> None:
    application.add_handlers(helpdesk.foreign(application), group=private.GUARD_GROUP - 1)  # other groups: left
    application.add_handlers(private.handlers(), group=private.GUARD_GROUP)  # only the staff forum passes
    application.add_handlers(helpdesk.staff(application))  # the staff forum: the desk, and nothing else
    application.add_handlers(moderation.handlers())
    # Before the reminder form: a stray desk question would reach volunteers, a stray reminder step only errs.
    application.add_handlers(helpdesk.forms(application))
    for module in (reminders, start, topics, language, privacy, news, gaps, inline):
        application.add_handlers(module.handlers())
    application.add_handlers(helpdesk.handlers(application))  # a person's text while a ticket is open
    application.add_handlers(search.handlers())  # free text: after every feature that owns text
    application.add_handlers(fallback.handlers())
    application.add_error_handler(errors.on_error)


async def on_startup(application) -> None:
    """What the handlers publish to Telegram once the bot is up: command menus and descriptions."""
    await menu.publish_bot_profile(application, application.settings.default_locale)
    await moderation.publish_team_menus(application)
    await helpdesk.on_startup(application)
