"""Alternative questions: how people actually ask for a topic, in their own words, for search.

They come from the pack's ``questions:`` block (origin ``pack``, replaced on every pack load) and from moderators
(origin ``moderator``, never touched by a pack load). They are content written by the team, never what users
typed. Any change bumps the content version, so every process rebuilds its search index.
"""

from __future__ import annotations

from datetime import datetime
from itertools import chain

from sqlalchemy import BigInteger, ForeignKey, Integer, String, UniqueConstraint, event, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.db import Base, UTCDateTime, utcnow
from bot.knowledge.models import LOCAL_CHANGES, ORIGIN_MODERATOR, ORIGIN_PACK, ContentState, Topic

QUESTION_LIMIT = 200
MAX_PER_LOCALE = 30


class TopicQuestion(Base):
    __tablename__ = "topic_questions"
    __table_args__ = (UniqueConstraint("topic_id", "locale", "text"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"), index=True)
    locale: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(String(QUESTION_LIMIT))
    origin: Mapped[str] = mapped_column(String(16), default=ORIGIN_PACK)
    author_id: Mapped[int | None] = mapped_column(BigInteger)  # the moderator who added it; None from the pack
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@event.listens_for(Session, "after_flush")
def _bump_content_version(session: Session, _context) -> None:
    if any(isinstance(obj, TopicQuestion) for obj in chain(session.new, session.dirty, session.deleted)):
        session.connection().execute(update(ContentState).where(ContentState.id == 1)
                                     .values(version=ContentState.version + 1))
        LOCAL_CHANGES[0] += 1


async def sync_pack(session: AsyncSession, topics: dict[str, Topic], pack_questions: dict[str, dict[str, list[str]]]
                    ) -> int:
    """Make the pack-origin questions equal to the pack's (slug → locale → questions); returns rows changed.

    Moderators' questions stay; a pack question a moderator also added is kept once, as theirs.
    """
    ids = {topic.id: slug for slug, topic in topics.items()}
    rows = (await session.scalars(select(TopicQuestion).where(TopicQuestion.topic_id.in_(list(ids))))).all()
    have: dict[tuple[int, str, str], TopicQuestion] = {(r.topic_id, r.locale, r.text): r for r in rows}
    wanted: set[tuple[int, str, str]] = set()
    for slug, by_locale in pack_questions.items():
        topic = topics.get(slug)
        if topic is None:
            continue
        for locale, questions in by_locale.items():
            wanted.update((topic.id, locale, q) for q in dict.fromkeys(questions))
    changed = 0
    for key, row in have.items():
        if row.origin == ORIGIN_PACK and key not in wanted:
            await session.delete(row)
            changed += 1
    for key in wanted - set(have):
        session.add(TopicQuestion(topic_id=key[0], locale=key[1], text=key[2], origin=ORIGIN_PACK))
        changed += 1
    return changed


async def for_topic(session: AsyncSession, topic_id: int) -> list[TopicQuestion]:
    return list((await session.scalars(
        select(TopicQuestion).where(TopicQuestion.topic_id == topic_id).order_by(TopicQuestion.locale, TopicQuestion.id)
    )).all())


async def add(session: AsyncSession, topic: Topic, locale: str, text: str, author_id: int) -> bool:
    """A moderator's question; False if the topic already has it. The caller commits."""
    text = " ".join(text.split())[:QUESTION_LIMIT]
    exists = await session.scalar(select(TopicQuestion.id).where(
        TopicQuestion.topic_id == topic.id, TopicQuestion.locale == locale, TopicQuestion.text == text))
    if exists is not None or not text:
        return False
    session.add(TopicQuestion(topic_id=topic.id, locale=locale, text=text, origin=ORIGIN_MODERATOR,
                              author_id=author_id))
    return True


async def remove(session: AsyncSession, question_id: int) -> TopicQuestion | None:
    """Delete one question (the caller commits); None if there is no such question."""
    row = await session.get(TopicQuestion, question_id)
    if row is not None:
        await session.delete(row)
        await session.flush()
    return row
