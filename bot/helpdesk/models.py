"""The help desk's tables: tickets, the one table that links a ticket to a person, texts, deliveries and bans.

Privacy by layout:

- ``desk_tickets`` holds no person: a number, the language, a category, timestamps and where the ticket lives in
  the staff forum. Statistics read it and nothing else.
- ``desk_askers`` is the only lasting link from a ticket to a Telegram id. Only the bot reads it; nothing sent to
  the staff group is built from it. /delete_me removes its rows (it has a ``user_id`` column), retention too.
- ``desk_messages`` holds the texts, which are deleted a fixed time after the ticket closes (or at once when the
  person withdraws it).
- ``desk_deliveries`` are the outbox rows of messages to the person (a volunteer's reply, a reviewed answer,
  "your question was closed"); a row is deleted once settled, so it does not become a second lasting link.
- ``desk_bans`` names nobody: a ban is kept as a keyed one-way code of the Telegram id, so that it outlives the
  banned person's /delete_me without keeping their id.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, UTCDateTime, utcnow
from bot.outbox import OutboxRow

# Ticket states.
OPEN, CLOSED, WITHDRAWN = "open", "closed", "withdrawn"
# Who closed it.
BY_PERSON, BY_VOLUNTEER, BY_IDLE, BY_BAN = "person", "volunteer", "idle", "ban"
# Message authors.
PERSON, VOLUNTEER, ANSWER = "person", "volunteer", "answer"
# What became of a message for the person (volunteer messages and reviewed answers).
QUEUED, DELIVERED, BLOCKED, GONE, FAILED = "queued", "delivered", "blocked", "gone", "failed"
# Delivery kinds (messages the outbox sends to the person).
REPLY, REVIEWED, CLOSED_NOTICE, IDLE_NOTICE, REOPENED_NOTICE = "reply", "answer", "closed", "idle", "reopened"
IDLE_CLOSE_DAYS = 7  # an answered ticket with no new message for this many days closes itself


class Ticket(Base):
    """One question and its conversation; one forum topic in the staff group."""

    __tablename__ = "desk_tickets"
    __table_args__ = (Index("ix_desk_tickets_status", "status"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # the ticket number people and volunteers see
    status: Mapped[str] = mapped_column(String(16), default=OPEN)
    locale: Mapped[str] = mapped_column(String(8))  # the language the person asked in
    category: Mapped[str | None] = mapped_column(String(64))  # a top-level menu slug the search suggested
    suggested: Mapped[list[str]] = mapped_column(JSON, default=list)  # reviewed answers search suggested (slugs)
    thread_id: Mapped[int | None] = mapped_column(BigInteger)  # the forum topic (None until created)
    root_message_id: Mapped[int | None] = mapped_column(BigInteger)  # the topic's first post (the question)
    topic_closed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Withdrawn: the group's copies of the person's words are gone (the first post says "withdrawn").
    scrubbed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    purged: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # retention done
    helped: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the person's oldest unanswered message
    bumped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_answer_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_answer_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(16))


class Asker(Base):
    """Ticket → Telegram id. The only table that says who asked; only the bot reads it."""

    __tablename__ = "desk_askers"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("desk_tickets.id", ondelete="CASCADE"), primary_key=True,
                                           autoincrement=False)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True)


class DeskMessage(Base):
    """One message of a ticket: the person's (posted into the topic by the bot), a volunteer's (sent to the
    person), or a reviewed answer a volunteer chose. ``text`` is deleted with the ticket's texts."""

    __tablename__ = "desk_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("desk_tickets.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(Text)  # person: plain text; volunteer: Telegram HTML; answer: slug
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The message in the staff group: the bot's post of a person's text, or the volunteer's own message.
    group_message_id: Mapped[int | None] = mapped_column(BigInteger)
    state: Mapped[str | None] = mapped_column(String(16))  # volunteer/answer: queued → delivered | blocked | …
    acknowledged: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # reaction/reply set


class DeskDelivery(OutboxRow, Base):
    """A message to the person, sent by the outbox engine; deleted once settled."""

    __tablename__ = "desk_deliveries"
    __table_args__ = (Index("ix_desk_deliveries_status_due_at", "status", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("desk_tickets.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("desk_messages.id", ondelete="CASCADE"))


class Ban(Base):
    """Someone volunteers stopped from writing to the desk, known only by a keyed one-way code of their id."""

    __tablename__ = "desk_bans"

    person_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(Integer, index=True)  # the ticket it was set from (for /unban)
    reason: Mapped[str] = mapped_column(String(200))
    banned_by: Mapped[int] = mapped_column(BigInteger)
    banned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
