"""Reading the knowledge base for users: one screen of a topic, the A–Z list, and free-text search."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import date
from weakref import WeakKeyDictionary

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import LazySession
from bot.knowledge.models import LOCAL_CHANGES, ContentState, Topic, TopicText
from bot.knowledge.pack import ROOT_SLUG


@dataclass(frozen=True)
class Link:
    slug: str
    title: str


@dataclass(frozen=True)
class TopicView:
    slug: str
    kind: str
    remind: str | None


@dataclass(frozen=True)
class TextView:
    title: str
    body: str
    sources: list[dict]
    reviewed_on: date
    short: str | None = None


@dataclass
class Screen:
    topic: TopicView
    text: TextView
    parent: Link | None
    children: list[Link]  # menu/question options, then "also" links
    related: list[Link]  # answer's related topics
    rendered: object = None  # the handler's rendered messages and keyboard, kept with the cached screen


@dataclass
class _Cache:
    version: int = -1
    local_changes: int = -1
    checked_at: float = 0.0
    screens: dict[tuple[str, str], Screen | None] = field(default_factory=dict)


# How long a process trusts its cached screens before asking the database whether another process published.
# Changes made in this process (the usual case: moderators edit through the same bot) are seen at once.
RECHECK_SECONDS = 2.0


# One cache per database engine (a process may talk to several databases, as the tests do).
_caches: WeakKeyDictionary = WeakKeyDictionary()


async def topic_by_slug(session: AsyncSession, slug: str) -> Topic | None:
    topic = await session.scalar(select(Topic).where(Topic.slug == slug))
    return None if topic is None or topic.hidden else topic


async def _titles(session: AsyncSession, topic_ids: list[int], locale: str) -> dict[int, str]:
    """Titles in the locale, falling back to the other locale where a text is missing."""
    if not topic_ids:
        return {}
    rows = (await session.execute(
        select(TopicText.topic_id, TopicText.locale, TopicText.title).where(TopicText.topic_id.in_(topic_ids))
    )).all()
    titles: dict[int, str] = {}
    for topic_id, text_locale, title in rows:
        if text_locale == locale or topic_id not in titles:
            titles[topic_id] = title
    return titles


async def text_for(session: AsyncSession, topic: Topic, locale: str) -> TopicText | None:
    rows = (await session.scalars(select(TopicText).where(TopicText.topic_id == topic.id))).all()
    by_locale = {row.locale: row for row in rows}
    return by_locale.get(locale) or next(iter(by_locale.values()), None)


async def screen(session: LazySession, slug: str, locale: str) -> Screen | None:
    """Everything needed to show one topic, or None if it does not exist (any more).

    Screens are kept in memory until the content changes: at once for changes made in this process, and
    within ``RECHECK_SECONDS`` for changes made by another process (one small query). A tap on a cached screen
    costs no query and opens no database session.
    """
    engine = session.get_bind()
    cache = _caches.get(engine)
    if cache is None:
        cache = _caches[engine] = _Cache()
    now = time.monotonic()
    key = (slug, locale)
    if cache.local_changes != LOCAL_CHANGES[0] or now - cache.checked_at > RECHECK_SECONDS:
        version = await session().scalar(select(ContentState.version).where(ContentState.id == 1))
        if version != cache.version or cache.local_changes != LOCAL_CHANGES[0]:
            cache.version, cache.screens = version, {}
        cache.local_changes, cache.checked_at = LOCAL_CHANGES[0], now
    if key not in cache.screens:
        cache.screens[key] = await _load_screen(session(), slug, locale)
    return cache.screens[key]


async def _load_screen(session: AsyncSession, slug: str, locale: str) -> Screen | None:
    topic = await topic_by_slug(session, slug)
    if topic is None:
        return None
    text = await text_for(session, topic, locale)
    if text is None:
        return None
    parent = await session.get(Topic, topic.parent_id) if topic.parent_id else None
    children = list((await session.scalars(
        select(Topic).where(Topic.parent_id == topic.id, Topic.hidden.is_(False)).order_by(Topic.position, Topic.id)
    )).all())
    linked_slugs = [*topic.also, *topic.related]
    linked = {t.slug: t for t in (await session.scalars(
        select(Topic).where(Topic.slug.in_(linked_slugs), Topic.hidden.is_(False))
    )).all()} if linked_slugs else {}
    ids = [t.id for t in children] + [t.id for t in linked.values()] + ([parent.id] if parent else [])
    titles = await _titles(session, ids, locale)

    def link(t: Topic) -> Link | None:
        return Link(t.slug, titles[t.id]) if t.id in titles else None

    child_links = [link(t) for t in children] + [link(linked[s]) for s in topic.also if s in linked]
    related_links = [link(linked[s]) for s in topic.related if s in linked]
    parent_link = link(parent) if parent and not parent.hidden else None
    return Screen(
        topic=TopicView(topic.slug, topic.kind, topic.remind),
        text=TextView(text.title, text.body, list(text.sources), text.reviewed_on, text.short),
        parent=parent_link, children=[c for c in child_links if c], related=[r for r in related_links if r],
    )


async def answers_a_to_z(session: AsyncSession, locale: str) -> list[Link]:
    rows = (await session.scalars(select(Topic).where(Topic.kind == "answer", Topic.hidden.is_(False)))).all()
    titles = await _titles(session, [t.id for t in rows], locale)
    links = [Link(t.slug, titles[t.id]) for t in rows if t.id in titles]
    return sorted(links, key=lambda link: link.title.casefold().replace("ё", "е"))


_WORD_RE = re.compile(r"[\w-]+", re.UNICODE)
_TAGS_RE = re.compile(r"<[^>]+>")
_STOP = frozenset(
    "и в во на с со по к о об от до для из за у не ни а но или что как это мне меня мой моя я вы мы он она они "
    "ли же бы то the a an and or of to in on for is are be my me i you we do does how what can with at by it".split()
)


def _stems(text: str) -> set[str]:
    """Crude stems good enough for Russian and English inflection: the first five letters of each word."""
    words = (w.casefold().replace("ё", "е") for w in _WORD_RE.findall(text))
    return {w[:5] for w in words if len(w) > 1 and w not in _STOP}


async def search(session: AsyncSession, locale: str, query: str, limit: int = 5) -> list[Link]:
    """Answers ranked by how many query stems they share, titles counting triple."""
    wanted = _stems(query[:500])
    if not wanted:
        return []
    rows = (await session.execute(
        select(Topic.slug, TopicText.title, TopicText.body)
        .join(TopicText, TopicText.topic_id == Topic.id)
        .where(Topic.kind == "answer", Topic.hidden.is_(False), TopicText.locale == locale)
    )).all()
    scored = []
    for slug, title, body in rows:
        title_hits = len(wanted & _stems(title))
        body_hits = len(wanted & _stems(_TAGS_RE.sub(" ", body)))
        score = 3 * title_hits + body_hits
        if score:
            scored.append((score, title, slug))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [Link(slug, title) for _, title, slug in scored[:limit]]


__all__ = ["ROOT_SLUG", "Link", "Screen", "answers_a_to_z", "screen", "search", "text_for", "topic_by_slug"]
