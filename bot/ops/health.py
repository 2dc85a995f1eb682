"""The operations endpoint: ``/healthz``, ``/readyz`` and ``/metrics`` over aiohttp, in the bot's own event loop.

* ``/healthz`` — 200 while the process is up and its event loop answers (this handler runs in that loop);
* ``/readyz`` — 200 or 503 with a small JSON body: the role (``active`` or ``standby``) and each check;
* ``/metrics`` — Prometheus text format.

Nothing here names a person: the bodies hold states, counts and check names.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import time
from datetime import timedelta
from typing import Any, Protocol

from aiohttp import web
from sqlalchemy import distinct, func, select, text

from bot.config import Settings
from bot.db import Database, utcnow
from bot.ops.confirm import ConfirmGate

log = logging.getLogger(__name__)



class Ops(Protocol):
    """What the checks need of ``bot.ops.service.Ops``."""

    settings: Settings
    database: Database
    gate: ConfirmGate
    application: Any
    role: str
    webhook: bool
    activated_at: float | None

    def migration_head(self) -> str | None: ...

    async def webhook_info(self) -> Any: ...

    async def readiness(self) -> tuple[bool, dict]: ...

    @property
    def metrics(self) -> Any: ...


OVERDUE_AFTER = timedelta(minutes=5)
CHECK_TIMEOUT = 3.0  # seconds each database check may take before it counts as failed


def _sqlite_probe(path: str) -> None:
    """A fresh connection to the file at its path: pooled connections keep working on a file that was deleted or
    moved away (a lost volume), and would go on writing into nothing."""
    conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=CHECK_TIMEOUT)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    finally:
        conn.close()


async def database_answers(ops: Ops) -> str | None:
    async with ops.database.session() as session:
        await session.execute(text("SELECT 1"))
    path = ops.database.engine.url.database
    if ops.database.dialect == "sqlite" and path and path != ":memory:":
        try:
            await asyncio.to_thread(_sqlite_probe, path)
        except sqlite3.Error:
            return "the database file cannot be opened at its path"
    return None


async def migrations_at_head(ops: Ops) -> str | None:
    async with ops.database.session() as session:  # (Alembic's own reader logs two lines per call)
        current = await session.scalar(text("SELECT version_num FROM alembic_version"))
    head = ops.migration_head()
    return None if current == head else f"at {current or 'nothing'}, latest is {head}"


async def updates_arrive(ops: Ops) -> str | None:
    """Polling: getUpdates answered within the polling window. Webhook: Telegram reports no recent delivery error."""
    if ops.webhook:
        info = await ops.webhook_info()
        if info is None:
            return "getWebhookInfo failed"
        error_at = info.last_error_date
        if error_at is not None and utcnow() - error_at < timedelta(seconds=ops.settings.poll_window_s):
            return "Telegram reports a recent webhook delivery error"
        return None
    last = ops.gate.last_poll
    if last is None or (ops.activated_at is not None and last < ops.activated_at):
        return "not polling yet"
    age = time.monotonic() - last
    if age > ops.settings.poll_window_s:
        return f"no answer from getUpdates for {age:.0f} s"
    return None


async def outbox_on_time(ops: Ops) -> str | None:
    """No reminder overdue by more than 5 minutes. (A long broadcast's tail is allowed to be: it is paced.)"""
    counts = await outbox_counts(ops, feeds=("reminders",), what=("overdue",))
    overdue = sum(counts.values())
    return None if not overdue else f"{overdue} reminder(s) overdue by more than 5 minutes"


async def outbox_counts(ops: Ops, feeds: tuple[str, ...] | None = None,
                        what: tuple[str, ...] = ("due", "overdue")) -> dict[tuple[str, str], int]:
    """Rows due now and not yet sent, and those overdue by more than 5 minutes, per outbox feed."""
    from bot.outbox import CLAIMED, PENDING

    now = utcnow()
    cutoffs = {"due": now, "overdue": now - OVERDUE_AFTER}
    out: dict[tuple[str, str], int] = {}
    async with ops.database.session() as session:
        for feed in ops.application.outbox.feeds:
            if feeds is not None and feed.name not in feeds:
                continue
            model = feed.model
            for name in what:
                out[(feed.name, name)] = await session.scalar(
                    select(func.count()).select_from(model).where(model.status.in_((PENDING, CLAIMED)),
                                                                  model.due_at <= cutoffs[name])) or 0
    return out


async def users_with_reminders(ops: Ops) -> int:
    from bot.reminders.models import ACTIVE, Subscription

    async with ops.database.session() as session:
        return await session.scalar(select(func.count(distinct(Subscription.user_id)))
                                    .where(Subscription.status == ACTIVE)) or 0


class DeskWatch:
    """Help-desk figures from its table: open tickets, the longest wait, and each new first answer's delay
    (observed once, when a refresh first sees it; earlier ones are not replayed after a restart)."""

    def __init__(self) -> None:
        self.seen_until = utcnow()

    async def refresh(self, session, metrics) -> None:
        from bot.helpdesk.models import OPEN, Ticket

        now = utcnow()
        metrics.desk_open_tickets.set(await session.scalar(
            select(func.count()).select_from(Ticket).where(Ticket.status == OPEN)) or 0)
        oldest = await session.scalar(select(func.min(Ticket.waiting_since)).where(Ticket.status == OPEN))
        metrics.desk_oldest_wait_seconds.set((now - oldest).total_seconds() if oldest else 0)
        rows = (await session.execute(select(Ticket.created_at, Ticket.first_answer_at).where(
            Ticket.first_answer_at > self.seen_until))).all()
        for created, answered in rows:
            metrics.desk_first_answer_seconds.observe(max(0.0, (answered - created).total_seconds()))
        self.seen_until = max([self.seen_until, *(answered for _, answered in rows)])


CHECKS = (("database", database_answers), ("migrations", migrations_at_head), ("updates", updates_arrive),
          ("outbox", outbox_on_time))


async def readiness(ops: Ops) -> tuple[bool, dict]:
    """Each check's result ("ok" or why not). A standby is not ready: it does not handle updates."""
    checks: dict[str, str] = {}
    if ops.role != "active":
        return False, {"ready": False, "role": ops.role, "failed": [ops.role], "checks": {}}
    for name, check in CHECKS:
        if name != "database" and checks.get("database", "ok") != "ok":
            checks[name] = "skipped: database"
            continue
        try:
            problem = await asyncio.wait_for(check(ops), CHECK_TIMEOUT)
        except TimeoutError:
            problem = "timed out"
        except Exception as exc:  # the class only: a driver message can hold connection details
            problem = f"failed ({type(exc).__name__})"
        checks[name] = problem or "ok"
    failed = [name for name, result in checks.items() if result != "ok"]
    return not failed, {"ready": not failed, "role": ops.role, "failed": failed, "checks": checks}


class HealthServer:
    def __init__(self, ops: Ops, host: str, port: int) -> None:
        self.ops, self.host, self.port = ops, host, port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.port).start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @staticmethod
    def _json(body: dict, status: int = 200) -> web.Response:
        return web.Response(text=json.dumps(body), status=status, content_type="application/json")

    async def _healthz(self, _request: web.Request) -> web.Response:
        return self._json({"status": "ok", "role": self.ops.role})

    async def _readyz(self, _request: web.Request) -> web.Response:
        ok, body = await self.ops.readiness()
        return self._json(body, 200 if ok else 503)

    async def _metrics(self, _request: web.Request) -> web.Response:
        metrics = self.ops.metrics
        if metrics is None:
            return web.Response(status=404)
        payload, content_type = metrics.exposition()
        return web.Response(body=payload, headers={"Content-Type": content_type})
