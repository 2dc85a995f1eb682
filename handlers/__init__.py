"""Telegram handlers, one module (or package) per feature. ``register_all`` adds them in the order that matters.

Order (PTB tries groups in ascending order and, within a group, handlers in the order added):
1. conversations that own free text while they run (reminder form, moderation forms), so their text steps win;
2. commands and namespaced buttons of each feature;
3. the fallbacks: free-text search, media, unknown commands, stale buttons — always last.
"""

from __future__ import annotations

from telegram.ext import Application

from handlers import errors, fallback, language, menu, moderation, news, privacy, reminders, start, topics


def register_all(application: Application) -> None:
    for module in (moderation, reminders, start, topics, language, privacy, news):
        application.add_handlers(module.handlers())
    application.add_handlers(fallback.handlers())
    application.add_error_handler(errors.on_error)


async def on_startup(application) -> None:
    """What the handlers publish to Telegram once the bot is up: command menus and descriptions."""
    await menu.publish_bot_profile(application, application.settings.default_locale)
    await moderation.publish_team_menus(application)
