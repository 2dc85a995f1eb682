"""The knowledge base in the database: a tree of topics, their texts per locale, and every revision."""

from __future__ import annotations

from datetime import date, datetime
from itertools import chain

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from bot.db import Base, UTCDateTime, utcnow

KINDS = ("menu", "question", "answer")
# Where a text or a structure came from; a pack reload only ever replaces what came from the pack.
ORIGIN_PACK, ORIGIN_MODERATOR, ORIGIN_IMPORT = "pack", "moderator", "import"


class Topic(Base):
    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer, default=0)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    also: Mapped[list[str]] = mapped_column(JSON, default=list)  # extra buttons on a menu
    related: Mapped[list[str]] = mapped_column(JSON, default=list)  # "related topic" buttons on an answer
    remind: Mapped[str | None] = mapped_column(String(16))  # offers a reminder: bot.reminders.buttons.ENTRY_KINDS
    origin: Mapped[str] = mapped_column(String(16), default=ORIGIN_PACK)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    texts: Mapped[list[TopicText]] = relationship(back_populates="topic", cascade="all, delete-orphan")


class TopicText(Base):
    """The published text of one topic in one locale. ``revision`` grows with every publish."""

    __tablename__ = "topic_texts"
    __table_args__ = (UniqueConstraint("topic_id", "locale"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    short: Mapped[str | None] = mapped_column(Text)  # plain text ≤ 300 chars, for a detainee's tablet
    sources: Mapped[list[dict]] = mapped_column(JSON, default=list)  # [{"title", "title_ru"?, "url"}]
    reviewed_on: Mapped[date] = mapped_column(Date)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    origin: Mapped[str] = mapped_column(String(16), default=ORIGIN_PACK)
    pack_digest: Mapped[str | None] = mapped_column(String(64))  # digest of the pack text last loaded
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    topic: Mapped[Topic] = relationship(back_populates="texts")


class TopicRevision(Base):
    """Every published version of a text, kept for history and rollback."""

    __tablename__ = "topic_revisions"
    __table_args__ = (UniqueConstraint("topic_id", "locale", "revision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"), index=True)
    locale: Mapped[str] = mapped_column(String(8))
    revision: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    short: Mapped[str | None] = mapped_column(Text)
    sources: Mapped[list[dict]] = mapped_column(JSON, default=list)
    reviewed_on: Mapped[date] = mapped_column(Date)
    origin: Mapped[str] = mapped_column(String(16))
    author_id: Mapped[int | None] = mapped_column(BigInteger)  # moderator's Telegram id; None for pack/import
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# Bumped by every change made in this process (see bot.knowledge.service.screen).
LOCAL_CHANGES = [0]


class ContentState(Base):
    """One row whose version grows with every change to topics or texts, so each process can keep rendered
    screens in memory and still show a moderator's publish on the very next tap (one cheap query per screen)."""

    __tablename__ = "content_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(Integer, default=0)


@event.listens_for(Session, "after_flush")
def _bump_content_version(session: Session, _context) -> None:
    # Every ORM change to the tree or its texts — pack load, import, publish, hide, move — passes here.
    if any(isinstance(obj, Topic | TopicText) for obj in chain(session.new, session.dirty, session.deleted)):
        session.connection().execute(update(ContentState).where(ContentState.id == 1)
                                     .values(version=ContentState.version + 1))
        LOCAL_CHANGES[0] += 1  # this process knows at once; others notice on their next version check
