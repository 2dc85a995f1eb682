"""The help desk's rules, in the database only (no Telegram here; ``bot.helpdesk.desk`` does the talking).

Opening a ticket and adding to it (with the per-person limits and bans), a volunteer's reply or a reviewed answer
queued for the person, closing, reopening, banning by ticket, withdrawing everything of a person (/delete_me),
what is due for a bump, an automatic close or deletion, and the figures /desk shows.
"""

from __future__ import annotations

import hashlib
import hmac
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import users
from bot.db import utcnow
from bot.helpdesk.models import (
    ANSWER,
    BY_BAN,
    BY_IDLE,
    BY_PERSON,
    BY_VOLUNTEER,
    CLOSED,
    CLOSED_NOTICE,
    IDLE_CLOSE_DAYS,
    IDLE_NOTICE,
    OPEN,
    PERSON,
    QUEUED,
    REOPENED_NOTICE,
    REPLY,
    REVIEWED,
    VOLUNTEER,
    WITHDRAWN,
    Asker,
    Ban,
    DeskDelivery,
    DeskMessage,
    Ticket,
)
from bot.knowledge.models import Topic
from bot.knowledge.pack import ROOT_SLUG

MAX_OPEN = 2  # open tickets per person
MAX_PER_DAY = 5  # new tickets per person in 24 hours
BURST, BURST_WINDOW = 5, timedelta(minutes=10)  # a person's messages in one ticket within the window
TEXT_LIMIT = 3500  # characters of one message (a topic post also carries a heading and suggestions)
IDLE_CLOSE = timedelta(days=IDLE_CLOSE_DAYS)
REPEAT_ANSWER = timedelta(minutes=10)  # the same reviewed answer twice within this is a double tap
SUGGESTIONS = 3


