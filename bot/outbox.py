"""The outbox: one engine that sends what features queue (reminders, broadcasts, …), never lost, never rushed.

The database is the source of truth; APScheduler (PTB's JobQueue) is only the clock. A feature describes one kind
of outbound message as a :class:`Feed`: its table (rows with the :class:`OutboxRow` columns), what to send for a
row, and what to do once the row is settled. The engine does the rest, the same way for every feed:

1. **claim** a bounded batch of due rows atomically, as a lease (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite
   runs the claiming UPDATE as its single writer). If the process dies, the lease runs out and the row is claimed
   again — so a crash between sending and marking costs at most one duplicate per row in flight, never a loss;
2. **pace** every send through one :class:`Pacer` shared by all feeds (Telegram allows about 30 messages/s);
3. **send** with the outbox's own ``Bot`` (no shared rate limiter: a 429 here never delays replies to people);
4. **classify** the result — sent, retry later (429 or a network/5xx error, with backoff), the person blocked the
   bot, failed — and finish the row, only if this process still holds the claim.

The :class:`Outbox` service is created in ``build_application`` and started/stopped from ``post_init`` /
``post_shutdown``; it schedules its own repeating job.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from sqlalchemy import BigInteger, Integer, String, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from telegram import Bot, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.request import BaseRequest

from bot import users
from bot.db import Database, UTCDateTime, utcnow
from bot.models import User

if TYPE_CHECKING:
    from telegram.ext import Application, CallbackContext

    from bot.i18n import Translator

log = logging.getLogger(__name__)

# Row states, shared by every outbox table.
PENDING, CLAIMED, SENT, SKIPPED, FAILED = "pending", "claimed", "sent", "skipped", "failed"
BLOCKED_ERROR = "blocked"  # last_error of a row whose person blocked the bot

LEASE = timedelta(seconds=60)
MAX_RUN = 30.0  # seconds one dispatch run may keep sending before it lets the next tick take over
MAX_BACKOFF = 600


class OutboxRow:
    """The columns every outbox table shares (mixed into a feature's model)."""

    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # when it may go next (moves on retry)
    scheduled_for: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # when it was meant to go
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(64))  # an error class, never message text
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Outcome(enum.StrEnum):
    SENT = "sent"
    RETRY = "retry"
    BLOCKED = "blocked"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass
class Envelope:
    """What to send for one row."""

    text: str
    markup: InlineKeyboardMarkup | None = None


@dataclass
class Skip:
    """Do not send this row (with a short reason code, never text)."""

    reason: str


class Feed(Protocol):
    """One kind of outbound message. ``name`` labels stats; ``model`` is its table (with :class:`OutboxRow`)."""

    name: ClassVar[str]
    model: ClassVar[type]

    async def compose(self, session: AsyncSession, row: Any, user: User, now: datetime, late: bool) -> Envelope | Skip:
        """What to send for ``row`` to ``user`` (known, not blocked), or why not; ``late``: it is overdue."""

    async def settled(self, session: AsyncSession, row: Any, outcome: Outcome) -> None:
        """After the row was finished (committed). Default: nothing."""

    async def after_batch(self, session: AsyncSession, bot: Bot, rows: Sequence[Any]) -> None:
        """After each claimed batch (e.g. progress lines). Default: nothing."""


class FeedBase:
    """No-op defaults for the optional :class:`Feed` hooks."""

    async def settled(self, session: AsyncSession, row: Any, outcome: Outcome) -> None:
        return None

    async def after_batch(self, session: AsyncSession, bot: Bot, rows: Sequence[Any]) -> None:
        return None

    async def on_blocked(self, session: AsyncSession, user_id: int) -> None:
        """The person blocked the bot: stop what this feed would send them (not committed here)."""
        return None

    async def on_return(self, session: AsyncSession, user_id: int, t: Translator) -> str | None:
        """The person who had blocked the bot writes again: undo what :meth:`on_blocked` did (not committed
        here), and say so in one line of their language, or None when there is nothing to say."""
        return None


