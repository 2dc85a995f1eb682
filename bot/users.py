"""Users: the one row per Telegram id, its language, and deleting everything about a person."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import Base, utcnow
from bot.models import User

# last_seen_at is kept coarse on purpose: a write per message would cost speed and say more than we need.
LAST_SEEN_GRANULARITY = timedelta(hours=1)


async def touch(session: AsyncSession, user_id: int) -> User:
    """Get or create the user's row; note that they are active and not blocking the bot."""
    user = await session.get(User, user_id)
    now = utcnow()
    if user is None:
        user = User(id=user_id, created_at=now, last_seen_at=now, blocked=False)
        session.add(user)
        await session.commit()
        return user
    if user.blocked or now - user.last_seen_at > LAST_SEEN_GRANULARITY:
        user.last_seen_at = now
        user.blocked = False
        await session.commit()
    return user


async def set_locale(session: AsyncSession, user_id: int, locale: str) -> None:
    user = await session.get(User, user_id)
    if user is None:
        user = User(id=user_id)
        session.add(user)
    user.locale = locale
    await session.commit()


async def mark_blocked(session: AsyncSession, user_id: int) -> None:
    await session.execute(update(User).where(User.id == user_id).values(blocked=True))
    await session.commit()


async def delete_everything(session: AsyncSession, user_id: int) -> None:
    """Delete every row that belongs to the user, in every table that has a ``user_id`` column, then the user.

    Walking the metadata means a feature added later cannot forget to take part in /delete_me.
    """
    for table in reversed(Base.metadata.sorted_tables):
        if table.name != User.__tablename__ and "user_id" in table.c:
            await session.execute(delete(table).where(table.c.user_id == user_id))
    # Refused moderation attempts name the person; a moderator's own actions stay in the audit trail.
    from bot.moderation.models import AuditEntry

    await session.execute(delete(AuditEntry).where(AuditEntry.actor_id == user_id, AuditEntry.action == "refused"))
    await session.execute(delete(User).where(User.id == user_id))
    await session.commit()


async def exists(session: AsyncSession, user_id: int) -> bool:
    return (await session.execute(select(User.id).where(User.id == user_id))).first() is not None
