"""Export the knowledge base as a content pack, and import an edited pack back as revisions.

``export_pack`` writes what users see now (the published text of every topic, whatever its origin, hidden topics
marked ``hidden: true``) in the content-pack format, so the files can be edited and checked with ``content check``.
``import_pack`` applies a pack that ``read_pack`` already accepted, in one transaction: new topics are created,
structure and changed texts are applied, and every changed text becomes a new revision with origin ``import``.

The format has one ``reviewed`` date and one source list per topic, while the database keeps them per locale
(a moderator publishes one locale at a time). When the locales differ, the export writes the earliest date (it
never claims a fresher review than a text had) and the sources of the most recently updated text, notes both in a
YAML comment, and logs a warning; importing that file then aligns the locales.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import utcnow
from bot.i18n import LOCALES
from bot.knowledge.models import ORIGIN_IMPORT, Topic, TopicRevision, TopicText
from bot.knowledge.pack import ROOT_SLUG, LoadReport, PackError, PackText, PackTopic, read_pack

log = logging.getLogger(__name__)


@dataclass
class _Entry:
    topic: PackTopic
    notes: list[str]  # YAML comments: what the format could not say


def _shape(topic: PackTopic) -> tuple:
    """Everything a pack file says about a topic (not where in the file it said it)."""
    texts = {locale: (t.title, t.body, t.short, t.sources, t.reviewed_on)
             for locale, t in sorted(topic.texts.items())}
    return (topic.slug, topic.parent, topic.kind, topic.order, topic.also, topic.related, topic.remind,
            topic.hidden, texts)


def _exportable(topics: list[Topic], texts: dict[int, dict[str, TopicText]]) -> set[int]:
    """Ids of the topics a valid pack can hold: every locale has a text, the parent is kept, and a menu or question
    still has a child or an 'also' entry. A topic a moderator has only started (and its subtree) is left out."""
    by_id = {t.id: t for t in topics}
    keep = {t.id for t in topics if all(locale in texts.get(t.id, {}) for locale in LOCALES)}
    while True:
        slugs = {by_id[i].slug for i in keep}
        with_children = {by_id[i].parent_id for i in keep}
        drop = set()
        for i in keep:
            topic = by_id[i]
            if topic.slug == ROOT_SLUG:
                continue
            if topic.parent_id not in keep:
                drop.add(i)
            elif topic.kind != "answer" and i not in with_children and not set(topic.also or []) & slugs:
                drop.add(i)
        if not drop:
            return keep
        keep -= drop


def _entry(topic: Topic, parent: str | None, texts: dict[str, TopicText], slugs: set[str]) -> _Entry:
    notes: list[str] = []
    reviewed = {locale: texts[locale].reviewed_on for locale in LOCALES}
    sources = {locale: list(texts[locale].sources or []) for locale in LOCALES}
    reviewed_on = min(reviewed.values())
    latest = max(LOCALES, key=lambda locale: (texts[locale].updated_at, -LOCALES.index(locale)))
    chosen_sources = sources[latest]
    if len(set(reviewed.values())) > 1:
        notes.append("reviewed per locale: " + ", ".join(f"{loc} {day.isoformat()}" for loc, day in reviewed.items())
                     + "; the earliest is written here")
    if any(value != chosen_sources for value in sources.values()):
        notes.append(f"sources differed per locale; these are the {latest} ones (updated last)")
    also = [s for s in topic.also or [] if s in slugs]
    related = [s for s in topic.related or [] if s in slugs]
    if also != list(topic.also or []) or related != list(topic.related or []):
        notes.append("links to topics left out of this export were dropped")
    pack_topic = PackTopic(
        slug=topic.slug, parent=parent, kind=topic.kind, order=topic.position or 0, also=also, related=related,
        remind=topic.remind, hidden=bool(topic.hidden), where=f"{topic.slug}.md:2",
        texts={locale: PackText(texts[locale].title, texts[locale].body, chosen_sources, reviewed_on,
                                texts[locale].short)
               for locale in LOCALES},
    )
    return _Entry(pack_topic, notes)


def render_topic(topic: PackTopic, notes: Sequence[str] = ()) -> str:
    """One topic as a pack file: YAML front matter, then a '=== locale ===' section per locale."""
    meta: dict = {"slug": topic.slug}
    if topic.parent is not None:
        meta["parent"] = topic.parent
    meta["kind"] = topic.kind
    meta["order"] = topic.order
    if topic.hidden:
        meta["hidden"] = True
    if topic.also:
        meta["also"] = list(topic.also)
    if topic.related:
        meta["related"] = list(topic.related)
    if topic.remind:
        meta["remind"] = topic.remind
    first = topic.texts[LOCALES[0]]
    meta["reviewed"] = first.reviewed_on
    meta["sources"] = [dict(source) for source in first.sources]
    for locale in LOCALES:
        meta[locale] = {"title": topic.texts[locale].title}
        if topic.texts[locale].short is not None:
            meta[locale]["short"] = topic.texts[locale].short
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=10_000)
    lines = ["---", *(f"# {note}" for note in notes), front.rstrip("\n"), "---"]
    for locale in LOCALES:
        lines += [f"=== {locale} ===", topic.texts[locale].body.strip()]
    return "\n".join(lines) + "\n"


async def export_pack(session: AsyncSession, directory: Path) -> int:
    """Write every topic's published texts into ``directory`` as ``<slug>.md``; return how many were written.

    Same-named files are overwritten and other ``*.md`` files in the directory are removed, so the directory is
    exactly the export. The result is read back with ``read_pack`` and any difference is logged as a warning.
    """
    topics = list((await session.scalars(select(Topic).order_by(Topic.slug))).all())
    texts: dict[int, dict[str, TopicText]] = {}
    for text in (await session.scalars(select(TopicText))).all():
        texts.setdefault(text.topic_id, {})[text.locale] = text
    keep = _exportable(topics, texts)
    by_id = {t.id: t for t in topics}
    slugs = {by_id[i].slug for i in keep}
    left_out = sorted(t.slug for t in topics if t.id not in keep)
    if left_out:
        log.warning("export: left out %d topic(s) a pack cannot hold yet (a locale missing, or an empty menu): %s",
                    len(left_out), ", ".join(left_out))

    entries = [_entry(t, by_id[t.parent_id].slug if t.parent_id in by_id else None, texts[t.id], slugs)
               for t in topics if t.id in keep]
    await asyncio.to_thread(_write_and_verify, directory, entries)
    return len(entries)


def _write_and_verify(directory: Path, entries: list[_Entry]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    written = set()
    for entry in entries:
        path = directory / f"{entry.topic.slug}.md"
        path.write_text(render_topic(entry.topic, entry.notes), encoding="utf-8")
        written.add(path.name)
        if entry.notes:
            log.warning("export: %s: %s", path.name, "; ".join(entry.notes))
    for stale in directory.glob("*.md"):
        if stale.name not in written:
            stale.unlink()
    try:
        back = {t.slug: t for t in read_pack(directory)}
    except PackError as exc:
        for problem in exc.problems:
            log.warning("export: the written pack would be refused: %s", problem)
        return
    for entry in entries:
        if entry.topic.slug not in back or _shape(back[entry.topic.slug]) != _shape(entry.topic):
            log.warning("export: %s.md does not read back as written", entry.topic.slug)


async def import_pack(session: AsyncSession, topics: list[PackTopic]) -> LoadReport:
    """Apply a pack ``read_pack`` accepted, all or nothing (the session is committed here, or rolled back).

    Topics that are not in the pack are left as they are.
    """
    report = LoadReport()
    try:
        existing = {t.slug: t for t in (await session.scalars(select(Topic))).all()}
        texts = {(x.topic_id, x.locale): x for x in (await session.scalars(select(TopicText))).all()}
        now = utcnow()
        restructured: set[str] = set()

        for item in topics:
            topic = existing.get(item.slug)
            if topic is None:
                topic = Topic(slug=item.slug, kind=item.kind, position=item.order, hidden=item.hidden,
                              also=list(item.also), related=list(item.related), remind=item.remind,
                              origin=ORIGIN_IMPORT, created_at=now)
                session.add(topic)
                existing[item.slug] = topic
                report.added_topics += 1
                continue
            wanted = (item.kind, item.order, list(item.also), list(item.related), item.remind, item.hidden)
            if (topic.kind, topic.position, list(topic.also or []), list(topic.related or []), topic.remind,
                    bool(topic.hidden)) != wanted:
                topic.kind, topic.position = item.kind, item.order
                topic.also, topic.related = list(item.also), list(item.related)
                topic.remind, topic.hidden = item.remind, item.hidden
                restructured.add(item.slug)
        await session.flush()

        for item in topics:
            topic = existing[item.slug]
            parent_id = existing[item.parent].id if item.parent else None
            if topic.parent_id != parent_id:
                topic.parent_id = parent_id
                restructured.add(item.slug)
            if item.slug in restructured:
                topic.origin = ORIGIN_IMPORT
            for locale, new in item.texts.items():
                current = texts.get((topic.id, locale))
                if current is None:
                    session.add(TopicText(
                        topic_id=topic.id, locale=locale, title=new.title, body=new.body, short=new.short,
                        sources=new.sources,
                        reviewed_on=new.reviewed_on, revision=1, origin=ORIGIN_IMPORT, pack_digest=None,
                        updated_at=now,
                    ))
                    _add_revision(session, topic.id, locale, 1, new, now)
                    report.added_texts += 1
                elif (current.title, current.body, current.short, list(current.sources or []),
                      current.reviewed_on) == (new.title, new.body, new.short, new.sources, new.reviewed_on):
                    report.unchanged_texts += 1
                else:
                    current.title, current.body, current.short = new.title, new.body, new.short
                    current.sources, current.reviewed_on = list(new.sources), new.reviewed_on
                    current.revision += 1
                    current.origin, current.updated_at = ORIGIN_IMPORT, now
                    _add_revision(session, topic.id, locale, current.revision, new, now)
                    report.updated_texts += 1
        await session.commit()
    except BaseException:
        await session.rollback()
        raise
    return report


def _add_revision(session: AsyncSession, topic_id: int, locale: str, revision: int, text: PackText, now) -> None:
    session.add(TopicRevision(
        topic_id=topic_id, locale=locale, revision=revision, title=text.title, body=text.body, short=text.short,
        sources=list(text.sources), reviewed_on=text.reviewed_on, origin=ORIGIN_IMPORT, author_id=None,
        created_at=now,
    ))
