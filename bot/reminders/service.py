"""Reminder subscriptions: create (once per form), list, move, pause, resume, delete, purge after the event."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import utcnow
from bot.models import User
from bot.outbox import CLAIMED, PENDING
from bot.persistence import form_draft
from bot.reminders import deadlines, schedule
from bot.reminders.models import (
    ACTIVE,
    BY_BLOCK,
    BY_PERSON,
    CANCELLED,
    FOLLOWUP,
    KINDS,
    LEAD,
    PAUSED,
    Reminder,
    Subscription,
)

MAX_SUBSCRIPTIONS = 20  # per person; a relative following a few cases is well inside it


@form_draft("reminder")
@dataclass
class Draft:
    """A reminder form being filled in. Nothing is stored as a reminder before "confirm"; the open form itself is
    kept (``bot.persistence``) so it survives a restart."""

    form_id: str
    kind: str | None = None
    day: date | None = None
    hour: int | None = None
    minute: int | None = None
    court_id: str | None = None
    tz: str | None = None
    label: str | None = None
    leads: list[str] = field(default_factory=list)
    decision_on: date | None = None  # a deadline's start: the decision, order, grant, move or arrival date
    days: int | None = None  # voluntary departure: the days the judge granted
    subscriber_tz: str | None = None
    locale: str = "ru"
    move_id: int | None = None  # set when the form moves an existing subscription

    def is_deadline(self) -> bool:
        return deadlines.is_deadline(self.kind)

    def deadline(self) -> deadlines.Deadline:
        """The deadline this form calculates (for a deadline kind with its start date, and days where asked)."""
        return deadlines.compute(self.kind, self.decision_on, self.days)

    def event_at(self) -> datetime:
        if self.is_deadline():
            return deadlines.event_at(self.deadline())
        local = datetime.combine(self.day, time(self.hour, self.minute), tzinfo=ZoneInfo(self.tz))
        return local.astimezone(schedule.UTC)

    def event_tz(self) -> str:
        return deadlines.DEADLINE_TZ if self.is_deadline() else self.tz

    def needs_days(self) -> bool:
        """The deadline counts a number of days the person has to give (voluntary departure)."""
        return self.is_deadline() and deadlines.amount_problem(self.kind, self.days) is not None

    def set_days(self, days: int) -> bool:
        """Keep the days granted if the rule allows that many; False otherwise."""
        if deadlines.amount_problem(self.kind, days) is not None:
            return False
        self.days = days
        return True

    def has_passed(self, now: datetime) -> bool:
        """The event (for a hearing: its start in the court's time zone) is not in the future."""
        return self.event_at() <= now

    def choose_kind(self, kind: str) -> bool:
        """Set the kind (and its default leads); False for a kind the form does not offer."""
        if kind not in KINDS:
            return False
        self.kind = kind
        self.leads = list(schedule.available_leads(kind))
        return True

    def toggle_lead(self, lead: str) -> None:
        """Switch one reminder time on or off, keeping the offered order; unknown leads are ignored."""
        order = schedule.available_leads(self.kind)
        if lead not in order:
            return
        if lead in self.leads:
            self.leads.remove(lead)
        else:
            self.leads.append(lead)
        self.leads.sort(key=order.index)

    def set_label(self, text: str) -> str | None:
        """Store a short label such as «мама»; returns why not ("too_long", "number", "control") or None."""
        label = " ".join(text.split())
        problem = label_problem(label)
        if problem is None:
            self.label = label or None
        return problem


LABEL_MAX = 32
# Five or more digits (in any script) with anything but letters between them: an A-number or a phone number,
# written as A123456789, A-123/456/789, A123.456.789 or ١٢٣٤٥…
_LONG_NUMBER = re.compile(r"\d(?:[^\w]*\d){4,}|\d(?:[\W_]*\d){4,}")


def label_problem(label: str) -> str | None:
    if len(label) > LABEL_MAX:
        return "too_long"
    if any(unicodedata.category(ch)[0] == "C" for ch in label):  # NUL and other control characters
        return "control"
    if _LONG_NUMBER.search(label) or sum(ch.isdigit() or unicodedata.category(ch) == "Nd" for ch in label) >= 5:
        return "number"
    return None


@dataclass
class Preview:
    """What a form would plan: the reminders with their times, and the chosen ones already too late to send."""

    planned: list[tuple[str, datetime]]
    skipped: list[str]


def preview(draft: Draft, now: datetime) -> Preview:
    planned = schedule.plan(draft.event_at(), draft.event_tz(), draft.leads, now, followup=False,
                            start=draft.decision_on)
    chosen = {lead for lead, _ in planned}
    return Preview(planned, [lead for lead in draft.leads if lead not in chosen])


class AlreadySaved(Exception):
    """The same form was confirmed before (a double tap)."""


class TooMany(Exception):
    pass


async def user_timezone(session: AsyncSession, user_id: int) -> str | None:
    return await session.scalar(select(User.timezone).where(User.id == user_id))


def _plan_rows(sub: Subscription, now: datetime) -> list[Reminder]:
    rows = []
    for lead, due in schedule.plan(sub.event_at, sub.tz, list(sub.leads), now,
                                   followup=not deadlines.is_deadline(sub.kind), start=sub.decision_on):
        rows.append(Reminder(subscription_id=sub.id, user_id=sub.user_id, kind=FOLLOWUP if lead == "followup" else LEAD,
                             lead=None if lead == "followup" else lead, scheduled_for=due, due_at=due,
                             status=PENDING))
    return rows


async def create(session: AsyncSession, user_id: int, draft: Draft, now: datetime | None = None) -> Subscription:
    """Store the subscription and its planned reminders in one transaction, once per form."""
    now = now or utcnow()
    if await session.scalar(select(Subscription.id).where(Subscription.form_id == draft.form_id)):
        raise AlreadySaved
    count = await session.scalar(select(func.count()).select_from(Subscription)
                                 .where(Subscription.user_id == user_id))
    if count >= MAX_SUBSCRIPTIONS:
        raise TooMany
    from bot.users import ensure

    user = await ensure(session, user_id)
    if draft.subscriber_tz:
        user.timezone = draft.subscriber_tz
    sub = Subscription(
        user_id=user_id, form_id=draft.form_id, kind=draft.kind, event_at=draft.event_at(), tz=draft.event_tz(),
        court_id=draft.court_id, label=draft.label, locale=draft.locale, leads=list(draft.leads),
        decision_on=draft.decision_on,
        status=ACTIVE, created_at=now,
    )
    session.add(sub)
    try:
        await session.flush()
    except IntegrityError:  # the same form confirmed concurrently from a second device
        await session.rollback()
        raise AlreadySaved from None
    session.add_all(_plan_rows(sub, now))
    await session.commit()
    return sub


async def list_for(session: AsyncSession, user_id: int) -> list[Subscription]:
    return list((await session.scalars(
        select(Subscription).where(Subscription.user_id == user_id).order_by(Subscription.event_at)
    )).all())


async def owned(session: AsyncSession, user_id: int, subscription_id: int) -> Subscription | None:
    sub = await session.get(Subscription, subscription_id)
    return sub if sub is not None and sub.user_id == user_id else None


async def _cancel_pending(session: AsyncSession, subscription_id: int) -> None:
    await session.execute(update(Reminder).where(
        Reminder.subscription_id == subscription_id, Reminder.status.in_((PENDING, CLAIMED))
    ).values(status=CANCELLED))


async def move(session: AsyncSession, sub: Subscription, draft: Draft, now: datetime | None = None) -> Subscription:
    """The hearing was moved: new time, the same leads, the old planned messages cancelled."""
    now = now or utcnow()
    draft.kind, draft.tz = sub.kind, sub.tz
    sub.event_at = draft.event_at()
    if deadlines.is_deadline(sub.kind):
        sub.decision_on = draft.decision_on
    sub.status, sub.paused_by = ACTIVE, None
    await _cancel_pending(session, sub.id)
    session.add_all(_plan_rows(sub, now))
    await session.commit()
    return sub


async def pause(session: AsyncSession, sub: Subscription) -> None:
    sub.status, sub.paused_by = PAUSED, BY_PERSON
    await session.commit()


async def resume(session: AsyncSession, sub: Subscription) -> None:
    sub.status, sub.paused_by = ACTIVE, None
    await session.commit()


async def remove(session: AsyncSession, sub: Subscription) -> None:
    await session.execute(delete(Reminder).where(Reminder.subscription_id == sub.id))
    await session.execute(delete(Subscription).where(Subscription.id == sub.id))
    await session.commit()


async def pause_all_for_user(session: AsyncSession, user_id: int) -> None:
    """The person blocked the bot: pause what is active, marked as paused by the block (not committed here)."""
    await session.execute(update(Subscription).where(Subscription.user_id == user_id, Subscription.status == ACTIVE)
                          .values(status=PAUSED, paused_by=BY_BLOCK))


async def resume_after_block(session: AsyncSession, user_id: int) -> int:
    """The person is back: resume what the block paused — not what they paused themselves. Returns how many
    subscriptions are on again (not committed here)."""
    result = await session.execute(
        update(Subscription).where(Subscription.user_id == user_id, Subscription.status == PAUSED,
                                   Subscription.paused_by == BY_BLOCK)
        .values(status=ACTIVE, paused_by=None))
    return result.rowcount or 0


async def purge_expired(session: AsyncSession, retention_days: int, now: datetime | None = None) -> int:
    """Delete subscriptions (and their rows) whose event ended more than ``retention_days`` ago."""
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    ids = list((await session.scalars(select(Subscription.id).where(Subscription.event_at < cutoff))).all())
    if ids:
        await session.execute(delete(Reminder).where(Reminder.subscription_id.in_(ids)))
        await session.execute(delete(Subscription).where(Subscription.id.in_(ids)))
        await session.commit()
    return len(ids)
