"""Moderators, the audit log and broadcasts.

The audit log records who did what to which topic — ids, actions and slugs, never message text. A refused
attempt by someone who is not a moderator records their id and the command only.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, UTCDateTime, utcnow
from bot.outbox import OutboxRow


class Moderator(Base):
    __tablename__ = "moderators"

    # Not ``user_id``: a moderator's own /delete_me must not silently remove them from the team.
    moderator_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    added_by: Mapped[int] = mapped_column(BigInteger)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor_id: Mapped[int] = mapped_column(BigInteger, index=True)
    action: Mapped[str] = mapped_column(String(32))  # publish, rollback, still_accurate, mod_add, refused, ...
    target: Mapped[str | None] = mapped_column(String(120))  # e.g. "acis/ru r5", a moderator id, a command
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Refusals are counted, one row per person and day, so a plain user cannot push real entries out of /audit.
    count: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class Broadcast(Base):
    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    author_id: Mapped[int] = mapped_column(BigInteger)
    text_ru: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    locale: Mapped[str] = mapped_column(String(8), default="ru")  # the moderator's language, for the progress line
    progress_message_id: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default="sending")  # sending | done
    total: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Delivery(OutboxRow, Base):
    """One broadcast message to one person: an outbox row like a reminder (claimed with a lease, then marked)."""

    __tablename__ = "broadcast_deliveries"
    __table_args__ = (Index("ix_broadcast_deliveries_status_due_at", "status", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"), index=True)
