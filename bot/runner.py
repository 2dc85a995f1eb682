"""``python -m bot run``: start the bot, serve until SIGTERM/SIGINT, stop cleanly.

Start-up is done step by step so that every way it can fail ends as one :class:`StartupError` — one line for the
operator, exit code 2 for a configuration problem and 1 for anything else — instead of a traceback that would
print PTB's ``InvalidToken`` message with the whole token in it:

1. the database: migrations, then a write that changes nothing (a read-only SQLite file or a read-only
   PostgreSQL replica is found now, not at the first reminder someone confirms);
2. the Bot API: ``getMe`` (a revoked token is Telegram's 401; an unreachable server is a network error);
3. the bot's own start (command menus, content, the outbox), then polling or the webhook.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import sqlite3
import warnings
from urllib.parse import urlparse

from sqlalchemy import text
from telegram import Bot, Update
from telegram.error import InvalidToken, NetworkError, TelegramError, TimedOut

from bot import migrate
from bot.config import Settings
from bot.db import Database
from bot.ops.standby import LockHeld, check_single_process

log = logging.getLogger("bot")

CONFIG, FAILURE = 2, 1


class StartupError(Exception):
    """``str()`` is the one line shown; ``exit_code`` is 2 for configuration, 1 otherwise."""

    def __init__(self, exit_code: int, message: str) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _chain(exc: BaseException):
    """The exception, its causes and contexts, and SQLAlchemy's wrapped driver error."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo.extend([current.__cause__, current.__context__, getattr(current, "orig", None)])


def database_error(exc: BaseException) -> StartupError:
    """What went wrong with the database, without the URL (it may hold a password) or the driver's message."""
    for cause in _chain(exc):
        name = type(cause).__name__
        if name in ("InvalidPasswordError", "InvalidAuthorizationSpecificationError"):
            return StartupError(CONFIG, "DATABASE_URL: the database refused the user name or password")
        if name == "InvalidCatalogNameError":
            return StartupError(CONFIG, "DATABASE_URL: that database does not exist on the server")
        message = str(cause).lower()
        if "read-only" in message or "readonly" in message:
            return StartupError(FAILURE, "the database is read-only: the bot must be able to write to it")
        if isinstance(cause, sqlite3.OperationalError) and "unable to open" in message:
            return StartupError(FAILURE, "the SQLite database file cannot be opened or created (check the "
                                         "directory's permissions)")
        if isinstance(cause, OSError | TimeoutError):
            return StartupError(FAILURE, f"the database cannot be reached ({type(cause).__name__})")
    return StartupError(FAILURE, f"the database failed at start-up ({type(exc).__name__})")


async def prepare_database(database: Database) -> None:
    """Migrate, then prove the database takes writes (and roll the proof back)."""
    try:
        await migrate.upgrade(database.url, engine=database.engine)
        async with database.engine.connect() as connection:
            await connection.execute(text("UPDATE content_state SET version = version WHERE id = 1"))
            await connection.rollback()
    except Exception as exc:
        raise database_error(exc) from None


async def connect_bot_api(application) -> None:
    """``getMe``: the token is accepted and the Bot API answers (``application``: the Application, or its bot)."""
    try:
        try:
            await application.initialize()
        except BaseException:
            # initialize opened the bot's connections before getMe failed; nothing else would close them.
            bot = application if isinstance(application, Bot) else application.bot
            with contextlib.suppress(Exception):
                await bot.request.shutdown()
            raise
    except InvalidToken:
        raise StartupError(CONFIG, "TELEGRAM_BOT_TOKEN: the Bot API rejected the token (revoked or mistyped?) — "
                                   "get the current one from @BotFather") from None
    except (TimedOut, NetworkError) as exc:
        raise StartupError(FAILURE, f"the Bot API cannot be reached ({type(exc).__name__}); check the network "
                                    "and TELEGRAM_API_URL") from None
    except TelegramError as exc:
        raise StartupError(FAILURE, f"the Bot API refused to start the bot ({type(exc).__name__})") from None


