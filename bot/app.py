"""The composition root: builds the Application, creates the long-lived services, registers every handler.

This is the one module of ``bot/`` that imports ``handlers`` (with the command line). Services are created here and
set as typed attributes of :class:`~bot.context.NavigatorApplication`; those with a life of their own (the outbox)
are started in ``post_init`` and stopped in ``post_shutdown``, as rules-bot does with its ``Search``.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram.ext import Application, ApplicationBuilder, ContextTypes

import handlers
from bot.config import Settings
from bot.context import NavContext, NavigatorApplication
from bot.db import Database
from bot.helpdesk.desk import Desk
from bot.helpdesk.feed import DeskFeed
from bot.knowledge.pack import load_on_start
from bot.moderation.broadcasts import BroadcastFeed
from bot.ops import Ops
from bot.outbox import Outbox
from bot.persistence import DatabasePersistence
from bot.reminders import service as reminders
from bot.reminders.outbox import ReminderFeed
from bot.search.service import Search
from bot.transport import PerChatRetry, RetryingRequest
from bot.updates import PerUserUpdateProcessor, flood_notice

log = logging.getLogger(__name__)

RETENTION_EVERY_RUNS = 100  # the retention sweep runs once per this many outbox runs


async def _post_init(application: Application) -> None:
    app: NavigatorApplication = application  # type: ignore[assignment]
    await app.ops.start(app)  # a standby waits here until it is the active process
    await load_on_start(app.db)
    await app.search.start(app.db)  # the index is built from the database once the pack is loaded
    await handlers.on_startup(app)
    if app.desk is not None:
        await app.desk.start(app)
    await app.outbox.start(app)


async def _post_shutdown(application: Application) -> None:
    app: NavigatorApplication = application  # type: ignore[assignment]
    await app.outbox.stop()
    if app.desk is not None:
        await app.desk.stop()
    await app.search.stop(app.db)
    await app.ops.stop()
    await app.db.dispose()


def build_outbox(settings: Settings, database: Database, ops: Ops, desk: Desk | None = None) -> Outbox:
    """One outbox engine, fed by reminders, broadcasts and the help desk, with the retention sweep as its
    housekeeping."""
    outbox = Outbox(database, token=settings.token, base_url=settings.bot_base_url, rate=settings.send_rate,
                    interval=settings.dispatch_interval, max_attempts=settings.max_attempts,
                    lease=timedelta(seconds=settings.lease_seconds), owner=ops.owner, request=ops.request(),
                    on_batch=ops.observe_outbox)
    outbox.add_feed(ReminderFeed())
    outbox.add_feed(BroadcastFeed(settings.default_locale))
    if desk is not None:
        outbox.add_feed(DeskFeed(desk))

    async def retention(session) -> None:
        await reminders.purge_expired(session, settings.retention_days)

    outbox.every(RETENTION_EVERY_RUNS, retention)
    return outbox


def build_application(settings: Settings, database: Database | None = None) -> NavigatorApplication:
    """The configured Application with every handler registered. ``run``, ``try``, tests and benchmarks use it."""
    assert settings.token, "build_application needs a token"
    database = database or Database(settings.database_url)
    ops = Ops(settings, database)
    processor = PerUserUpdateProcessor(flood_messages=settings.flood_messages, flood_seconds=settings.flood_seconds)
    application: NavigatorApplication = (
        ApplicationBuilder()
        .application_class(NavigatorApplication)
        .token(settings.token)
        .base_url(settings.bot_base_url)
        .base_file_url(settings.api_url.rstrip("/") + "/file/bot")
        .context_types(ContextTypes(context=NavContext))
        .concurrent_updates(processor)
        # Replies to one person are not paced (they answer that person's own tap); a 429 delays only its chat
        # and a 5xx is tried once more (bot/transport.py). The reminder and broadcast outbox paces itself
        # (bot/outbox.py) with its own Bot instance.
        .request(ops.request(RetryingRequest))  # counted for /metrics, below the retry
        .get_updates_request(ops.request(polling=True))
        .rate_limiter(PerChatRetry())
        .persistence(DatabasePersistence(database))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .build()
    )
    application.settings = settings
    application.db = database
    application.ops = ops
    application.desk = Desk(database, settings) if settings.helpdesk_chat_id is not None else None
    application.outbox = build_outbox(settings, database, ops, application.desk)
    application.search = Search(embed=settings.search_embed, embed_cache=settings.search_embed_cache)
    application.search.on_result = ops.observe_search
    processor.on_flood = flood_notice(application.bot, database, settings.default_locale)
    handlers.register_all(application)
    return application


__all__ = ["NavContext", "NavigatorApplication", "build_application"]