class Refused(Exception):
    """Why a person's message was not taken (a reason code the handler turns into a friendly message)."""

    def __init__(self, reason: str, **details: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


def person_key(secret: bytes, user_id: int) -> str:
    """A keyed one-way code of a Telegram id: what a ban remembers instead of the id."""
    return hmac.new(secret, str(user_id).encode(), hashlib.sha256).hexdigest()


# ---- reading -------------------------------------------------------------------------------------------------

async def is_banned(session: AsyncSession, secret: bytes, user_id: int) -> bool:
    return await session.get(Ban, person_key(secret, user_id)) is not None


async def open_tickets(session: AsyncSession, user_id: int) -> list[Ticket]:
    return list((await session.scalars(
        select(Ticket).join(Asker, Asker.ticket_id == Ticket.id)
        .where(Asker.user_id == user_id, Ticket.status == OPEN).order_by(Ticket.id)
    )).all())


async def owned(session: AsyncSession, user_id: int, ticket_id: int) -> Ticket | None:
    """The person's ticket, or None (someone else's, gone, or never existed: never said which)."""
    return await session.scalar(select(Ticket).join(Asker, Asker.ticket_id == Ticket.id)
                                .where(Asker.user_id == user_id, Ticket.id == ticket_id))


async def asker_of(session: AsyncSession, ticket_id: int) -> int | None:
    asker = await session.get(Asker, ticket_id)
    return asker.user_id if asker else None


async def open_askers(session: AsyncSession) -> set[int]:
    """Everyone with an open ticket (their free text goes to it)."""
    return set((await session.scalars(
        select(Asker.user_id).join(Ticket, Ticket.id == Asker.ticket_id).where(Ticket.status == OPEN)
    )).all())


async def by_thread(session: AsyncSession, thread_id: int) -> Ticket | None:
    return await session.scalar(select(Ticket).where(Ticket.thread_id == thread_id, Ticket.purged.is_(False)))


async def question(session: AsyncSession, ticket_id: int) -> str | None:
    """The person's first message (the question), if its text is still kept."""
    return await session.scalar(select(DeskMessage.text).where(
        DeskMessage.ticket_id == ticket_id, DeskMessage.author == PERSON).order_by(DeskMessage.id).limit(1))


async def category_of(session: AsyncSession, slug: str) -> str | None:
    """The situation (a menu right under the main menu) a reviewed answer belongs to: a ticket's category."""
    topic = await session.scalar(select(Topic).where(Topic.slug == slug))
    for _ in range(10):  # walk up to the child of the main menu
        if topic is None or topic.parent_id is None:
            return None
        parent = await session.get(Topic, topic.parent_id)
        if parent is None or parent.slug == ROOT_SLUG:
            return topic.slug if topic.kind == "menu" else None
        topic = parent
    return None


# ---- the person's side ----------------------------------------------------------------------------------------

async def check_new(session: AsyncSession, secret: bytes, user_id: int, now: datetime | None = None) -> None:
    """May this person open a new ticket now? Raises :class:`Refused` (banned, too_many_open, daily_limit)."""
    now = now or utcnow()
    if await is_banned(session, secret, user_id):
        raise Refused("banned")
    current = await open_tickets(session, user_id)
    if len(current) >= MAX_OPEN:
        raise Refused("too_many_open", tickets=[t.id for t in current])
    today = await session.scalar(select(func.count()).select_from(Ticket).join(Asker, Asker.ticket_id == Ticket.id)
                                 .where(Asker.user_id == user_id, Ticket.created_at > now - timedelta(days=1)))
    if today >= MAX_PER_DAY:
        raise Refused("daily_limit")


def check_text(text: str) -> None:
    if len(text) > TEXT_LIMIT:
        raise Refused("too_long", limit=TEXT_LIMIT, length=len(text))
    if not text.strip():
        raise Refused("empty")


async def open_ticket(session: AsyncSession, secret: bytes, user_id: int, locale: str, text: str,
                      suggested: list[str] | None = None, now: datetime | None = None) -> Ticket:
    """A new ticket with the question as its first message, committed (the topic is created afterwards).
    ``suggested``: the reviewed answers search found for the question, best first; the best one's situation is
    the ticket's category."""
    now = now or utcnow()
    check_text(text)
    await check_new(session, secret, user_id, now)
    suggested = list(suggested or [])[:SUGGESTIONS]
    category = await category_of(session, suggested[0]) if suggested else None
    await users.ensure(session, user_id)
    ticket = Ticket(status=OPEN, locale=locale, category=category, suggested=suggested, created_at=now,
                    waiting_since=now, last_activity_at=now)
    session.add(ticket)
    await session.flush()
    session.add(Asker(ticket_id=ticket.id, user_id=user_id))
    session.add(DeskMessage(ticket_id=ticket.id, author=PERSON, text=text, created_at=now))
    await session.commit()
    return ticket


async def add_from_person(session: AsyncSession, secret: bytes, user_id: int, ticket_id: int, text: str,
                          now: datetime | None = None) -> Ticket:
    """A follow-up to the person's open ticket, committed. Raises :class:`Refused` (closed, banned, flood, …)."""
    now = now or utcnow()
    check_text(text)
    ticket = await owned(session, user_id, ticket_id)
    if ticket is None or ticket.status != OPEN:
        raise Refused("closed")
    if await is_banned(session, secret, user_id):
        raise Refused("banned")
    recent = await session.scalar(select(func.count()).select_from(DeskMessage).where(
        DeskMessage.ticket_id == ticket_id, DeskMessage.author == PERSON,
        DeskMessage.created_at > now - BURST_WINDOW))
    if recent >= BURST:
        raise Refused("flood", minutes=int(BURST_WINDOW.total_seconds() // 60))
    session.add(DeskMessage(ticket_id=ticket_id, author=PERSON, text=text, created_at=now))
    ticket.waiting_since = ticket.waiting_since or now
    ticket.last_activity_at = now
    await session.commit()
    return ticket


async def close_by_person(session: AsyncSession, user_id: int, ticket_id: int,
                          now: datetime | None = None) -> Ticket | None:
    """The person closes their ticket; None if it is not theirs. Closing twice changes nothing."""
    ticket = await owned(session, user_id, ticket_id)
    if ticket is None:
        return None
    if ticket.status == OPEN:
        _close(ticket, BY_PERSON, now or utcnow())
        await session.commit()
    return ticket


async def mark_helped(session: AsyncSession, user_id: int, ticket_id: int) -> Ticket | None:
    ticket = await owned(session, user_id, ticket_id)
    if ticket is not None and not ticket.helped:
        ticket.helped = True
        await session.commit()
    return ticket


async def withdraw_person(session: AsyncSession, user_id: int, now: datetime | None = None) -> list[int]:
    """/delete_me: every ticket of the person is withdrawn (closed), its texts deleted at once, messages still
    queued for them dropped, and the link to the person removed. Returns the ticket numbers (the desk then
    replaces each topic's first post with "ticket withdrawn" and removes the copies of the person's messages)."""
    now = now or utcnow()
    ids = list((await session.scalars(select(Asker.ticket_id).where(Asker.user_id == user_id))).all())
    if not ids:
        return []
    await session.execute(update(Ticket).where(Ticket.id.in_(ids), Ticket.closed_at.is_(None))
                          .values(closed_at=now))
    await session.execute(update(Ticket).where(Ticket.id.in_(ids))
                          .values(status=WITHDRAWN, closed_by="withdrawn", waiting_since=None, scrubbed=False))
    await session.execute(update(DeskMessage).where(DeskMessage.ticket_id.in_(ids)).values(text=None))
    await session.execute(delete(DeskDelivery).where(DeskDelivery.ticket_id.in_(ids)))
    await session.execute(delete(Asker).where(Asker.user_id == user_id))
    await session.commit()
    return ids


# ---- the volunteers' side -------------------------------------------------------------------------------------

def _close(ticket: Ticket, by: str, now: datetime) -> None:
    ticket.status, ticket.closed_by, ticket.closed_at, ticket.waiting_since = CLOSED, by, now, None


def _deliver(session: AsyncSession, ticket: Ticket, user_id: int, kind: str,
             message: DeskMessage | None = None) -> None:
    """Queue a message to the person for the outbox, due at once (by the wall clock, whatever ``now`` the rule
    was evaluated at)."""
    due = utcnow()
    session.add(DeskDelivery(ticket_id=ticket.id, user_id=user_id, kind=kind, due_at=due, scheduled_for=due,
                             message_id=message.id if message else None))


async def reply(session: AsyncSession, ticket: Ticket, html: str, group_message_id: int,
                now: datetime | None = None, *, author: str = VOLUNTEER) -> DeskMessage | None:
    """A volunteer's message (or, with ``author=ANSWER``, a reviewed answer's slug) queued for the person.
    None when the person is gone (they deleted their data)."""
    now = now or utcnow()
    user_id = await asker_of(session, ticket.id)
    if user_id is None:
        return None
    message = DeskMessage(ticket_id=ticket.id, author=author, text=html, created_at=now,
                          group_message_id=group_message_id, state=QUEUED)
    session.add(message)
    await session.flush()
    _deliver(session, ticket, user_id, REPLY if author == VOLUNTEER else REVIEWED, message)
    ticket.first_answer_at = ticket.first_answer_at or now
    ticket.last_answer_at = ticket.last_activity_at = now
    ticket.waiting_since = ticket.bumped_at = None
    await session.commit()
    return message


async def answer_sent_recently(session: AsyncSession, ticket_id: int, slug: str, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return bool(await session.scalar(select(func.count()).select_from(DeskMessage).where(
        DeskMessage.ticket_id == ticket_id, DeskMessage.author == ANSWER, DeskMessage.text == slug,
        DeskMessage.created_at > now - REPEAT_ANSWER)))


async def close_by_volunteer(session: AsyncSession, ticket: Ticket, now: datetime | None = None,
                             *, by: str = BY_VOLUNTEER) -> bool:
    """Close and tell the person (if they are still there). False if it was not open."""
    now = now or utcnow()
    if ticket.status != OPEN:
        return False
    _close(ticket, by, now)
    user_id = await asker_of(session, ticket.id)
    if user_id is not None:
        _deliver(session, ticket, user_id, IDLE_NOTICE if by == BY_IDLE else CLOSED_NOTICE)
    await session.commit()
    return True


async def reopen(session: AsyncSession, ticket: Ticket, now: datetime | None = None) -> str | None:
    """Reopen a closed ticket and tell the person; a reason code when it cannot be reopened."""
    now = now or utcnow()
    if ticket.status == OPEN:
        return "open"
    user_id = await asker_of(session, ticket.id)
    if ticket.status == WITHDRAWN or ticket.purged or user_id is None:
        return "gone"
    ticket.status, ticket.closed_at, ticket.closed_by = OPEN, None, None
    ticket.last_activity_at = now
    _deliver(session, ticket, user_id, REOPENED_NOTICE)
    await session.commit()
    return None


async def ban(session: AsyncSession, secret: bytes, ticket: Ticket, reason: str, moderator_id: int,
              now: datetime | None = None) -> list[int] | None:
    """Stop the person of ``ticket`` from writing to the desk; their open tickets close. Returns the tickets
    closed, or None when the person is gone."""
    now = now or utcnow()
    user_id = await asker_of(session, ticket.id)
    if user_id is None:
        return None
    key = person_key(secret, user_id)
    existing = await session.get(Ban, key)
    if existing is None:
        session.add(Ban(person_key=key, ticket_id=ticket.id, reason=reason[:200], banned_by=moderator_id,
                        banned_at=now))
    else:
        existing.reason, existing.ticket_id, existing.banned_by, existing.banned_at = reason[:200], ticket.id, \
            moderator_id, now
    closed = []
    for other in await open_tickets(session, user_id):
        _close(other, BY_BAN, now)
        _deliver(session, other, user_id, CLOSED_NOTICE)
        closed.append(other.id)
    await session.commit()
    return closed


async def unban(session: AsyncSession, secret: bytes, ticket_id: int) -> Ban | None:
    """Lift the ban set from this ticket (or on the person of this ticket); the lifted ban, or None."""
    user_id = await asker_of(session, ticket_id)
    found = None
    if user_id is not None:
        found = await session.get(Ban, person_key(secret, user_id))
    if found is None:
        found = await session.scalar(select(Ban).where(Ban.ticket_id == ticket_id).limit(1))
    if found is not None:
        await session.delete(found)
        await session.commit()
    return found


# ---- what the clock does --------------------------------------------------------------------------------------

async def due_bumps(session: AsyncSession, after: timedelta, now: datetime | None = None) -> list[Ticket]:
    """Open tickets waiting for an answer longer than ``after`` and not bumped within ``after``."""
    now = now or utcnow()
    return list((await session.scalars(select(Ticket).where(
        Ticket.status == OPEN, Ticket.waiting_since <= now - after,
        (Ticket.bumped_at.is_(None)) | (Ticket.bumped_at <= now - after)).order_by(Ticket.id))).all())


async def due_idle(session: AsyncSession, now: datetime | None = None) -> list[Ticket]:
    """Open, answered tickets whose last message was the volunteers' and came ``IDLE_CLOSE`` ago or more."""
    now = now or utcnow()
    return list((await session.scalars(select(Ticket).where(
        Ticket.status == OPEN, Ticket.waiting_since.is_(None), Ticket.last_answer_at.is_not(None),
        Ticket.last_activity_at <= now - IDLE_CLOSE).order_by(Ticket.id))).all())


async def due_purge(session: AsyncSession, retention: timedelta, now: datetime | None = None) -> list[Ticket]:
    now = now or utcnow()
    return list((await session.scalars(select(Ticket).where(
        Ticket.status.in_((CLOSED, WITHDRAWN)), Ticket.purged.is_(False), Ticket.closed_at <= now - retention)
        .order_by(Ticket.id))).all())


async def purge(session: AsyncSession, ticket: Ticket) -> None:
    """Retention: the ticket's texts, queued messages and the link to the person go; the anonymous row stays
    for the figures (the desk then deletes the topic)."""
    await session.execute(delete(DeskDelivery).where(DeskDelivery.ticket_id == ticket.id))
    await session.execute(delete(DeskMessage).where(DeskMessage.ticket_id == ticket.id))
    await session.execute(delete(Asker).where(Asker.ticket_id == ticket.id))
    ticket.purged = True
    await session.commit()


# ---- figures --------------------------------------------------------------------------------------------------

@dataclass
class Window:
    days: int
    asked: int
    answered: int
    median: timedelta | None  # time to the first answer, over the tickets answered
    helped: int


@dataclass
class Stats:
    open: int
    waiting: int
    oldest: tuple[int, timedelta] | None  # the ticket waiting longest, and for how long
    windows: list[Window]


async def stats(session: AsyncSession, now: datetime | None = None) -> Stats:
    now = now or utcnow()
    open_count = await session.scalar(select(func.count()).select_from(Ticket).where(Ticket.status == OPEN))
    waiting = (await session.execute(select(Ticket.id, Ticket.waiting_since).where(
        Ticket.status == OPEN, Ticket.waiting_since.is_not(None)).order_by(Ticket.waiting_since))).all()
    oldest = (waiting[0][0], now - waiting[0][1]) if waiting else None
    windows = []
    for days in (7, 30):
        rows = (await session.execute(select(Ticket.created_at, Ticket.first_answer_at, Ticket.helped).where(
            Ticket.created_at > now - timedelta(days=days)))).all()
        waits = sorted(first - created for created, first, _ in rows if first is not None)
        median = statistics.median(waits) if waits else None
        windows.append(Window(days, len(rows), len(waits), median, sum(1 for *_, helped in rows if helped)))
    return Stats(open_count, len(waiting), oldest, windows)