class _StopSignal:
    """SIGINT/SIGTERM, caught from the start: a standby waits for the lock (for days, maybe) and must stop too."""

    def __init__(self) -> None:
        self.event = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._loop.add_signal_handler(sig, self.event.set)

    async def unless_stopped(self, coroutine) -> bool:
        """Run ``coroutine``; False (and it is cancelled) if a stop signal comes first."""
        task = asyncio.ensure_future(coroutine)
        waiter = asyncio.ensure_future(self.event.wait())
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if task.done():
            task.result()
            return True
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return False

    def close(self) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._loop.remove_signal_handler(sig)


async def start_webhook(application, settings: Settings):
    """Our own webhook endpoint (see ``bot.webhook``), then ``setWebhook`` so Telegram starts posting."""
    from bot.webhook import WebhookServer

    assert settings.webhook_url and settings.webhook_secret
    server = WebhookServer(application, settings.webhook_host, settings.webhook_port,
                           urlparse(settings.webhook_url).path, settings.webhook_secret)
    await server.start()
    await application.bot.set_webhook(settings.webhook_url, secret_token=settings.webhook_secret,
                                      allowed_updates=Update.ALL_TYPES)
    return server


async def serve(settings: Settings) -> None:
    """Start, serve until a stop signal, stop. Raises StartupError for anything that fails before serving."""
    from bot.app import build_application

    # Form buttons carry their form's id, so per-message tracking is deliberately off (as in pyproject's pytest
    # settings); PTB's reminder of that would be the only lines before "started".
    warnings.filterwarnings("ignore", message=r"If 'per_message=False'")
    try:
        check_single_process(settings.database_url)  # SQLite: a second process stops here, before migrating
    except LockHeld as exc:
        raise StartupError(FAILURE, str(exc)) from None
    database = Database(settings.database_url)
    try:
        await prepare_database(database)
        application = build_application(settings, database)
    except BaseException:
        await database.dispose()
        raise
    server, connected = None, False
    stop = _StopSignal()
    try:
        await connect_bot_api(application.bot)  # getMe: a standby finds a bad token now, not at takeover
        # A standby waits here until it is the active process (bot.ops), before the Application loads its
        # persistent data: forms are read as they are when it takes over.
        application.ops.exit_on_lock_loss = True
        try:
            if not await stop.unless_stopped(application.ops.become_active(application)):
                log.info("stopped while waiting as the standby")
                await application.ops.stop()
                await application.bot.shutdown()
                return
        except LockHeld as exc:
            raise StartupError(FAILURE, str(exc)) from None
        await connect_bot_api(application)
        connected = True
        try:
            await application.post_init(application)
            # What start-up built (the content, the search index, the dictionaries) lives as long as the
            # process; moved out of the cyclic collector's sight, full collections stop walking it again and again.
            gc.collect()
            gc.freeze()
            if settings.webhook_url:
                server = await start_webhook(application, settings)
            else:
                await application.updater.start_polling(allowed_updates=Update.ALL_TYPES, timeout=5)
            await application.start()
        except StartupError:
            raise
        except (TelegramError, OSError) as exc:
            raise StartupError(FAILURE, f"the bot could not start ({type(exc).__name__})") from None
        mode = f"webhook on {settings.webhook_host}:{settings.webhook_port}" if server else "polling"
        log.info("started (%s)", mode)
        await stop.event.wait()
        log.info("stopping")
    finally:
        stop.close()
        await _stop(application, server, connected, database)


async def _stop(application, server, connected: bool, database: Database) -> None:
    try:
        if server is not None:
            await server.stop()
        if application.updater and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        if connected:
            await application.shutdown()
            await application.post_shutdown(application)  # stops the outbox, disposes the database
    finally:
        await database.dispose()
