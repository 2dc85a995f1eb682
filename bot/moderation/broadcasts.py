"""News broadcasts to people who opted in, through the same kind of outbox as reminders.

A broadcast becomes one ``Delivery`` row per opted-in person, all written in one transaction; the dispatcher
claims them with a lease, sends at the shared pace, marks each one, and keeps the moderator's progress line
up to date. Nobody who did not opt in is ever written to.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot import users
from bot.db import Database, utcnow
from bot.i18n import locale_for, translator
from bot.models import User
from bot.moderation.models import Broadcast, Delivery
from bot.reminders import service as reminders
from bot.reminders.models import CLAIMED, FAILED, PENDING, SENT
from bot.reminders.outbox import LEASE, MAX_RUN, Pacer, batch_size, claim, finish

log = logging.getLogger(__name__)


async def create(session: AsyncSession, author_id: int, text_ru: str, text_en: str, locale: str = "ru") -> Broadcast:
    now = utcnow()
    broadcast = Broadcast(author_id=author_id, text_ru=text_ru, text_en=text_en, status="sending", created_at=now,
                          locale=locale)
    session.add(broadcast)
    await session.flush()
    recipients = list((await session.scalars(select(User.id).where(User.news.is_(True), User.blocked.is_(False))))
                      .all())
    if recipients:
        await session.execute(insert(Delivery), [
            {"broadcast_id": broadcast.id, "user_id": uid, "status": PENDING, "due_at": now, "scheduled_for": now,
             "attempts": 0} for uid in recipients])
    broadcast.total = len(recipients)
    await session.commit()
    return broadcast


@dataclass
class Counts:
    total: int
    sent: int
    blocked: int
    failed: int
    pending: int


async def counts(session: AsyncSession, broadcast_id: int) -> Counts:
    rows = dict((await session.execute(
        select(Delivery.status, func.count()).where(Delivery.broadcast_id == broadcast_id).group_by(Delivery.status)
    )).all())
    blocked = await session.scalar(select(func.count()).select_from(Delivery).where(
        Delivery.broadcast_id == broadcast_id, Delivery.status == FAILED, Delivery.last_error == "blocked"))
    total = sum(rows.values())
    return Counts(total=total, sent=rows.get(SENT, 0), blocked=blocked, failed=rows.get(FAILED, 0) - blocked,
                  pending=rows.get(PENDING, 0) + rows.get(CLAIMED, 0))


def progress_text(c: Counts, locale: str, done: bool) -> str:
    t = translator(locale)
    head = "✅ " + t._("Broadcast finished.") if done else "📤 " + t._("Broadcast is being sent…")
    return head + "\n" + t._("Sent: {sent} of {total}. Blocked the bot: {blocked}. Failed: {failed}.",
                             sent=c.sent, total=c.total, blocked=c.blocked, failed=c.failed)


async def dispatch_once(database: Database, bot: Bot, *, pacer: Pacer, interval: float, max_attempts: int,
                        default_locale: str = "ru") -> int:
    """Send due deliveries a second's worth at a time, updating the progress lines, until none is due (or
    ``MAX_RUN`` has passed: then the next tick continues). Returns how many were sent."""
    started, sent = time.monotonic(), 0
    while True:
        batch_sent, claimed = await _dispatch_batch(database, bot, pacer=pacer, max_attempts=max_attempts,
                                                    default_locale=default_locale)
        sent += batch_sent
        if not claimed or time.monotonic() - started >= MAX_RUN:
            return sent


async def _dispatch_batch(database: Database, bot: Bot, *, pacer: Pacer, max_attempts: int,
                          default_locale: str) -> tuple[int, int]:
    sent = 0
    touched: set[int] = set()
    async with database.session() as session:
        rows = await claim(session, utcnow(), batch_size(1 / pacer.gap, 1.0), LEASE, model=Delivery)
        for row in rows:
            touched.add(row.broadcast_id)
            user = await session.get(User, row.user_id)
            broadcast = await session.get(Broadcast, row.broadcast_id)
            if user is None or not user.news or user.blocked or broadcast is None:
                await finish(session, row, status="skipped", last_error="opted_out")
                continue
            locale = locale_for(user.locale, None, default_locale)
            await pacer.wait()
            try:
                await bot.send_message(user.id, broadcast.text_ru if locale == "ru" else broadcast.text_en,
                                       parse_mode="HTML", disable_web_page_preview=True)
            except RetryAfter as exc:
                seconds = exc.retry_after if isinstance(exc.retry_after, int | float) else exc.retry_after.seconds
                await finish(session, row, status=PENDING, last_error="retry_after",
                             due_at=utcnow() + timedelta(seconds=float(seconds)))
            except (Forbidden, BadRequest) as exc:
                if isinstance(exc, BadRequest) and "chat not found" not in str(exc).lower():
                    await finish(session, row, status=FAILED, attempts=row.attempts + 1, last_error="bad_request")
                    continue
                await finish(session, row, status=FAILED, attempts=row.attempts + 1, last_error="blocked")
                await reminders.pause_all_for_user(session, row.user_id)
                await users.mark_blocked(session, row.user_id)
            except (NetworkError, TelegramError) as exc:
                attempts = row.attempts + 1
                status = FAILED if attempts >= max_attempts else PENDING
                await finish(session, row, status=status, attempts=attempts, last_error=type(exc).__name__[:64],
                             due_at=utcnow() + timedelta(seconds=min(600, 2 ** attempts)))
            else:
                await finish(session, row, status=SENT, attempts=row.attempts + 1, sent_at=utcnow())
                sent += 1
        # Progress lines, and the final count once nothing is left to send.
        active = set((await session.scalars(select(Broadcast.id).where(Broadcast.status == "sending"))).all())
        for broadcast_id in touched | active:
            broadcast = await session.get(Broadcast, broadcast_id)
            c = await counts(session, broadcast_id)
            done = c.pending == 0
            if broadcast.status == "sending" and (broadcast_id in touched or done):
                await _show_progress(bot, broadcast, c, done, broadcast.locale)
            if done and broadcast.status == "sending":
                await session.execute(update(Broadcast).where(Broadcast.id == broadcast_id).values(status="done"))
                await session.commit()
    return sent, len(rows)


async def _show_progress(bot: Bot, broadcast: Broadcast, c: Counts, done: bool, locale: str) -> None:
    author = broadcast.author_id
    try:
        text = progress_text(c, locale, done)
        if broadcast.progress_message_id:
            await bot.edit_message_text(text, chat_id=author, message_id=broadcast.progress_message_id)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            log.warning("could not update broadcast %s progress: %s", broadcast.id, type(exc).__name__)
    except TelegramError as exc:
        log.warning("could not update broadcast %s progress: %s", broadcast.id, type(exc).__name__)


async def recipient_count(session: AsyncSession) -> int:
    """How many people a broadcast would reach now: opted in, and not blocking the bot."""
    return await session.scalar(select(func.count()).select_from(User)
                                .where(User.news.is_(True), User.blocked.is_(False)))
