"""The content pack: one readable file per topic (YAML front matter, then a Telegram-HTML body per locale).

``read_pack`` validates the whole pack first and reports every problem as ``file:line: reason``; only a pack with
no problems reaches ``load_pack``, which applies it in one transaction. Loading is idempotent, and it never
replaces a text whose latest revision came from a moderator or an import: each text remembers its origin.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import utcnow
from bot.i18n import LOCALES
from bot.knowledge import questions as alt_questions
from bot.knowledge.models import KINDS, ORIGIN_PACK, Topic, TopicRevision, TopicText
from bot.knowledge.questions import MAX_PER_LOCALE, QUESTION_LIMIT
from bot.knowledge.render import MESSAGE_LIMIT, plain_length, render_answer, validate_body
from bot.reminders.buttons import ENTRY_KINDS

log = logging.getLogger(__name__)

PACK_DIR = Path(__file__).resolve().parent / "pack"
ROOT_SLUG = "start"
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
TITLE_LIMIT = 64
SHORT_LIMIT = 300  # the short version: plain text, forwarded or dictated to a detainee
_TAG_LIKE_RE = re.compile(r"<\s*/?\s*[a-zA-Z]")
_SECTION_RE = re.compile(r"^===\s*([a-z]{2})\s*===\s*$")


class PackError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class PackText:
    title: str
    body: str
    sources: list[dict]
    reviewed_on: date
    short: str | None = None  # plain text, at most SHORT_LIMIT characters

    def digest(self) -> str:
        parts = [self.title, self.body, self.sources, self.reviewed_on.isoformat()]
        if self.short is not None:  # texts without a short version keep the digest they always had
            parts.append(self.short)
        raw = json.dumps(parts, ensure_ascii=False)
        return hashlib.sha256(raw.encode()).hexdigest()


@dataclass
class PackTopic:
    slug: str
    parent: str | None
    kind: str
    order: int
    also: list[str]
    related: list[str]
    remind: str | None
    texts: dict[str, PackText]
    where: str  # "file:line" of the front matter, for messages
    body_lines: dict[str, int] = field(default_factory=dict)
    hidden: bool = False  # optional 'hidden: true': kept in the database, not shown in menus
    questions: dict[str, list[str]] = field(default_factory=dict)  # locale → how people ask (for search)


def valid_url(url: object) -> bool:
    return isinstance(url, str) and re.match(r"^(https?://[^\s<>\"]+|tg://[^\s<>\"]+)$", url) is not None


def short_problem(short: object) -> str | None:
    """Why this cannot be a short version (plain text, 1..SHORT_LIMIT characters), or None."""
    if not isinstance(short, str) or not short.strip():
        return "must be a non-empty text"
    if len(short.strip()) > SHORT_LIMIT:
        return f"is {len(short.strip())} characters; at most {SHORT_LIMIT}"
    if _TAG_LIKE_RE.search(short):
        return "must be plain text (no HTML tags)"
    return None


def _parse_file(path: Path, problems: list[str]) -> PackTopic | None:
    name = path.name
    try:
        raw = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        problems.append(f"{name}:1: not UTF-8 text")
        return None
    lines = raw.splitlines()
    if not lines or lines[0].strip() != "---":
        problems.append(f"{name}:1: must start with a '---' line (YAML front matter)")
        return None
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        problems.append(f"{name}:1: front matter has no closing '---' line")
        return None
    try:
        meta = yaml.safe_load("\n".join(lines[1:end])) or {}
    except yaml.MarkedYAMLError as exc:
        line = (exc.problem_mark.line + 2) if exc.problem_mark else 1
        problems.append(f"{name}:{line}: YAML error: {exc.problem}")
        return None
    if not isinstance(meta, dict):
        problems.append(f"{name}:2: front matter must be a mapping")
        return None

    def key_line(key: str) -> int:
        for i in range(1, end):
            if lines[i].startswith(f"{key}:"):
                return i + 1
        return 2

    def bad(key: str, reason: str) -> None:
        problems.append(f"{name}:{key_line(key)}: {key}: {reason}")

    before = len(problems)
    slug = meta.get("slug")
    if not isinstance(slug, str) or not SLUG_RE.match(slug):
        bad("slug", "required; lower-case letters, digits and '-', at most 40 characters")
    elif path.stem != slug:
        bad("slug", f"must equal the file name ({path.stem})")
    kind = meta.get("kind")
    if kind not in KINDS:
        bad("kind", f"must be one of {', '.join(KINDS)}")
    parent = meta.get("parent")
    if parent is not None and not isinstance(parent, str):
        bad("parent", "must be a topic slug")
    order = meta.get("order", 0)
    if not isinstance(order, int):
        bad("order", "must be a whole number")
    also = meta.get("also") or []
    related = meta.get("related") or []
    for key, value in (("also", also), ("related", related)):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            bad(key, "must be a list of topic slugs")
    if isinstance(related, list) and len(related) > 3:
        bad("related", "at most 3 related topics")
    hidden = meta.get("hidden", False)
    if not isinstance(hidden, bool):
        bad("hidden", "must be true or false")
    questions = _questions(meta.get("questions"), bad)
    remind = meta.get("remind")
    if remind is not None and remind not in ENTRY_KINDS:
        bad("remind", "must be one of: " + ", ".join(ENTRY_KINDS))
    reviewed = meta.get("reviewed")
    if not isinstance(reviewed, date):
        bad("reviewed", "required, as an ISO date such as 2026-07-01")
    elif reviewed > date.today():
        bad("reviewed", "is in the future")
    sources = meta.get("sources") or []
    if not isinstance(sources, list):
        bad("sources", "must be a list of {title, url}")
        sources = []
    for source in sources:
        if not isinstance(source, dict) or not isinstance(source.get("title"), str) or not source["title"]:
            bad("sources", "every source needs a title")
        elif not valid_url(source.get("url")):
            bad("sources", f"URL must be http(s) or tg: {str(source.get('url'))[:80]}")
        elif "title_ru" in source and (not isinstance(source["title_ru"], str) or not source["title_ru"].strip()):
            bad("sources", f"title_ru must be a non-empty text: {source['title']}"[:120])
        elif set(source) - {"title", "title_ru", "url"}:
            bad("sources", f"unknown source keys: {', '.join(sorted(map(str, set(source) - {'title', 'title_ru', 'url'})))}")
    if kind == "answer" and not sources:
        bad("sources", "an answer needs at least one source")

    # Bodies: '=== ru ===' / '=== en ===' sections after the front matter.
    bodies: dict[str, list[str]] = {}
    body_lines: dict[str, int] = {}
    current: str | None = None
    for i in range(end + 1, len(lines)):
        match = _SECTION_RE.match(lines[i])
        if match:
            current = match.group(1)
            if current not in LOCALES:
                problems.append(f"{name}:{i + 1}: unknown locale section '{current}'")
            bodies[current] = []
            body_lines[current] = i + 2
        elif current is not None:
            bodies[current].append(lines[i])
        elif lines[i].strip():
            problems.append(f"{name}:{i + 1}: text before the first '=== ru ===' section")
            break

    texts: dict[str, PackText] = {}
    for locale in LOCALES:
        header = meta.get(locale)
        title = header.get("title") if isinstance(header, dict) else None
        if not isinstance(title, str) or not title.strip():
            problems.append(f"{name}:{key_line(locale)}: {locale}.title is required")
            continue
        title = title.strip()
        if len(title) > TITLE_LIMIT or "<" in title:
            problems.append(f"{name}:{key_line(locale)}: {locale}.title must be plain text, ≤ {TITLE_LIMIT} chars")
        # The short version is optional here (files not yet written still load); tests/test_content_rules.py
        # requires one for every answer.
        short = header.get("short")
        if short is not None:
            reason = short_problem(short)
            if reason:
                problems.append(f"{name}:{key_line(locale)}: {locale}.short {reason}")
                continue
            short = short.strip()
        if locale not in bodies:
            problems.append(f"{name}:{end + 1}: the '=== {locale} ===' section is missing")
            continue
        body = "\n".join(bodies[locale]).strip()
        reason = validate_body(body)
        if reason:
            problems.append(f"{name}:{body_lines[locale]}: {locale} body: {reason}")
            continue
        if isinstance(reviewed, date):
            text = PackText(title, body, [dict(s) for s in sources if isinstance(s, dict)], reviewed, short)
            try:
                parts = render_answer(title, body, text.sources, reviewed, locale)
            except Exception as exc:  # a paragraph longer than one message
                problems.append(f"{name}:{body_lines[locale]}: {locale} body: {exc}")
                continue
            if kind != "answer" and plain_length(parts[0]) > MESSAGE_LIMIT - 500:
                problems.append(f"{name}:{body_lines[locale]}: {locale} body: a menu must fit one screen")
            texts[locale] = text
    if len(problems) > before:
        return None
    return PackTopic(
        slug=slug, parent=parent, kind=kind, order=order, also=list(also), related=list(related),
        remind=remind, texts=texts, where=f"{name}:2", body_lines=body_lines, hidden=hidden, questions=questions,
    )


def _questions(value: object, bad) -> dict[str, list[str]]:
    """The optional ``questions:`` block: per locale, a list of plain-text questions (see bot/knowledge/questions)."""
    if value is None:
        return {}
    if not isinstance(value, dict) or not set(value) <= set(LOCALES):
        bad("questions", f"must map {' / '.join(LOCALES)} to lists of questions")
        return {}
    out: dict[str, list[str]] = {}
    for locale, items in value.items():
        if not isinstance(items, list) or not all(isinstance(q, str) and q.strip() for q in items):
            bad("questions", f"{locale}: must be a list of non-empty strings")
            continue
        if len(items) > MAX_PER_LOCALE or any(len(q) > QUESTION_LIMIT or "<" in q for q in items):
            bad("questions", f"{locale}: at most {MAX_PER_LOCALE} plain-text questions of ≤ {QUESTION_LIMIT} chars")
            continue
        out[locale] = [q.strip() for q in items]
    return out


def read_pack(directory: Path = PACK_DIR) -> list[PackTopic]:
    """Parse and validate every file; raise PackError listing all problems, or return the topics."""
    problems: list[str] = []
    files = sorted(directory.glob("*.md"))
    if not files:
        raise PackError([f"{directory}: no topic files (*.md)"])
    topics = [t for t in (_parse_file(f, problems) for f in files) if t is not None]
    by_slug: dict[str, PackTopic] = {}
    for topic in topics:
        if topic.slug in by_slug:
            problems.append(f"{topic.where}: slug {topic.slug!r} is used twice")
        by_slug[topic.slug] = topic
    if ROOT_SLUG not in by_slug:
        problems.append(f"{directory}: the root topic '{ROOT_SLUG}' is missing")
    for topic in topics:
        if topic.slug == ROOT_SLUG:
            if topic.parent is not None:
                problems.append(f"{topic.where}: the root topic has no parent")
            continue
        if topic.parent is None:
            problems.append(f"{topic.where}: parent is required (only '{ROOT_SLUG}' has none)")
        elif topic.parent not in by_slug:
            problems.append(f"{topic.where}: parent {topic.parent!r} does not exist")
        elif topic.parent in by_slug and by_slug[topic.parent].kind == "answer":
            problems.append(f"{topic.where}: parent {topic.parent!r} is an answer, not a menu")
        for key in ("also", "related"):
            for slug in getattr(topic, key):
                if slug not in by_slug:
                    problems.append(f"{topic.where}: {key}: no topic {slug!r}")
        if topic.kind != "answer" and (topic.related or topic.remind):
            problems.append(f"{topic.where}: related/remind are for answers only")
        if topic.kind == "answer" and topic.also:
            problems.append(f"{topic.where}: also is for menus and questions only")
    # Every topic must be reachable from the root: no cycles, no orphans.
    for topic in topics:
        seen: set[str] = set()
        node: PackTopic | None = topic
        while node is not None and node.parent is not None:
            if node.slug in seen:
                problems.append(f"{topic.where}: parent chain loops back on itself")
                break
            seen.add(node.slug)
            node = by_slug.get(node.parent)
    menus_with_children = {t.parent for t in topics}
    for topic in topics:
        if topic.kind != "answer" and topic.slug not in menus_with_children and not topic.also:
            problems.append(f"{topic.where}: a {topic.kind} needs at least one child or 'also' entry")
    if problems:
        raise PackError(problems)
    return topics


@dataclass
class LoadReport:
    added_topics: int = 0
    added_texts: int = 0
    updated_texts: int = 0
    unchanged_texts: int = 0
    kept_edits: list[str] = field(default_factory=list)  # "slug/locale" whose moderator edit was kept
    hidden: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"topics added {self.added_topics}; texts added {self.added_texts}, updated {self.updated_texts}, "
            f"unchanged {self.unchanged_texts}; moderator edits kept {len(self.kept_edits)}; "
            f"hidden {len(self.hidden)}"
        )


async def load_pack(session: AsyncSession, topics: list[PackTopic]) -> LoadReport:
    """Apply a validated pack in one transaction (the caller's session is committed here)."""
    report = LoadReport()
    existing = {t.slug: t for t in (await session.scalars(select(Topic))).all()}
    texts = {(x.topic_id, x.locale): x for x in (await session.scalars(select(TopicText))).all()}
    now = utcnow()

    for item in topics:
        topic = existing.get(item.slug)
        if topic is None:
            topic = Topic(slug=item.slug, kind=item.kind, origin=ORIGIN_PACK, created_at=now)
            session.add(topic)
            existing[item.slug] = topic
            report.added_topics += 1
        if topic.origin == ORIGIN_PACK:
            topic.kind, topic.position = item.kind, item.order
            topic.also, topic.related, topic.remind = list(item.also), list(item.related), item.remind
            topic.hidden = item.hidden
    await session.flush()

    pack_slugs = {item.slug for item in topics}
    for item in topics:
        topic = existing[item.slug]
        if topic.origin == ORIGIN_PACK:
            topic.parent_id = existing[item.parent].id if item.parent else None
        for locale, pack_text in item.texts.items():
            digest = pack_text.digest()
            current = texts.get((topic.id, locale))
            if current is None:
                session.add(TopicText(
                    topic_id=topic.id, locale=locale, title=pack_text.title, body=pack_text.body,
                    short=pack_text.short, sources=pack_text.sources, reviewed_on=pack_text.reviewed_on, revision=1,
                    origin=ORIGIN_PACK, pack_digest=digest, updated_at=now,
                ))
                _add_revision(session, topic.id, locale, 1, pack_text, now)
                report.added_texts += 1
            elif current.origin != ORIGIN_PACK:
                if current.pack_digest != digest:
                    report.kept_edits.append(f"{item.slug}/{locale}")
            elif current.pack_digest == digest:
                report.unchanged_texts += 1
            else:
                current.title, current.body, current.short = pack_text.title, pack_text.body, pack_text.short
                current.sources, current.reviewed_on = pack_text.sources, pack_text.reviewed_on
                current.revision += 1
                current.pack_digest, current.updated_at = digest, now
                _add_revision(session, topic.id, locale, current.revision, pack_text, now)
                report.updated_texts += 1
    await alt_questions.sync_pack(session, existing, {item.slug: item.questions for item in topics})
    for slug, topic in existing.items():
        if slug not in pack_slugs and topic.origin == ORIGIN_PACK and not topic.hidden:
            topic.hidden = True
            report.hidden.append(slug)
    await session.commit()
    return report


def _add_revision(session: AsyncSession, topic_id: int, locale: str, revision: int, text: PackText, now) -> None:
    session.add(TopicRevision(
        topic_id=topic_id, locale=locale, revision=revision, title=text.title, body=text.body, short=text.short,
        sources=text.sources, reviewed_on=text.reviewed_on, origin=ORIGIN_PACK, author_id=None, created_at=now,
    ))


async def load_into(database, directory: Path = PACK_DIR) -> LoadReport:
    """Read, validate and load the pack into ``database`` (a ``bot.db.Database``); raises PackError."""
    topics = read_pack(directory)
    async with database.session() as session:
        return await load_pack(session, topics)


async def prepare_database(url: str) -> LoadReport:
    """Migrations, then the content pack: the state ``run`` starts from (used by tests and benchmarks)."""
    from bot import migrate
    from bot.db import Database

    await migrate.upgrade(url)
    database = Database(url)
    try:
        return await load_into(database)
    finally:
        await database.dispose()


async def load_on_start(database) -> None:
    """``run`` loads the content pack on start; a broken pack is reported and the stored texts stay in use."""
    try:
        report = await load_into(database)
    except PackError as exc:
        log.error("content pack refused, keeping stored texts: %d problem(s)\n%s", len(exc.problems), exc)
        return
    log.info("content pack loaded: %s", report.summary())
