"""Telegram handlers, one module per feature. ``register_all`` adds them in the order that matters.

Order (PTB tries groups in ascending order and, within a group, handlers in the order added):
1. conversations that own free text while they run (reminder form), so their text steps win;
2. commands and namespaced buttons of each feature;
3. free-text questions (handlers/search.py), then the fallbacks: media, unknown commands, stale buttons.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram.ext import Application

from handlers import (
    errors,
    fallback,
    gaps,
    inline,
    language,
    moderation,
    news,
    privacy,
    reminders,
    search,
    start,
    topics,
)

Hook = Callable[[Application], Awaitable[None]]


def register_all(application: Application) -> None:
    for module in (moderation, reminders, start, topics, language, privacy, news, gaps, inline):
        application.add_handlers(module.handlers())
    application.add_handlers(search.handlers())  # free text: after every feature that owns text
    application.add_handlers(fallback.handlers())
    application.add_error_handler(errors.on_error)


def post_init_hooks() -> list[Hook]:
    return [topics.load_content_on_start, search.build_index_on_start, reminders.start_dispatcher,
            moderation.start_broadcast_job, moderation.publish_team_menus, inline.start_reads_job]


def post_shutdown_hooks() -> list[Hook]:
    return [reminders.stop_dispatcher, search.flush_on_stop]
