"""The operations service: one per Application, created where it is built, started in post_init, stopped in
post_shutdown (see ``bot.app``).

Start-up order matters: the health endpoint comes up first (so a standby answers ``/readyz`` with "standby"),
then the process becomes the active one — at once on SQLite (or it refuses to start), on PostgreSQL when it holds
the advisory lock — and only then does ``post_init`` go on to publish the bot's profile, schedule the outbox and
let PTB start polling. A standby therefore never polls, never sets the webhook and never runs a job.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from telegram.request import BaseRequest, HTTPXRequest

from bot.config import Settings
from bot.db import Database
from bot.http import CONNECTIONS
from bot.ops.confirm import ConfirmGate
from bot.ops.health import DeskWatch, HealthServer, outbox_counts, readiness, users_with_reminders
from bot.ops.metrics import Metrics
from bot.ops.standby import LockHeld, PostgresLock, SqliteLock, sqlite_path
from bot.ops.transport import Metered, metered

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession
    from telegram import WebhookInfo
    from telegram.ext import Application

log = logging.getLogger(__name__)

EXIT_LOCK_LOST = 3
REFRESH_S = 10.0  # how often the gauges (ready, outbox due/overdue, users with reminders) are recomputed

__all__ = ["EXIT_LOCK_LOST", "LockHeld", "Ops"]



POOL_TIMEOUT = 10.0  # seconds a request may wait for one of the bot's Bot API connections


class Ops:
    def __init__(self, settings: Settings, database: Database) -> None:
        self.settings = settings
        self.database = database
        self.metrics = Metrics() if settings.ops_listen else None
        self.gate = ConfirmGate(settings.confirm_wait_s, self.metrics)
        if self.metrics:
            self.metrics.watch_polling(lambda: self.gate.last_poll)
        self.webhook = bool(settings.webhook_url)
        self.role = "starting"  # starting → standby → active → stopping
        self.activated_at: float | None = None  # time.monotonic()
        # Names this process in outbox claims: its pid and a random part (pids are reused after restarts, and
        # containers all have small ones). At most 14 characters, so a claim token fits its 32-character column.
        self.owner = f"{os.getpid() % 10_000_000}-{secrets.token_hex(3)}"
        self.server: HealthServer | None = None
        self.application: Application | None = None
        self._lock: SqliteLock | PostgresLock | None = None
        self._acquiring: asyncio.Task | None = None
        self._tasks: list[asyncio.Task] = []
        self._head: str | None = None
        self._webhook_info: tuple[float, WebhookInfo | None] | None = None
        self._refreshers: list[Callable[[AsyncSession, Metrics], Awaitable[None]]] = [DeskWatch().refresh]
        # ``python -m bot run`` exits at once when the lock is lost; an Application inside another program (tests,
        # benchmarks) only says so, and /readyz fails: a test database dropped under a live app must not end pytest.
        self.exit_on_lock_loss = False

    # -- wiring ----------------------------------------------------------------------------------------------
    def request(self, base: type[BaseRequest] = HTTPXRequest, *, polling: bool = False) -> Metered:
        """The Bot API transport for a bot of this process: counted, and for getUpdates also gated. ``base`` is
        a transport (PTB's ``HTTPXRequest``, ``bot.http.AiohttpRequest``) or a subclass whose behaviour is kept
        (e.g. ``bot.transport.RetryingRequest``): every attempt it makes is counted.

        Other than getUpdates, a bot shares :data:`~bot.http.CONNECTIONS` kept-alive connections (PTB's default
        allows 256: after a burst, httpx's pool bookkeeping for that many made every later request slower); a
        request that finds them all busy waits its turn, up to ``POOL_TIMEOUT`` seconds, instead of failing after
        PTB's 1 s.
        """
        if polling:
            return metered(base)(self.metrics, self.gate, connection_pool_size=1)
        return metered(base)(self.metrics, None, connection_pool_size=CONNECTIONS, pool_timeout=POOL_TIMEOUT)

    def observe_update(self, update: object, seconds: float) -> None:
        """Called once per update, after handling (``NavigatorApplication.process_update``)."""
        self.gate.handled(update)
        if self.metrics:
            self.metrics.observe_update(update, seconds)

    def observe_error(self, error: BaseException) -> None:
        if self.metrics:
            self.metrics.observe_error(error)

    def observe_search(self, band: str) -> None:
        """Called with the band of each free-text search (confident, unsure, none)."""
        if self.metrics:
            self.metrics.search_answers.labels(band).inc()

    def observe_outbox(self, feed: str, stats) -> None:
        """Called after each claimed outbox batch with its figures (``bot.outbox.DispatchStats``)."""
        if self.metrics:
            for outcome in ("sent", "late", "failed", "blocked", "retried", "skipped"):
                self.metrics.observe_outbox(feed, outcome, getattr(stats, outcome))

    def add_refresher(self, refresh: Callable[[AsyncSession, Metrics], Awaitable[None]]) -> None:
        """A feature's own gauges, recomputed with the others every few seconds while metrics are on (e.g. the
        help desk: ``metrics.desk_open_tickets.set(await count_open(session))``)."""
        self._refreshers.append(refresh)

    # -- life cycle ------------------------------------------------------------------------------------------
    async def start(self, application: Application) -> None:
        """From post_init: be the active process (if ``become_active`` has not been awaited already), then keep
        the gauges fresh."""
        await self.become_active(application)
        if self.metrics and not self._tasks:
            self._tasks.append(asyncio.create_task(self._refresh_loop(), name="ops-refresh"))

    async def become_active(self, application: Application) -> None:
        """Serve the endpoint, then return once this process is the active one: at once on SQLite (or LockHeld),
        on PostgreSQL when it holds the lock. ``python -m bot run`` awaits this before the Application loads its
        persistent data, so a standby that takes over days later reads the forms as they are then."""
        self.application = application
        if self.server is None and self.settings.ops_listen:
            await self._serve()
        if self.role != "active":
            await self._become_active()

    async def _serve(self) -> None:
        if self.settings.ops_listen:
            host, port = self.settings.ops_listen
            self.server = HealthServer(self, host, port)
            try:
                await self.server.start()
                log.info("health and metrics on http://%s:%d", host, self.server.port)
            except OSError as exc:
                # Another process has the port (a second bot on this host, a test run): run without the endpoint
                # rather than not at all; the orchestrator's health check shows it.
                log.error("OPS_LISTEN %s:%d cannot be used (%s): health and metrics are off", host, port,
                          type(exc).__name__)
                self.server = None

    async def _become_active(self) -> None:
        path = sqlite_path(self.database.url)
        if path is not None:
            lock = SqliteLock(path)
            lock.acquire()  # LockHeld: a second process on one SQLite file refuses to start
            self._lock = lock
        elif self.database.dialect == "postgresql":
            bot_id = int((self.settings.token or "0:").split(":", 1)[0] or 0)
            lock = PostgresLock(self.database.url, bot_id, self.settings.standby_takeover_s)
            self._lock = lock

            def waiting() -> None:
                self.role = "standby"
                log.info("standby: another process is active on this database; waiting to take over")

            self._acquiring = asyncio.create_task(lock.acquire(waiting), name="standby-acquire")
            waited = await self._acquiring
            self._acquiring = None
            lock.watch(self._lock_lost)
            if waited:
                log.warning("standby: the active process is gone; this one takes over")
                if self.metrics:
                    self.metrics.takeovers.inc()
        self.role = "active"
        self.activated_at = time.monotonic()
        if self.metrics:
            self.metrics.active.set(1)

    def _lock_lost(self, reason: str) -> None:
        """Another process may hold the lock by now: stop at once, not after a graceful drain.

        Exiting is the only stop that is immediate for every part (handlers, outbox sends, jobs). Nothing is lost:
        updates not yet handled are not confirmed (see ConfirmGate) and claimed outbox rows are taken back by the
        next active process. A supervisor (Docker, systemd) starts this process again, as a standby.
        """
        if not self.exit_on_lock_loss:
            log.critical("lost the standby lock connection (%s)", reason)
            self.role = "lost"
            return
        log.critical("lost the standby lock connection (%s): exiting at once so that two processes never "
                     "handle updates together", reason)
        for handler in logging.getLogger().handlers:
            with contextlib.suppress(Exception):
                handler.flush()
        os._exit(EXIT_LOCK_LOST)

    async def stop(self) -> None:
        self.role = "stopping"
        if self._acquiring is not None:
            self._acquiring.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._acquiring
            self._acquiring = None
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        if self.server is not None:
            await self.server.stop()
            self.server = None
        if isinstance(self._lock, PostgresLock):
            await self._lock.release()
        elif self._lock is not None:
            self._lock.release()
        self._lock = None
        if self.metrics:
            self.metrics.active.set(0)

    # -- readiness and gauges --------------------------------------------------------------------------------
    def migration_head(self) -> str | None:
        if self._head is None:
            from bot import migrate

            self._head = migrate.head()
        return self._head

    async def webhook_info(self) -> WebhookInfo | None:
        now = time.monotonic()
        ttl = min(30.0, self.settings.poll_window_s / 2)  # getWebhookInfo is asked at most this often
        if self._webhook_info is None or now - self._webhook_info[0] > ttl:
            try:
                info = await self.application.bot.get_webhook_info()
            except Exception as exc:
                log.warning("getWebhookInfo failed (%s)", type(exc).__name__)
                info = None
            self._webhook_info = (now, info)
        return self._webhook_info[1]

    async def readiness(self) -> tuple[bool, dict]:
        ok, body = await readiness(self)
        if self.metrics:
            self.metrics.ready.set(1 if ok else 0)
        return ok, body

    async def _refresh_loop(self) -> None:
        while True:
            try:
                await self.refresh_gauges()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("could not refresh the metrics gauges (%s)", type(exc).__name__)
            await asyncio.sleep(REFRESH_S)

    async def refresh_gauges(self) -> None:
        metrics = self.metrics
        if metrics is None:
            return
        await self.readiness()
        if self.role != "active":
            return
        for (kind, what), count in (await outbox_counts(self)).items():
            (metrics.outbox_due if what == "due" else metrics.outbox_overdue).labels(kind).set(count)
        metrics.users_with_reminders.set(await users_with_reminders(self))
        if self._refreshers:
            async with self.database.session() as session:
                for refresh in self._refreshers:
                    await refresh(session, metrics)
