"""The search service: one per Application, like rules-bot's Search.

Created where the Application is built, built from the database in ``post_init``, and rebuilt in process when the
content changes (a moderator publishes, hides or moves a topic, adds a question or a synonym): changes made in this
process are seen at once, changes made by another process within ``RECHECK_SECONDS`` (one small query).

It also keeps the two anonymous counters search needs: daily counts of the terms of unanswered questions (for
/gaps) and daily counts of topic reads (for the most-read list of inline mode). Neither holds a user id or any
text as typed.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import Database, utcnow
from bot.knowledge.models import LOCAL_CHANGES, ContentState, Topic, TopicText
from bot.knowledge.questions import TopicQuestion
from bot.search.embed import Embedder, topic_texts
from bot.search.engine import NONE, Engine, Result, make_document
from bot.search.models import TERM_LIMIT, SearchGap, SearchSynonym, TopicRead

log = logging.getLogger(__name__)

RECHECK_SECONDS = 2.0
EMBED_CHUNK = 8  # topic texts embedded per step at start-up (stopping the bot waits for one step, ~1 s at most)
MAX_GAP_TERMS = 5  # per question
GAP_DAYS = 30
READS_DAYS = 30
MOST_READ = 10
READS_FLUSH_SECONDS = 300
# Until reads have been counted, the empty inline query shows these (the questions people ask most in chats).
DEFAULT_POPULAR = ("find-person", "free-lawyers", "acis", "bond", "parole", "cfi-what", "master-hearing",
                   "appeal-bia", "ice-line", "relatives-help")


@dataclass(frozen=True)
class Gap:
    term: str
    count: int


async def load_documents(session: AsyncSession) -> tuple[list, list[list[str]]]:
    """Every visible answer with its texts and questions, and the moderators' synonym groups."""
    topics = (await session.execute(
        select(Topic.id, Topic.slug).where(Topic.kind == "answer", Topic.hidden.is_(False)).order_by(Topic.id)
    )).all()
    ids = [topic_id for topic_id, _ in topics]
    texts: dict[int, dict[str, tuple[str, str]]] = {i: {} for i in ids}
    for topic_id, locale, title, body in (await session.execute(
        select(TopicText.topic_id, TopicText.locale, TopicText.title, TopicText.body)
        .where(TopicText.topic_id.in_(ids))
    )).all():
        texts[topic_id][locale] = (title, body)
    questions: dict[int, dict[str, list[str]]] = {i: {} for i in ids}
    for topic_id, locale, text in (await session.execute(
        select(TopicQuestion.topic_id, TopicQuestion.locale, TopicQuestion.text)
        .where(TopicQuestion.topic_id.in_(ids)).order_by(TopicQuestion.id)
    )).all():
        questions[topic_id].setdefault(locale, []).append(text)
    documents = [make_document(slug, texts[i], questions[i]) for i, slug in topics if texts[i]]
    synonyms = [list(terms) for terms in (await session.scalars(select(SearchSynonym.terms))).all() if terms]
    return documents, synonyms


