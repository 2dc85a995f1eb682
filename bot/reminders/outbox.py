"""Reminders as an outbox feed: what a due reminder says, and when it must not go (``bot.outbox`` sends it).

A reminder is skipped when its subscription is gone or paused, or when its event has already passed (a reminder
then would only confuse; the follow-up still goes). When a person blocks the bot, their active subscriptions are
paused (marked as paused by the block) until they come back; then exactly those are resumed, not the ones the
person paused themselves, and the person is told once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import ClassVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import utcnow
from bot.i18n import Translator
from bot.models import User
from bot.outbox import CLAIMED, FAILED, PENDING, Envelope, FeedBase, Skip
from bot.reminders import messages, service
from bot.reminders.models import ACTIVE, BY_BLOCK, FOLLOWUP, PAUSED, Reminder, Subscription

Renderer = Callable[[Reminder, Subscription, User, datetime, bool], tuple]


class ReminderFeed(FeedBase):
    name: ClassVar[str] = "reminders"
    model: ClassVar[type] = Reminder

    def __init__(self, render: Renderer = messages.render) -> None:
        self.render = render

    async def compose(self, session: AsyncSession, row: Reminder, user: User, now: datetime,
                      late: bool) -> Envelope | Skip:
        sub = await session.get(Subscription, row.subscription_id)
        if sub is not None and sub.status == PAUSED and sub.paused_by == BY_BLOCK:
            # Paused by a block, yet the person is not blocking us (``user`` is known and unblocked): their
            # return was not seen through (a failure then, or another process). The reminder goes.
            await service.resume_after_block(session, sub.user_id)
            await session.commit()
            await session.refresh(sub)
        if sub is None or sub.status != ACTIVE:
            return Skip("inactive")
        if row.kind != FOLLOWUP and sub.has_passed(now):
            return Skip("after_event")
        text, markup = self.render(row, sub, user, now, late)
        return Envelope(text, markup)

    async def on_blocked(self, session: AsyncSession, user_id: int) -> None:
        await service.pause_all_for_user(session, user_id)

    async def on_return(self, session: AsyncSession, user_id: int, t: Translator) -> str | None:
        resumed = await service.resume_after_block(session, user_id)
        if not resumed:
            return None
        return t.ngettext(
            "Welcome back. While the bot was blocked, your reminder was paused; it is on again. /reminders shows it.",
            "Welcome back. While the bot was blocked, your {n} reminders were paused; they are on again. "
            "/reminders shows them.", resumed)


async def health(session: AsyncSession) -> tuple[str, bool, str]:
    """For ``python -m bot check``: failed reminders of the last week, and rows overdue by more than 10 minutes."""
    now = utcnow()
    failed = await session.scalar(select(func.count()).select_from(Reminder).where(
        Reminder.status == FAILED, Reminder.last_error != "blocked", Reminder.scheduled_for > now - timedelta(days=7)))
    overdue = await session.scalar(select(func.count()).select_from(Reminder).where(
        Reminder.status.in_((PENDING, CLAIMED)), Reminder.due_at < now - timedelta(minutes=10)))
    ok = not failed and not overdue
    return ("reminders", ok, f"{failed} failed in the last 7 days, {overdue} overdue by more than 10 minutes")
