"""Telegram handlers, one module (or package) per feature. ``register_all`` adds them in the order that matters.

Order (PTB tries groups in ascending order and, within a group, handlers in the order added):
0. the private-chats-only guard (``handlers.private``), in a group of its own before all others;
1. conversations that own free text while they run (reminder form, moderation forms), so their text steps win;
2. commands and namespaced buttons of each feature;
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


def register_all(application: Application) -> None:
    application.add_handlers(private.handlers(), group=private.GUARD_GROUP)  # groups get one "write to me" only
    for module in (moderation, reminders, start, topics, language, privacy, news, gaps, inline):
        application.add_handlers(module.handlers())
    application.add_handlers(search.handlers())  # free text: after every feature that owns text
    application.add_handlers(fallback.handlers())
    application.add_error_handler(errors.on_error)


async def on_startup(application) -> None:
    """What the handlers publish to Telegram once the bot is up: command menus and descriptions."""
    await menu.publish_bot_profile(application, application.settings.default_locale)
    await moderation.publish_team_menus(application)
