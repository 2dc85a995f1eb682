"""Reminder subscriptions and their outbox rows.

A subscription is one event (a hearing, an interview, a deadline) a person asked to be reminded of; it holds no
name or case detail — the optional label is a few words such as «мама». Each planned message is a row in
``reminders`` with ``due_at`` in UTC and a status; the outbox engine (``bot.outbox``, fed by ``bot.reminders.outbox``) claims and sends them.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, UTCDateTime, utcnow
from bot.outbox import OutboxRow
from bot.reminders.deadlines import DEADLINE_KINDS

# Subscription kinds (at most 16 characters: ``subscriptions.kind``): hearings and interviews, the deadlines the form
# calculates (``bot.reminders.deadlines``), and any other date.
HEARING_KINDS = ("master", "individual", "cfi", "bond", "checkin")
KINDS = (*HEARING_KINDS, *DEADLINE_KINDS, "other")
ACTIVE, PAUSED = "active", "paused"
# Why a subscription is paused: the person paused it, or the outbox did when the person blocked the bot. Only the
# second kind is resumed when they come back.
BY_PERSON, BY_BLOCK = "person", "blocked"
# Outbox row states (the engine's), and the one only reminders use.
CANCELLED = "cancelled"
LEAD, FOLLOWUP = "lead", "followup"


class Subscription(Base):
    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    form_id: Mapped[str] = mapped_column(String(16), unique=True)  # makes a double-tapped "confirm" store once
    kind: Mapped[str] = mapped_column(String(16))
    event_at: Mapped[datetime] = mapped_column(UTCDateTime)  # hearing time; for a deadline, its last day's end
    tz: Mapped[str] = mapped_column(String(64))  # the court's (or chosen) IANA zone: times are shown in it
    court_id: Mapped[str | None] = mapped_column(String(32))
    label: Mapped[str | None] = mapped_column(String(32))
    locale: Mapped[str] = mapped_column(String(8), default="ru")  # the form's language; a language picked later wins
    leads: Mapped[list[str]] = mapped_column(JSON, default=list)  # e.g. ["7d", "2d", "1d", "morning"]
    decision_on: Mapped[date | None] = mapped_column(Date)  # a deadline's start (decision, order, grant, move, arrival)
    status: Mapped[str] = mapped_column(String(16), default=ACTIVE)
    paused_by: Mapped[str | None] = mapped_column(String(16))  # BY_PERSON or BY_BLOCK while paused
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def has_passed(self, now: datetime) -> bool:
        """The event itself (the hearing, the deadline's last moment) is over."""
        return now >= self.event_at


class Reminder(OutboxRow, Base):
    __tablename__ = "reminders"
    __table_args__ = (Index("ix_reminders_status_due_at", "status", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default=LEAD)  # lead | followup
    lead: Mapped[str | None] = mapped_column(String(16))
    late: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
