"""The reminder outbox: the database is the source of truth, APScheduler (PTB's JobQueue) is only the clock.

Every ``interval`` seconds :func:`dispatch_once` claims a bounded batch of due rows atomically (``FOR UPDATE
SKIP LOCKED`` on PostgreSQL; SQLite runs the claiming UPDATE as its single writer), sends them at the configured
pace, and marks each one sent as soon as Telegram accepted it. A claim is a lease: if the process dies, the lease
runs out and the row is claimed again — so a crash between sending and marking costs at most one duplicate
per row in flight, and never a lost reminder.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot import users
from bot.db import Database, utcnow
from bot.models import User
from bot.reminders.models import (
    ACTIVE,
    CLAIMED,
    FAILED,
    FOLLOWUP,
    PENDING,
    SENT,
    SKIPPED,
    Reminder,
    Subscription,
)

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
MAX_RUN = 30.0  # seconds one dispatch run may keep sending before it lets the next tick take over


class Pacer:
    """At most ``rate`` sends per second for this process, evenly spaced (Telegram allows about 30 overall)."""

    def __init__(self, rate: float) -> None:
        self.gap = 1.0 / rate
        self._next = 0.0
        self._lock = asyncio.Lock()

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


def batch_size(rate: float, interval: float) -> int:
    """Enough rows to keep sending until the next tick, and no more (the rest stay free for other processes)."""
    return max(1, min(500, int(rate * interval) + 1))


async def claim(session: AsyncSession, now: datetime, limit: int, lease: timedelta = LEASE, model=Reminder) -> list:
    """Atomically take up to ``limit`` due rows of an outbox table (reminders, or broadcast deliveries)."""
    token = secrets.token_hex(8)
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


async def finish(session: AsyncSession, row, **values) -> None:
    """Only the holder of the claim may finish the row (another process may have re-claimed an expired lease)."""
    model = type(row)
    await session.execute(update(model).where(model.id == row.id, model.claim_token == row.claim_token)
                          .values(claim_token=None, claimed_until=None, **values))
    await session.commit()



async def dispatch_once(database: Database, bot: Bot, renderer, *, pacer: Pacer, interval: float,
                        max_attempts: int, now: datetime | None = None, late_after: timedelta | None = None,
                        stats: DispatchStats | None = None, lease: timedelta = LEASE) -> DispatchStats:
    stats = stats or DispatchStats()
    late_after = late_after or timedelta(seconds=max(60.0, 3 * interval))
    async with database.session() as session:
        # Keep claiming a second's worth of rows at a time until nothing is due (or MAX_RUN has passed), so a long
        # queue goes out at exactly the pace. Ticks that fall while this runs are skipped by APScheduler
        # (max_instances=1); short claims keep each lease far shorter than its expiry.
        rate = 1 / pacer.gap
        started = time.monotonic()
        while True:
            rows = await claim(session, now or utcnow(), batch_size(rate, 1.0), lease)
            stats.claimed += len(rows)
            for row in rows:
                sub = await session.get(Subscription, row.subscription_id)
                user = await session.get(User, row.user_id)
                current = utcnow() if now is None else now
                if sub is None or user is None or sub.status != ACTIVE or user.blocked:
                    await finish(session, row, status=SKIPPED, last_error="inactive")
                    stats.skipped += 1
                    continue
                if row.kind != FOLLOWUP and current >= sub.event_at:
                    # The event itself has passed: a reminder now would only confuse. The follow-up still goes.
                    await finish(session, row, status=SKIPPED, last_error="after_event")
                    stats.skipped += 1
                    continue
                late = current - row.scheduled_for > late_after
                text, markup = renderer(row, sub, user, current, late)
                await pacer.wait()
                try:
                    await bot.send_message(user.id, text, parse_mode="HTML", reply_markup=markup,
                                           disable_web_page_preview=True)
                except RetryAfter as exc:
                    retry = exc.retry_after if isinstance(exc.retry_after, int | float) else exc.retry_after.total_seconds()
                    await finish(session, row, status=PENDING, due_at=utcnow() + timedelta(seconds=float(retry)),
                                  last_error="retry_after")
                    stats.retried += 1
                except Forbidden:
                    await _blocked(session, row, stats)
                except BadRequest as exc:
                    if "chat not found" in str(exc).lower():
                        await _blocked(session, row, stats)
                    else:
                        log.error("reminder %s refused by Telegram: %s", row.id, type(exc).__name__)
                        await finish(session, row, status=FAILED, attempts=row.attempts + 1, last_error="bad_request")
                        stats.failed += 1
                except (TimedOut, NetworkError, TelegramError) as exc:
                    attempts = row.attempts + 1
                    if attempts >= max_attempts:
                        log.error("reminder %s failed after %d attempts (%s)", row.id, attempts, type(exc).__name__)
                        await finish(session, row, status=FAILED, attempts=attempts, last_error=type(exc).__name__[:64])
                        stats.failed += 1
                    else:
                        backoff = timedelta(seconds=min(600, 2 ** attempts))
                        await finish(session, row, status=PENDING, attempts=attempts, due_at=utcnow() + backoff,
                                      last_error=type(exc).__name__[:64])
                        stats.retried += 1
                else:
                    sent_at = utcnow()
                    await finish(session, row, status=SENT, sent_at=sent_at, late=late, attempts=row.attempts + 1)
                    stats.sent += 1
                    stats.late += late
                    stats.lateness.append((sent_at - row.scheduled_for).total_seconds())
            if not rows or now is not None or time.monotonic() - started >= MAX_RUN:
                break
    return stats


async def _blocked(session: AsyncSession, row: Reminder, stats: DispatchStats) -> None:
    """The person blocked the bot (or deleted the chat): stop writing to them until they come back.

    The user flag, their paused subscriptions and the row's outcome are committed together."""
    await session.execute(update(Subscription).where(Subscription.user_id == row.user_id,
                                                     Subscription.status == ACTIVE).values(status="paused"))
    await session.execute(update(User).where(User.id == row.user_id).values(blocked=True))
    await finish(session, row, status=FAILED, attempts=row.attempts + 1, last_error="blocked")
    users.forget(session, row.user_id)
    stats.blocked += 1


async def health(session: AsyncSession) -> tuple[str, bool, str]:
    """For ``python -m bot check``: failed reminders of the last week, and rows overdue by more than 10 minutes."""
    now = utcnow()
    failed = await session.scalar(select(func.count()).select_from(Reminder).where(
        Reminder.status == FAILED, Reminder.last_error != "blocked", Reminder.scheduled_for > now - timedelta(days=7)))
    overdue = await session.scalar(select(func.count()).select_from(Reminder).where(
        Reminder.status.in_((PENDING, CLAIMED)), Reminder.due_at < now - timedelta(minutes=10)))
    ok = not failed and not overdue
    return ("reminders", ok, f"{failed} failed in the last 7 days, {overdue} overdue by more than 10 minutes")
