"""The person who talks to the bot. Deliberately little: no names, usernames, phone numbers or case details.

Feature tables live beside their feature (``bot/<feature>/models.py``); ``bot.schema`` imports them all.
Each table gets an Alembic revision in ``migrations/versions``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, String, false
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, UTCDateTime, utcnow


class User(Base):
    """A Telegram user who has talked to the bot: only the numeric id and preferences."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    locale: Mapped[str | None] = mapped_column(String(8))  # set only when the user picked a language
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    blocked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The subscriber's own time zone, asked once by the reminder form, so times show in both zones.
    timezone: Mapped[str | None] = mapped_column(String(64))
    news: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # opted in to broadcasts
