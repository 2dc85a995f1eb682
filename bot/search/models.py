"""What search stores: moderators' synonyms, and anonymous daily counts (unmatched terms, topic reads).

Never a question as typed, never a user id: ``search_gaps`` holds (day, lemma, count) for questions the knowledge
base had no answer to, only for dictionary words that are not names; ``topic_reads`` holds (day, slug, count).
"""

from __future__ import annotations

from datetime import date, datetime
from itertools import chain

from sqlalchemy import JSON, BigInteger, Date, Integer, String, event, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.db import Base, UTCDateTime, utcnow
from bot.knowledge.models import LOCAL_CHANGES, ContentState

TERM_LIMIT = 40


class SearchSynonym(Base):
    """A synonym group a moderator added; merged with bot/search/synonyms.yaml when the index is built."""

    __tablename__ = "search_synonyms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    terms: Mapped[list[str]] = mapped_column(JSON, default=list)
    author_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SearchGap(Base):
    __tablename__ = "search_gaps"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    term: Mapped[str] = mapped_column(String(TERM_LIMIT), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class TopicRead(Base):
    __tablename__ = "topic_reads"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


@event.listens_for(Session, "after_flush")
def _bump_content_version(session: Session, _context) -> None:
    # A new or removed synonym changes every process's index, like a publish does.
    if any(isinstance(obj, SearchSynonym) for obj in chain(session.new, session.dirty, session.deleted)):
        session.connection().execute(update(ContentState).where(ContentState.id == 1)
                                     .values(version=ContentState.version + 1))
        LOCAL_CHANGES[0] += 1
