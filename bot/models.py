"""Everything the bot stores. Deliberately little: no names, usernames, phone numbers or case details.

Each table added here gets an Alembic revision in ``migrations/versions``.
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


# Feature tables live beside their feature; importing them here registers them on Base.metadata.
from bot.knowledge.models import ContentState, Topic, TopicRevision, TopicText  # noqa: E402
from bot.knowledge.questions import TopicQuestion  # noqa: E402
from bot.moderation.models import AuditEntry, Broadcast, Delivery, Moderator  # noqa: E402
from bot.reminders.models import Reminder, Subscription  # noqa: E402
from bot.search.models import SearchGap, SearchSynonym, TopicRead  # noqa: E402

__all__ = [
    "AuditEntry",
    "Broadcast",
    "ContentState",
    "Delivery",
    "Moderator",
    "Reminder",
    "SearchGap",
    "SearchSynonym",
    "Subscription",
    "Topic",
    "TopicQuestion",
    "TopicRead",
    "TopicRevision",
    "TopicText",
    "User",
]