class Pacer:
    """At most ``rate`` sends per second for this process, evenly spaced (Telegram allows about 30 overall)."""

    def __init__(self, rate: float) -> None:
        self.gap = 1.0 / rate
        self._next = 0.0
        self._lock = asyncio.Lock()

    @property
    def rate(self) -> float:
        return 1.0 / self.gap

    async def wait(self) -> None:
        async with self._lock:
            now = time.monotonic()
            if self._next > now:
                await asyncio.sleep(self._next - now)
            self._next = max(self._next, now) + self.gap


@dataclass
class DispatchStats:
    sent: int = 0
    late: int = 0
    skipped: int = 0
    blocked: int = 0
    retried: int = 0
    failed: int = 0
    claimed: int = 0
    lateness: list[float] = field(default_factory=list)  # seconds between scheduled_for and sent

    def add(self, other: DispatchStats) -> None:
        for name in ("sent", "late", "skipped", "blocked", "retried", "failed", "claimed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.lateness += other.lateness


def batch_size(rate: float, interval: float) -> int:
    """Enough rows to keep sending until the next tick, and no more (the rest stay free for other processes)."""
    return max(1, min(500, int(rate * interval) + 1))


def retry_seconds(exc: RetryAfter) -> float:
    value = exc.retry_after
    return float(value.total_seconds() if isinstance(value, timedelta) else value)


async def claim(session: AsyncSession, model: type, now: datetime, limit: int, lease: timedelta = LEASE,
                owner: str = "") -> list:
    """Atomically take up to ``limit`` due rows of an outbox table. The claim names its ``owner`` (the process)."""
    assert len(owner) <= 19, "owner + '.' + 12 hex characters must fit claim_token (32)"
    token = f"{owner}.{secrets.token_hex(6)}" if owner else secrets.token_hex(8)
    due = or_(
        and_(model.status == PENDING, model.due_at <= now),
        and_(model.status == CLAIMED, model.claimed_until < now),  # an expired lease: the sender died
    )
    candidates = select(model.id).where(due).order_by(model.due_at).limit(limit)
    if session.bind.dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    await session.execute(
        update(model).where(model.id.in_(candidates.scalar_subquery()))
        .values(status=CLAIMED, claim_token=token, claimed_until=now + lease)
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    rows = (await session.scalars(select(model).where(model.claim_token == token, model.status == CLAIMED))).all()
    return sorted(rows, key=lambda r: r.due_at)


async def reclaim_from(session: AsyncSession, model: type, owner: str) -> int:
    """Put back every row claimed by another process than ``owner``: called when this process has just become
    the only active one (the standby lock on PostgreSQL, the lock file on SQLite), so those owners are dead and
    their rows need not wait out the lease."""
    result = await session.execute(
        update(model).where(model.status == CLAIMED, or_(model.claim_token.is_(None),
                                                         ~model.claim_token.startswith(f"{owner}.")))
        .values(status=PENDING, claim_token=None, claimed_until=None)
        .execution_options(synchronize_session=False))
    await session.commit()
    return result.rowcount or 0


async def finish(session: AsyncSession, row: Any, **values: Any) -> None:
    """Only the holder of the claim may finish the row (another process may have re-claimed an expired lease)."""
    model = type(row)
    await session.execute(update(model).where(model.id == row.id, model.claim_token == row.claim_token)
                          .values(claim_token=None, claimed_until=None, **values))
    await session.commit()


class Dispatcher:
    """Sends the due rows of a set of feeds through one bot at one pace."""

    def __init__(self, database: Database, bot: Bot, feeds: Sequence[FeedBase], *, pacer: Pacer,
                 max_attempts: int, lease: timedelta = LEASE, late_after: timedelta = timedelta(seconds=60),
                 owner: str = "", on_batch: Callable[[str, DispatchStats], None] | None = None) -> None:
        self.database, self.bot, self.feeds, self.pacer = database, bot, list(feeds), pacer
        self.max_attempts, self.lease, self.late_after, self.owner = max_attempts, lease, late_after, owner
        self.on_batch = on_batch

    async def run(self, *, now: datetime | None = None, max_run: float = MAX_RUN) -> dict[str, DispatchStats]:
        """Claim a second's worth of rows per feed at a time, and send them, until nothing is due (or ``max_run``
        has passed: the next tick continues). Ticks that fall while this runs are skipped by APScheduler
        (max_instances=1); short claims keep each lease far shorter than its expiry. A fixed ``now`` (tests) runs
        one round only."""
        stats = {feed.name: DispatchStats() for feed in self.feeds}
        started = time.monotonic()
        async with self.database.session() as session:
            while True:
                claimed = 0
                for feed in self.feeds:
                    claimed += await self._batch(session, feed, now, stats[feed.name])
                if not claimed or now is not None or time.monotonic() - started >= max_run:
                    return stats

    async def _batch(self, session: AsyncSession, feed: FeedBase, now: datetime | None, stats: DispatchStats) -> int:
        rows = await claim(session, feed.model, now or utcnow(), batch_size(self.pacer.rate, 1.0), self.lease,
                           self.owner)
        batch = DispatchStats(claimed=len(rows))
        for row in rows:
            outcome = await self._deliver(session, feed, row, now, batch)
            await feed.settled(session, row, outcome)
        if rows:
            await feed.after_batch(session, self.bot, rows)
            if self.on_batch is not None:
                self.on_batch(feed.name, batch)
        stats.add(batch)
        return len(rows)

    async def _deliver(self, session: AsyncSession, feed: FeedBase, row: Any, now: datetime | None,
                       stats: DispatchStats) -> Outcome:
        current = now or utcnow()
        late = current - row.scheduled_for > self.late_after
        user = await session.get(User, row.user_id)
        envelope = (Skip("inactive") if user is None or user.blocked
                    else await feed.compose(session, row, user, current, late))
        if isinstance(envelope, Skip):
            await finish(session, row, status=SKIPPED, last_error=envelope.reason)
            stats.skipped += 1
            return Outcome.SKIPPED
        await self.pacer.wait()
        try:
            await self.bot.send_message(row.user_id, envelope.text, parse_mode="HTML", reply_markup=envelope.markup,
                                        disable_web_page_preview=True)
        except RetryAfter as exc:
            await finish(session, row, status=PENDING, last_error="retry_after",
                         due_at=utcnow() + timedelta(seconds=retry_seconds(exc)))
            stats.retried += 1
            return Outcome.RETRY
        except (Forbidden, BadRequest) as exc:
            if isinstance(exc, BadRequest) and "chat not found" not in str(exc).lower():
                log.error("%s row %s refused by Telegram: %s", feed.name, row.id, type(exc).__name__)
                await finish(session, row, status=FAILED, attempts=row.attempts + 1, last_error="bad_request")
                stats.failed += 1
                return Outcome.FAILED
            await self._blocked(session, row)
            stats.blocked += 1
            return Outcome.BLOCKED
        except (NetworkError, TelegramError) as exc:  # TimedOut is a NetworkError
            attempts = row.attempts + 1
            if attempts >= self.max_attempts:
                log.error("%s row %s failed after %d attempts (%s)", feed.name, row.id, attempts, type(exc).__name__)
                await finish(session, row, status=FAILED, attempts=attempts, last_error=type(exc).__name__[:64])
                stats.failed += 1
                return Outcome.FAILED
            await finish(session, row, status=PENDING, attempts=attempts, last_error=type(exc).__name__[:64],
                         due_at=utcnow() + timedelta(seconds=min(MAX_BACKOFF, 2 ** attempts)))
            stats.retried += 1
            return Outcome.RETRY
        sent_at = utcnow()
        values: dict[str, Any] = {"status": SENT, "sent_at": sent_at, "attempts": row.attempts + 1}
        if hasattr(type(row), "late"):
            values["late"] = late
        await finish(session, row, **values)
        stats.sent += 1
        stats.late += late
        stats.lateness.append((sent_at - row.scheduled_for).total_seconds())
        return Outcome.SENT

    async def _blocked(self, session: AsyncSession, row: Any) -> None:
        """The person blocked the bot (or deleted the chat): stop writing to them until they come back. Every
        feed stops what it would send them; the user flag and the row's outcome are committed together."""
        for feed in self.feeds:
            await feed.on_blocked(session, row.user_id)
        await session.execute(update(User).where(User.id == row.user_id).values(blocked=True))
        await finish(session, row, status=FAILED, attempts=row.attempts + 1, last_error=BLOCKED_ERROR)
        users.forget(session, row.user_id)


class Outbox:
    """The long-lived outbox service: its own Bot, one pacer, the feeds, and the repeating job that drives them."""

    JOB_NAME = "outbox"

    def __init__(self, database: Database, *, token: str, base_url: str, rate: float, interval: float,
                 max_attempts: int, lease: timedelta = LEASE, owner: str = "", request: BaseRequest | None = None,
                 on_batch: Callable[[str, DispatchStats], None] | None = None) -> None:
        self.database, self.token, self.base_url = database, token, base_url
        # owner names this process in its claims; request is the Bot API transport (bot.ops counts the calls);
        # on_batch receives each claimed batch's figures, per feed (bot.ops turns them into metrics).
        self.owner, self.request, self.on_batch = owner, request, on_batch
        self.interval, self.max_attempts, self.lease = interval, max_attempts, lease
        self.pacer = Pacer(rate)
        self.feeds: list[FeedBase] = []
        self.bot: Bot | None = None
        self.runs = 0  # completed dispatch runs (tests and benchmarks wait on it)
        self._periodic: list[tuple[int, Any]] = []

    def add_feed(self, feed: FeedBase) -> None:
        self.feeds.append(feed)

    def every(self, runs: int, task: Any) -> None:
        """Run ``await task(session)`` after every ``runs``-th dispatch run (housekeeping such as retention)."""
        self._periodic.append((runs, task))

    def dispatcher(self, bot: Bot | None = None, pacer: Pacer | None = None) -> Dispatcher:
        bot = bot or self.bot
        assert bot is not None, "the outbox has not been started"
        late_after = timedelta(seconds=max(60.0, 3 * self.interval))
        return Dispatcher(self.database, bot, self.feeds, pacer=pacer or self.pacer, max_attempts=self.max_attempts,
                          lease=self.lease, late_after=late_after, owner=self.owner,
                          on_batch=self.on_batch)

    async def start(self, application: Application) -> None:
        self.bot = Bot(self.token, base_url=self.base_url, request=self.request)
        await self.bot.initialize()
        if self.owner:  # this process is the active one now: rows claimed by any other process are orphans
            async with self.database.session() as session:
                for feed in self.feeds:
                    if taken := await reclaim_from(session, feed.model, self.owner):
                        log.warning("took back %d %s rows claimed by a process that is gone", taken, feed.name)
        assert application.job_queue is not None, "the outbox needs PTB's job-queue extra"
        application.job_queue.run_repeating(self._tick, interval=self.interval, first=0.1, name=self.JOB_NAME,
                                            job_kwargs={"max_instances": 1, "coalesce": True})

    async def stop(self) -> None:
        if self.bot is not None:
            await self.bot.shutdown()
            self.bot = None

    async def welcome_back(self, session: AsyncSession, user_id: int, t: Translator) -> list[str]:
        """Every feed undoes what the person's block stopped, in one transaction; the lines to tell them."""
        lines = [line for feed in self.feeds if (line := await feed.on_return(session, user_id, t))]
        await session.commit()
        return lines

    async def run_once(self, *, now: datetime | None = None) -> dict[str, DispatchStats]:
        stats = await self.dispatcher().run(now=now)
        self.runs += 1
        for every, task in self._periodic:
            if self.runs % every == 1 or every == 1:
                async with self.database.session() as session:
                    await task(session)
        return stats

    async def _tick(self, _context: CallbackContext) -> None:
        await self.run_once()
