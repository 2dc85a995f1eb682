"""News broadcasts to people who opted in, sent by the outbox engine (``bot.outbox``) like reminders.

A broadcast becomes one ``Delivery`` row per opted-in person, all written in one transaction; the outbox claims
them with a lease, sends at the shared pace and marks each one; this feed keeps the moderator's progress line
up to date. Nobody who did not opt in is ever written to.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot
from telegram.error import BadRequest, TelegramError

from bot.db import utcnow
from bot.i18n import locale_for, translator
from bot.models import User
from bot.moderation.models import Broadcast, Delivery
from bot.outbox import BLOCKED_ERROR, CLAIMED, FAILED, PENDING, SENT, Envelope, FeedBase, Skip

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
        Delivery.broadcast_id == broadcast_id, Delivery.status == FAILED, Delivery.last_error == BLOCKED_ERROR))
    total = sum(rows.values())
    return Counts(total=total, sent=rows.get(SENT, 0), blocked=blocked, failed=rows.get(FAILED, 0) - blocked,
                  pending=rows.get(PENDING, 0) + rows.get(CLAIMED, 0))


def progress_text(c: Counts, locale: str, done: bool) -> str:
    t = translator(locale)
    head = "✅ " + t._("Broadcast finished.") if done else "📤 " + t._("Broadcast is being sent…")
    return head + "\n" + t._("Sent: {sent} of {total}. Blocked the bot: {blocked}. Failed: {failed}.",
                             sent=c.sent, total=c.total, blocked=c.blocked, failed=c.failed)


class BroadcastFeed(FeedBase):
    """Broadcast deliveries as an outbox feed: the text in the person's language, and the moderator's progress
    line kept up to date after every batch (with the final count once nothing is left to send)."""

    name: ClassVar[str] = "broadcasts"
    model: ClassVar[type] = Delivery

    def __init__(self, default_locale: str = "ru") -> None:
        self.default_locale = default_locale

    async def compose(self, session: AsyncSession, row: Delivery, user: User, now: datetime,
                      late: bool) -> Envelope | Skip:
        broadcast = await session.get(Broadcast, row.broadcast_id)
        if not user.news or broadcast is None:
            return Skip("opted_out")
        locale = locale_for(user.locale, None, self.default_locale)
        return Envelope(broadcast.text_ru if locale == "ru" else broadcast.text_en)

    async def after_batch(self, session: AsyncSession, bot: Bot, rows: Sequence[Delivery]) -> None:
        touched = {row.broadcast_id for row in rows}
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
