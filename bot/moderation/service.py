"""Moderation rules: who may moderate, the audit log, and publishing texts safely.

Every publish creates a revision (who, when, locale, full text). Publishing is optimistic: the editor says which
revision they started from, and if someone else published since, the publish is refused with their version —
nobody silently overwrites anybody.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.db import utcnow
from bot.knowledge.models import ORIGIN_MODERATOR, Topic, TopicRevision, TopicText
from bot.knowledge.pack import SHORT_LIMIT, SLUG_RE, TITLE_LIMIT, short_problem, valid_url
from bot.knowledge.render import plain_length, validate_body
from bot.moderation.models import AuditEntry, Moderator

ADMIN, MODERATOR = "admin", "moderator"
BODY_LIMIT = 3500  # plain characters: one message with the heading and the footer
_HREF_RE = re.compile(r"""<a\s+href\s*=\s*["']([^"']*)["']""", re.IGNORECASE)


async def role(session: AsyncSession, settings: Settings, user_id: int) -> str | None:
    if user_id in settings.admin_ids:
        return ADMIN
    if await session.get(Moderator, user_id) is not None:
        return MODERATOR
    return None


REFUSED = "refused"


async def audit(session: AsyncSession, actor_id: int, action: str, target: str | None = None) -> None:
    """Write an audit entry. Refusals are counted instead: one row per person and (UTC) day, so someone trying
    moderation commands 300 times a minute adds one row, not 300 that push real entries out of /audit."""
    now = utcnow()
    target = (target or "")[:120] or None
    if action == REFUSED:
        day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        entry = await session.scalar(
            select(AuditEntry).where(AuditEntry.actor_id == actor_id, AuditEntry.action == REFUSED,
                                     AuditEntry.created_at >= day_start)
            .order_by(AuditEntry.id.desc()).limit(1))
        if entry is not None:
            await session.execute(update(AuditEntry).where(AuditEntry.id == entry.id)
                                  .values(count=AuditEntry.count + 1, target=target))
            await session.commit()
            return
    session.add(AuditEntry(actor_id=actor_id, action=action[:32], target=target, created_at=now, count=1))
    await session.commit()


async def recent_audit(session: AsyncSession, limit: int = 20) -> list[AuditEntry]:
    return list((await session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit))).all())


async def add_moderator(session: AsyncSession, moderator_id: int, added_by: int) -> bool:
    if await session.get(Moderator, moderator_id) is not None:
        return False
    session.add(Moderator(moderator_id=moderator_id, added_by=added_by, added_at=utcnow()))
    await audit(session, added_by, "mod_add", str(moderator_id))
    return True


async def remove_moderator(session: AsyncSession, moderator_id: int, removed_by: int) -> bool:
    result = await session.execute(delete(Moderator).where(Moderator.moderator_id == moderator_id))
    await audit(session, removed_by, "mod_remove", str(moderator_id))
    return result.rowcount > 0


async def moderators(session: AsyncSession) -> list[int]:
    return list((await session.scalars(select(Moderator.moderator_id).order_by(Moderator.added_at))).all())


def validate(title: str, body: str, sources: list[dict]) -> list[str]:
    """Plain reasons why this text must not be published (empty list: fine)."""
    problems = []
    if not title.strip():
        problems.append("empty_title")
    elif len(title) > TITLE_LIMIT or "<" in title or "\n" in title:
        problems.append("bad_title")
    reason = validate_body(body)
    if reason:
        problems.append("bad_html" if "HTML" in reason else "empty_body")
    else:
        if plain_length(body) > BODY_LIMIT:
            problems.append("too_long")
        if any(not valid_url(href) for href in _HREF_RE.findall(body)):
            problems.append("bad_link")
    if any(not valid_url(s.get("url")) or not str(s.get("title", "")).strip()
           or ("title_ru" in s and not str(s["title_ru"]).strip()) for s in sources):
        problems.append("bad_source")
    return problems


# Telegram entities that are formatting; a short version is forwarded or dictated as plain text, so these would be
# lost. (Links, phone numbers and e-mail addresses Telegram finds by itself in plain text are not formatting.)
FORMATTING = frozenset({"bold", "italic", "underline", "strikethrough", "spoiler", "code", "pre", "text_link",
                        "text_mention", "blockquote", "expandable_blockquote"})


def short_version_problem(text: str, entity_types: set[str] | frozenset[str] = frozenset()) -> str | None:
    """Why a moderator's message cannot be a short version — ``short_empty``, ``short_too_long`` (over
    SHORT_LIMIT characters) or ``short_formatted`` (Telegram formatting or HTML tags) — or None."""
    if not text or not text.strip():
        return "short_empty"
    if len(text.strip()) > SHORT_LIMIT:
        return "short_too_long"
    if entity_types & FORMATTING or short_problem(text):
        return "short_formatted"
    return None


class Conflict(Exception):
    """Someone published this topic and locale after the editor opened it."""

    def __init__(self, current: TopicText) -> None:
        super().__init__(f"revision {current.revision} was published meanwhile")
        self.current = current


class Invalid(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__(", ".join(problems))
        self.problems = problems


async def current_text(session: AsyncSession, topic: Topic, locale: str) -> TopicText | None:
    return await session.scalar(select(TopicText).where(TopicText.topic_id == topic.id, TopicText.locale == locale))


@dataclass
class Change:
    title: str | None = None
    body: str | None = None
    sources: list[dict] | None = None
    reviewed_on: date | None = None
    short: str | None = None  # None keeps the published short version

    def applied_to(self, current: TopicText | None) -> tuple[str, str, list[dict]]:
        """(title, body, sources) as they would be published: the changed fields over the current text."""
        title = self.title if self.title is not None else (current.title if current else "")
        body = self.body if self.body is not None else (current.body if current else "")
        sources = self.sources if self.sources is not None else list(current.sources if current else [])
        return title, body, sources


SOURCE_TITLE_LIMIT = 200
_BULLET_RE = re.compile(r"^\s*[•·*\-–—]\s+")  # a line copied from the "• …" listing keeps its title clean


def parse_source_line(line: str) -> dict | None:
    """One source line: ``Title | https://…`` or ``English title | Русское название | https://…``.

    The link is the last field; an empty middle field means no Russian title. None if the line is not like that
    (no link, a bad link, an empty or overlong title, more than three fields)."""
    fields = [field.strip() for field in _BULLET_RE.sub("", line, count=1).split("|")]
    if len(fields) not in (2, 3) or not valid_url(fields[-1]):
        return None
    title, title_ru = fields[0], (fields[1] if len(fields) == 3 else "")
    if not title or len(title) > SOURCE_TITLE_LIMIT or len(title_ru) > SOURCE_TITLE_LIMIT:
        return None
    source = {"title": " ".join(title.split()), "url": fields[-1]}
    if title_ru:
        source["title_ru"] = " ".join(title_ru.split())
    return source


def parse_sources(text: str) -> list[dict] | None:
    """Sources typed one per line (see :func:`parse_source_line`); None if any line is not like that."""
    sources = []
    for line in text.splitlines():
        if not line.strip():
            continue
        source = parse_source_line(line)
        if source is None:
            return None
        sources.append(source)
    return sources


def bad_source_line(text: str) -> int | None:
    """The number (from 1) of the first non-empty line that is not a source line, for the moderator."""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip() and parse_source_line(line) is None:
            return number
    return None


def source_line(source: dict) -> str:
    """A source as the line a moderator would type (so the listing can be copied, edited and sent back)."""
    titles = [source["title"], source["title_ru"]] if source.get("title_ru") else [source["title"]]
    return " | ".join([*titles, source["url"]])


def revision_changes(older: TopicRevision, newer: TopicRevision) -> dict[str, tuple]:
    """What changed besides the body between two revisions: ``title``, ``short`` (old, new) and ``sources``
    (old count, new count), only those that differ."""
    changes: dict[str, tuple] = {}
    if older.title != newer.title:
        changes["title"] = (older.title, newer.title)
    if (older.short or "") != (newer.short or ""):
        changes["short"] = (older.short or "", newer.short or "")
    if list(older.sources or []) != list(newer.sources or []):
        changes["sources"] = (len(older.sources or []), len(newer.sources or []))
    return changes


async def publish(session: AsyncSession, topic: Topic, locale: str, change: Change, *, author_id: int,
                  expected_revision: int, action: str = "publish") -> TopicText:
    """Publish a change as a new revision, or raise Conflict / Invalid. Users see it on their next tap."""
    text = await current_text(session, topic, locale)
    now = utcnow()
    if text is None and (expected_revision != 0 or change.title is None or change.body is None):
        raise Invalid(["missing_locale"])
    if text is not None and text.revision != expected_revision:
        raise Conflict(text)
    title = change.title if change.title is not None else text.title
    body = change.body if change.body is not None else text.body
    sources = change.sources if change.sources is not None else list(text.sources if text else [])
    problems = validate(title, body, sources)
    if change.short and short_problem(change.short):
        problems.append("bad_short")
    if problems:  # validated before anything is touched: the published text stays as it was
        raise Invalid(problems)
    if text is None:
        text = TopicText(topic_id=topic.id, locale=locale, title="", body="", sources=[], revision=0,
                         reviewed_on=now.date())
        session.add(text)
    text.title, text.body, text.sources = title.strip(), body.strip(), sources
    if change.short is not None:
        text.short = change.short.strip() or None
    text.reviewed_on = change.reviewed_on or now.date()
    text.revision += 1
    text.origin, text.updated_at = ORIGIN_MODERATOR, now
    session.add(TopicRevision(topic_id=topic.id, locale=locale, revision=text.revision, title=text.title,
                              body=text.body, short=text.short, sources=text.sources, reviewed_on=text.reviewed_on,
                              origin=ORIGIN_MODERATOR, author_id=author_id, created_at=now))
    session.add(AuditEntry(actor_id=author_id, action=action, target=f"{topic.slug}/{locale} r{text.revision}",
                           created_at=now))
    await session.commit()
    return text


async def history(session: AsyncSession, topic: Topic, locale: str, limit: int = 10) -> list[TopicRevision]:
    return list((await session.scalars(
        select(TopicRevision).where(TopicRevision.topic_id == topic.id, TopicRevision.locale == locale)
        .order_by(TopicRevision.revision.desc()).limit(limit)
    )).all())


def short_diff(old: str, new: str, limit: int = 6) -> list[str]:
    """A few changed lines, '-' removed and '+' added, each cut to 80 characters."""
    lines = [line for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0)
             if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    return [line[:80] for line in lines[:limit]]


async def rollback(session: AsyncSession, topic: Topic, locale: str, revision: int, *, author_id: int,
                   expected_revision: int) -> TopicText:
    old = await session.scalar(select(TopicRevision).where(
        TopicRevision.topic_id == topic.id, TopicRevision.locale == locale, TopicRevision.revision == revision))
    if old is None:
        raise Invalid(["no_revision"])
    return await publish(session, topic, locale, Change(old.title, old.body, list(old.sources), short=old.short or ""),
                         author_id=author_id, expected_revision=expected_revision, action="rollback")


async def stale(session: AsyncSession, days: int, today: date | None = None) -> list[tuple[str, str, str, date]]:
    """(slug, locale, title, reviewed_on) of visible texts last reviewed more than ``days`` ago, oldest first."""
    cutoff = (today or utcnow().date()) - timedelta(days=days)
    rows = (await session.execute(
        select(Topic.slug, TopicText.locale, TopicText.title, TopicText.reviewed_on)
        .join(TopicText, TopicText.topic_id == Topic.id)
        .where(Topic.hidden.is_(False), TopicText.reviewed_on < cutoff)
        .order_by(TopicText.reviewed_on, Topic.slug, TopicText.locale)
    )).all()
    return [tuple(row) for row in rows]


async def create_topic(session: AsyncSession, parent: Topic, slug: str, kind: str, author_id: int) -> Topic:
    """A new topic starts hidden; it can be shown once it has a text in both languages."""
    if not SLUG_RE.match(slug) or parent.kind == "answer" or kind not in ("menu", "answer"):
        raise Invalid(["bad_slug"])
    if await session.scalar(select(Topic.id).where(Topic.slug == slug)) is not None:
        raise Invalid(["slug_taken"])
    position = 1 + max([0, *(await session.scalars(select(Topic.position).where(Topic.parent_id == parent.id)))])
    topic = Topic(slug=slug, parent_id=parent.id, kind=kind, position=position + 9, hidden=True, also=[],
                  related=[], origin=ORIGIN_MODERATOR, created_at=utcnow())
    session.add(topic)
    await session.flush()
    await audit(session, author_id, "topic_add", slug)
    return topic


async def set_hidden(session: AsyncSession, topic: Topic, hidden: bool, author_id: int) -> None:
    if not hidden:
        locales = set((await session.scalars(select(TopicText.locale).where(TopicText.topic_id == topic.id))).all())
        if locales != {"ru", "en"}:
            raise Invalid(["missing_locale"])
    topic.hidden, topic.origin = hidden, ORIGIN_MODERATOR
    await audit(session, author_id, "topic_hide" if hidden else "topic_show", topic.slug)


async def move_topic(session: AsyncSession, topic: Topic, parent: Topic, author_id: int) -> None:
    node: Topic | None = parent
    while node is not None:  # refuse to move a topic under itself
        if node.id == topic.id:
            raise Invalid(["cycle"])
        node = await session.get(Topic, node.parent_id) if node.parent_id else None
    if parent.kind == "answer":
        raise Invalid(["bad_parent"])
    topic.parent_id, topic.origin = parent.id, ORIGIN_MODERATOR
    await audit(session, author_id, "topic_move", f"{topic.slug} → {parent.slug}")


async def topic_any(session: AsyncSession, slug: str) -> Topic | None:
    """A topic by slug, hidden ones included (moderators work on topics before they are shown)."""
    return await session.scalar(select(Topic).where(Topic.slug == slug.lower()))


async def find_topics(session: AsyncSession, query: str, locale: str, limit: int = 8) -> list[tuple[str, str]]:
    """(slug, title) of topics whose slug or title contains the query, for the /edit picker."""
    query = query.strip().casefold()[:100]
    if not query:
        return []
    rows = await session.execute(
        select(Topic.slug, TopicText.title).join(TopicText, TopicText.topic_id == Topic.id)
        .where(TopicText.locale == locale, or_(Topic.slug.contains(query), TopicText.title.ilike(f"%{query}%")))
        .order_by(Topic.slug).limit(limit))
    return [tuple(row) for row in rows.all()]
