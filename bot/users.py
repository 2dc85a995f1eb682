"""Users: the one row per Telegram id, its language, and deleting everything about a person."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from weakref import WeakKeyDictionary

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import Base, LazySession, utcnow
from bot.models import User

# last_seen_at is kept coarse on purpose: a write per message would cost speed and say more than we need.
LAST_SEEN_GRANULARITY = timedelta(hours=1)


@dataclass
class Known:
    """What update handling needs to know about a user who has a row."""

    locale: str | None
    last_seen_at: datetime
    blocked: bool
    fetched: float
    returned: bool = False  # set by the touch that found the person blocking us: they are back


@dataclass
class _Directory:
    """Which users have a row, kept in memory so that most updates need no query at all.

    All ids are read once; later, only rows created since the last look are read (every ``REFRESH`` seconds),
    so rows written by another process are noticed. Changes made through this module update it at once.
    """

    ids: set[int] | None = None
    checked_at: float = 0.0
    checked_wall: datetime | None = None
    rows: dict[int, Known] = field(default_factory=dict)


REFRESH = 60.0
MAX_CACHED_ROWS = 50_000
_directories: WeakKeyDictionary = WeakKeyDictionary()


def _directory(session: AsyncSession | LazySession) -> _Directory:
    engine = session.get_bind()
    directory = _directories.get(engine)
    if directory is None:
        directory = _directories[engine] = _Directory()
    return directory


async def _refresh(session: AsyncSession, directory: _Directory) -> None:
    now, wall = time.monotonic(), utcnow()
    if directory.ids is None:
        directory.ids = set((await session.scalars(select(User.id))).all())
    else:
        since = directory.checked_wall - timedelta(seconds=5)
        directory.ids.update((await session.scalars(select(User.id).where(User.created_at >= since))).all())
        directory.rows.clear()
    directory.checked_at, directory.checked_wall = now, wall


def forget(session: AsyncSession, user_id: int, *, exists: bool | None = None) -> None:
    """Drop what is cached about a user after a change (``exists``: whether they now have a row)."""
    directory = _directory(session)
    directory.rows.pop(user_id, None)
    if directory.ids is not None and exists is not None:
        (directory.ids.add if exists else directory.ids.discard)(user_id)


async def touch(session: LazySession, user_id: int) -> Known | None:
    """The user's stored preferences if they have a row, noting (hourly) that they are active and not blocking us.

    Browsing creates no row: a row appears only when a feature needs one (a chosen language, a reminder, news).
    Someone who only reads the answers leaves nothing behind in the database. ``session`` gives the update's
    session; it is asked for only when a query is needed (most updates need none: the directory is in memory).
    """
    directory = _directory(session)
    if directory.ids is None or time.monotonic() - directory.checked_at > REFRESH:
        await _refresh(session(), directory)
    if user_id not in directory.ids:
        return None
    known = directory.rows.get(user_id)
    if known is None:
        row = await session().get(User, user_id)
        if row is None:
            directory.ids.discard(user_id)
            return None
        if len(directory.rows) >= MAX_CACHED_ROWS:
            directory.rows.clear()
        known = directory.rows[user_id] = Known(row.locale, row.last_seen_at, row.blocked, time.monotonic())
    now = utcnow()
    known.returned = known.blocked
    if known.blocked or now - known.last_seen_at > LAST_SEEN_GRANULARITY:
        await session().execute(update(User).where(User.id == user_id).values(last_seen_at=now, blocked=False))
        await session().commit()
        known.last_seen_at, known.blocked = now, False
    return known


async def ensure(session: AsyncSession, user_id: int) -> User:
    """Get or create the user's row (without committing a new one: the caller's change commits it)."""
    user = await session.get(User, user_id)
    if user is None:
        now = utcnow()
        user = User(id=user_id, created_at=now, last_seen_at=now, blocked=False)
        session.add(user)
    forget(session, user_id, exists=True)
    return user


async def set_locale(session: AsyncSession, user_id: int, locale: str) -> None:
    user = await ensure(session, user_id)
    user.locale = locale
    await session.commit()
    forget(session, user_id, exists=True)


async def mark_blocked(session: AsyncSession, user_id: int) -> None:
    await session.execute(update(User).where(User.id == user_id).values(blocked=True))
    await session.commit()
    forget(session, user_id)


async def delete_everything(session: AsyncSession, user_id: int) -> None:
    """Delete every row that belongs to the user, in every table that has a ``user_id`` column, then the user.

    Walking the metadata means a feature added later cannot forget to take part in /delete_me.
    """
    # Every feature's tables are registered on Base.metadata (bot.schema is imported with the Application).
    for table in reversed(Base.metadata.sorted_tables):
        if table.name != User.__tablename__ and "user_id" in table.c:
            await session.execute(delete(table).where(table.c.user_id == user_id))
    # Refused moderation attempts name the person; a moderator's own actions stay in the audit trail.
    audit = Base.metadata.tables["audit_log"]
    await session.execute(delete(audit).where(audit.c.actor_id == user_id, audit.c.action == "refused"))
    await session.execute(delete(User).where(User.id == user_id))
    await session.commit()
    forget(session, user_id, exists=False)


async def set_news(session: AsyncSession, user_id: int, on: bool, locale: str) -> None:
    """Opt in or out of broadcasts. News go out in the language used when subscribing, unless one was picked."""
    user = await ensure(session, user_id)
    user.news = on
    if on and user.locale is None:
        user.locale = locale
    await session.commit()
    forget(session, user_id, exists=True)