class Search:
    """Long-lived: ``start`` in post_init, ``stop`` in post_shutdown; ``search`` per question."""

    def __init__(self, *, embed: bool = False, embed_cache: str | None = None) -> None:
        self.engine: Engine | None = None
        # The optional embedding signal: loaded in the background after start; until then search is lexical.
        self._embed = embed
        self._embed_cache = embed_cache
        self.embedder: Embedder | None = None
        self._embedding: asyncio.Task | None = None
        self._version: int | None = None
        self._local_changes = -1
        self._checked_at = 0.0
        self._lock = asyncio.Lock()
        self._reads: Counter[str] = Counter()
        self._popular: list[str] = list(DEFAULT_POPULAR)
        self._flusher: asyncio.Task | None = None
        self.builds = 0  # how many times the index was built (tests, logs)
        self.on_result: Callable[[str], None] | None = None  # told each answer's band (bot.ops counts them)

    # --- lifecycle ---------------------------------------------------------------------------------------------
    async def start(self, database: Database) -> None:
        try:
            async with database.session() as session:
                await self.refresh(session, force=True)
                await self._load_popular(session)
        except Exception as exc:  # the bot still starts: questions get "no answer" until the next rebuild works
            log.error("search index not built at start: %s", type(exc).__name__)
        self._flusher = asyncio.create_task(self._flush_every(database), name="search-reads")
        if self._embed:
            self._embedding = asyncio.create_task(self._start_embedding(database), name="search-embed")

    async def _start_embedding(self, database: Database) -> None:
        """Load the model and embed the published texts (in steps, off the event loop), then rebuild the index
        with the embedding signal. Texts embedded before (the cache file) cost nothing; a failure leaves search
        lexical."""
        started = time.perf_counter()
        try:
            embedder = await asyncio.to_thread(Embedder, self._embed_cache)
            async with database.session() as session:
                documents, _ = await load_documents(session)
            units, passages = topic_texts(documents)
            for kind, items in (("query", units), ("passage", passages)):
                texts = [text for _, text in items]
                for i in range(0, len(texts), EMBED_CHUNK):
                    await asyncio.to_thread(embedder.topic_texts, kind, texts[i:i + EMBED_CHUNK])
            self.embedder = embedder
            async with database.session() as session:
                await self.refresh(session, force=True)
            log.info("search embedding signal ready: %.0f ms", (time.perf_counter() - started) * 1000)
        except Exception as exc:
            log.error("search embedding signal not loaded: %s", type(exc).__name__)

    @property
    def embedding_ready(self) -> bool:
        return self.engine is not None and self.engine.vectors is not None

    async def stop(self, database: Database) -> None:
        if self._embedding is not None:
            self._embedding.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._embedding
            self._embedding = None
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
            self._flusher = None
        await self.flush_reads(database)

    async def _flush_every(self, database: Database) -> None:
        """Topic reads are written every few minutes (and at stop), never on each tap."""
        while True:
            await asyncio.sleep(READS_FLUSH_SECONDS)
            await self.flush_reads(database)

    async def refresh(self, session: AsyncSession, *, force: bool = False) -> Engine | None:
        """Rebuild the index if the content changed since it was built; returns the current engine."""
        now = time.monotonic()
        if not force and self.engine is not None and self._local_changes == LOCAL_CHANGES[0] \
                and now - self._checked_at < RECHECK_SECONDS:
            return self.engine
        async with self._lock:
            local = LOCAL_CHANGES[0]
            version = await session.scalar(select(ContentState.version).where(ContentState.id == 1))
            self._checked_at = time.monotonic()
            if force or self.engine is None or version != self._version:
                documents, synonyms = await load_documents(session)
                started = time.perf_counter()
                # Lemmatising every text takes a moment of CPU: keep the event loop free meanwhile.
                self.engine = await asyncio.to_thread(
                    functools.partial(Engine, documents, synonyms, embedder=self.embedder))
                self._version = version
                self.builds += 1
                log.info("search index built: %d answers, %.0f ms", len(documents),
                         (time.perf_counter() - started) * 1000)
            self._local_changes = local
        return self.engine

    # --- searching ---------------------------------------------------------------------------------------------
    async def search(self, session: AsyncSession, query: str, locale: str) -> Result:
        engine = await self.refresh(session)
        if engine is None or not engine.index.documents:
            result = Result(NONE, [])
        elif engine.vectors is not None:  # the model takes milliseconds of CPU: not on the event loop
            result = await asyncio.to_thread(engine.search, query, locale)
        else:
            result = engine.search(query, locale)
        if self.on_result is not None:
            self.on_result(result.band)
        return result

    def document(self, slug: str):
        return self.engine.by_slug.get(slug) if self.engine else None

    # --- what people did not find --------------------------------------------------------------------------------
    async def record_gap(self, session: AsyncSession, result: Result) -> int:
        """Count the unmatched terms of a "none" result for today (lemmas only; no text, no user). Commits."""
        terms = list(dict.fromkeys(t[:TERM_LIMIT] for t in result.unmatched))[:MAX_GAP_TERMS]
        if result.band != NONE or not terms:
            return 0
        today = utcnow().date()
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        for term in terms:
            statement = insert(SearchGap).values(day=today, term=term, count=1)
            statement = statement.on_conflict_do_update(
                index_elements=[SearchGap.day, SearchGap.term], set_={"count": SearchGap.count + 1})
            await session.execute(statement)
        await session.commit()
        return len(terms)

    @staticmethod
    async def gaps(session: AsyncSession, *, days: int = GAP_DAYS, limit: int = 30, minimum: int = 2) -> list[Gap]:
        """The most frequent unmatched terms of the last ``days`` days; a term seen fewer than ``minimum`` times
        is left out (one person's one question is nobody's business)."""
        since = utcnow().date() - timedelta(days=days - 1)
        total = func.sum(SearchGap.count)
        rows = (await session.execute(
            select(SearchGap.term, total).where(SearchGap.day >= since).group_by(SearchGap.term)
            .having(total >= minimum).order_by(total.desc(), SearchGap.term).limit(limit)
        )).all()
        return [Gap(term, int(count)) for term, count in rows]

    # --- what people read ---------------------------------------------------------------------------------------
    def note_read(self, slug: str) -> None:
        """An answer was shown; counted in memory and written by ``flush_reads`` (no per-tap write)."""
        self._reads[slug] += 1

    async def flush_reads(self, database: Database) -> None:
        if not self._reads:
            return
        reads, self._reads = self._reads, Counter()
        today = utcnow().date()
        try:
            async with database.session() as session:
                dialect = session.get_bind().dialect.name
                insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
                for slug, count in sorted(reads.items()):
                    statement = insert(TopicRead).values(day=today, slug=slug[:64], count=count)
                    statement = statement.on_conflict_do_update(
                        index_elements=[TopicRead.day, TopicRead.slug], set_={"count": TopicRead.count + count})
                    await session.execute(statement)
                await session.commit()
                await self._load_popular(session)
        except Exception as exc:  # the counts are a nicety: keep them for the next try, never fail the bot
            self._reads.update(reads)
            log.warning("could not write topic reads: %s", type(exc).__name__)

    async def _load_popular(self, session: AsyncSession) -> None:
        since: date = utcnow().date() - timedelta(days=READS_DAYS - 1)
        total = func.sum(TopicRead.count)
        rows = (await session.execute(
            select(TopicRead.slug).where(TopicRead.day >= since).group_by(TopicRead.slug)
            .order_by(total.desc(), TopicRead.slug).limit(MOST_READ)
        )).scalars().all()
        popular = list(rows)
        popular += [s for s in DEFAULT_POPULAR if s not in popular]
        self._popular = popular[:MOST_READ]

    def most_read(self, limit: int = MOST_READ) -> list[str]:
        """Slugs of the most-read answers of the last 30 days that still exist (then the default list)."""
        engine = self.engine
        slugs = [s for s in self._popular if engine is None or s in engine.by_slug]
        return slugs[:limit]
