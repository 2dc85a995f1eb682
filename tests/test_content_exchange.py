"""Content exchange: export the live texts as a pack, edit the files, import them back as revisions — all or nothing."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from bot.db import Database, utcnow
from bot.knowledge.exchange import export_pack, import_pack
from bot.knowledge.models import ORIGIN_IMPORT, ORIGIN_MODERATOR, ORIGIN_PACK, Topic, TopicRevision, TopicText
from bot.knowledge.pack import PACK_DIR, PackError, load_pack, read_pack
from tests.conftest import ROOT

PACK = read_pack()


def shape(topics) -> dict[str, tuple]:
    """What a pack says, topic by topic, leaving out where in the file it said it."""
    return {
        t.slug: (t.parent, t.kind, t.order, t.also, t.related, t.remind, t.hidden,
                 {loc: (x.title, x.body, x.sources, x.reviewed_on) for loc, x in sorted(t.texts.items())})
        for t in topics
    }


def run_cli(*args: str, database_url: str, timeout: float = 120) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_URL", "WEBHOOK_"))}
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, env={**base, "DATABASE_URL": database_url},
                          capture_output=True, text=True, timeout=timeout)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path.name, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


async def export_to(database: Database, directory: Path) -> int:
    async with database.session() as session:
        return await export_pack(session, directory)


async def snapshot(database: Database) -> dict:
    """Every text and every topic's structure, plus the number of revisions."""
    async with database.session() as session:
        texts = (await session.execute(
            select(Topic.slug, TopicText.locale, TopicText.title, TopicText.body, TopicText.sources,
                   TopicText.reviewed_on, TopicText.revision, TopicText.origin)
            .join(TopicText, TopicText.topic_id == Topic.id)
        )).all()
        topics = (await session.execute(
            select(Topic.slug, Topic.parent_id, Topic.kind, Topic.position, Topic.hidden, Topic.also, Topic.related,
                   Topic.remind, Topic.origin)
        )).all()
        revisions = await session.scalar(select(func.count()).select_from(TopicRevision))
    return {
        "texts": {(row[0], row[1]): tuple(row[2:]) for row in texts},
        "topics": {row[0]: tuple(row[1:]) for row in topics},
        "revisions": revisions,
    }


async def text_of(database: Database, slug: str, locale: str) -> TopicText:
    async with database.session() as session:
        return await session.scalar(select(TopicText).join(Topic).where(Topic.slug == slug, TopicText.locale == locale))


async def test_an_export_of_the_loaded_pack_reads_back_as_the_pack(database: Database, tmp_path):
    out = tmp_path / "export"  # does not exist yet
    assert await export_to(database, out) == len(PACK)
    assert sorted(p.name for p in out.glob("*.md")) == sorted(p.name for p in PACK_DIR.glob("*.md"))
    assert shape(read_pack(out)) == shape(PACK)


async def test_export_overwrites_its_files_and_removes_stale_ones(database: Database, tmp_path):
    out = tmp_path / "export"
    out.mkdir()
    (out / "acis.md").write_text("stale", encoding="utf-8")
    (out / "gone-topic.md").write_text("stale", encoding="utf-8")
    (out / "notes.txt").write_text("not a topic file", encoding="utf-8")
    assert await export_to(database, out) == len(PACK)
    assert not (out / "gone-topic.md").exists()
    assert (out / "notes.txt").exists()
    assert shape(read_pack(out)) == shape(PACK)


async def test_export_writes_the_published_text_whatever_its_origin(database: Database, tmp_path):
    async with database.session() as session:
        await session.execute(update(TopicText).where(
            TopicText.topic_id == select(Topic.id).where(Topic.slug == "bond").scalar_subquery(),
            TopicText.locale == "en").values(body="A moderator's <b>version</b>.", origin=ORIGIN_MODERATOR,
                                              revision=TopicText.revision + 1))
        await session.commit()
    await export_to(database, tmp_path / "export")
    bond = {t.slug: t for t in read_pack(tmp_path / "export")}["bond"]
    assert bond.texts["en"].body == "A moderator's <b>version</b>."
    assert bond.texts["ru"].body == {t.slug: t for t in PACK}["bond"].texts["ru"].body


async def test_export_includes_hidden_topics_marked_hidden(database: Database, tmp_path):
    async with database.session() as session:
        await session.execute(update(Topic).where(Topic.slug == "bond").values(hidden=True))
        await session.commit()
    out = tmp_path / "export"
    assert await export_to(database, out) == len(PACK)
    assert "\nhidden: true\n" in (out / "bond.md").read_text(encoding="utf-8")
    assert "hidden:" not in (out / "acis.md").read_text(encoding="utf-8")
    exported = {t.slug: t for t in read_pack(out)}
    assert exported["bond"].hidden and not any(t.hidden for slug, t in exported.items() if slug != "bond")
    # Importing it back keeps the topic hidden and changes nothing.
    before = await snapshot(database)
    async with database.session() as session:
        report = await import_pack(session, read_pack(out))
    assert report.updated_texts == 0
    assert await snapshot(database) == before
    # Dropping the line from the file shows the topic again, and marks its structure as imported.
    edit(out / "bond.md", "hidden: true\n", "")
    async with database.session() as session:
        await import_pack(session, read_pack(out))
        bond = await session.scalar(select(Topic).where(Topic.slug == "bond"))
    assert (bond.hidden, bond.origin) == (False, ORIGIN_IMPORT)


async def test_a_round_trip_without_edits_changes_nothing(database: Database, tmp_path):
    before = await snapshot(database)
    await export_to(database, tmp_path / "export")
    async with database.session() as session:
        report = await import_pack(session, read_pack(tmp_path / "export"))
    assert (report.added_topics, report.added_texts, report.updated_texts) == (0, 0, 0)
    assert report.unchanged_texts == 2 * len(PACK)
    assert await snapshot(database) == before
    assert {v[-1] for v in before["topics"].values()} == {ORIGIN_PACK}


async def test_an_edited_export_is_imported_by_the_cli_as_new_revisions(database: Database, database_url, tmp_path):
    out = tmp_path / "export"
    await export_to(database, out)
    before = await snapshot(database)
    digest = (await text_of(database, "acis", "ru")).pack_digest
    edit(out / "acis.md", "<b>Проверяйте дату перед каждым слушанием.</b>",
         "<b>Проверяйте дату перед каждым слушанием — и за день до него.</b>")
    bond_file = out / "bond.md"
    bond_file.write_text(re.sub(r"(?m)^(en:\n  title: ).*$", r'\1"Updated — bond"',
                                bond_file.read_text(encoding="utf-8")), encoding="utf-8")

    result = run_cli("content", "import", str(out), database_url=database_url)
    assert result.returncode == 0, result.stderr
    assert "updated 2" in result.stdout and f"unchanged {2 * len(PACK) - 2}" in result.stdout, result.stdout

    after = await snapshot(database)
    assert after["revisions"] == before["revisions"] + 2
    acis = await text_of(database, "acis", "ru")
    assert "и за день до него" in acis.body
    assert (acis.revision, acis.origin) == (before["texts"][("acis", "ru")][4] + 1, ORIGIN_IMPORT)
    bond = await text_of(database, "bond", "en")
    assert bond.title == "Updated — bond"
    assert (bond.revision, bond.origin) == (before["texts"][("bond", "en")][4] + 1, ORIGIN_IMPORT)
    async with database.session() as session:
        revision = await session.scalar(select(TopicRevision).join(Topic, Topic.id == TopicRevision.topic_id).where(
            Topic.slug == "acis", TopicRevision.locale == "ru", TopicRevision.revision == acis.revision))
    assert (revision.origin, revision.author_id, revision.body) == (ORIGIN_IMPORT, None, acis.body)
    changed = {("acis", "ru"), ("bond", "en")}
    assert {k: v for k, v in after["texts"].items() if k not in changed} == {
        k: v for k, v in before["texts"].items() if k not in changed}
    assert after["topics"] == before["topics"]  # only texts changed, so no topic's structure became "import"
    assert acis.pack_digest == digest  # still the digest of the pack text last loaded

    # A later reload of the unchanged pack keeps the imported texts: they are no longer the pack's.
    async with database.session() as session:
        report = await load_pack(session, read_pack())
    assert report.updated_texts == 0 and report.kept_edits == []  # the pack itself did not change
    assert "и за день до него" in (await text_of(database, "acis", "ru")).body


async def test_an_import_with_one_bad_file_is_refused_whole_with_file_and_line(database: Database, database_url,
                                                                               tmp_path):
    out = tmp_path / "export"
    await export_to(database, out)
    before = await snapshot(database)
    edit(out / "bond.md", "=== ru ===\n", "=== ru ===\n<b>unclosed\n")
    edit(out / "acis.md", "<b>Проверяйте дату перед каждым слушанием.</b>", "<b>Новая, верная версия.</b>")
    shutil.copy(out / "parole.md", out / "zz-new-topic.md")
    edit(out / "zz-new-topic.md", "slug: parole", "slug: zz-new-topic")

    result = run_cli("content", "import", str(out), database_url=database_url)
    assert result.returncode != 0
    assert "nothing was changed" in result.stderr
    assert re.search(r"bond\.md:\d+: ru body: .*invalid Telegram HTML", result.stderr), result.stderr
    assert "Traceback" not in result.stderr
    assert await snapshot(database) == before  # the valid change and the new topic did not get in either


async def test_a_failure_during_import_rolls_everything_back(database: Database):
    """Even past validation, the import is one transaction: a failure half-way leaves no trace."""
    before = await snapshot(database)
    by_slug = {t.slug: t for t in read_pack()}
    acis = by_slug["acis"]
    changed = replace(acis, texts={**acis.texts, "ru": replace(acis.texts["ru"], body="Изменено.")})
    new_topic = replace(by_slug["parole"], slug="zz-new-topic")
    broken = replace(by_slug["bond"], parent="no-such-topic")  # read_pack would have refused this
    async with database.session() as session:
        with pytest.raises(KeyError):
            await import_pack(session, [changed, new_topic, *[t for t in PACK if t.slug not in {"acis", "bond"}],
                                        broken])
    assert await snapshot(database) == before


async def test_an_import_adds_new_topics_and_applies_structure(database: Database, tmp_path):
    out = tmp_path / "export"
    await export_to(database, out)
    shutil.copy(out / "parole.md", out / "zz-new-topic.md")
    edit(out / "zz-new-topic.md", "slug: parole", "slug: zz-new-topic")
    edit(out / "acis.md", "order: 10\n", "order: 99\n")
    before = await snapshot(database)
    async with database.session() as session:
        report = await import_pack(session, read_pack(out))
    assert (report.added_topics, report.added_texts, report.updated_texts) == (1, 2, 0)
    after = await snapshot(database)
    assert after["revisions"] == before["revisions"] + 2
    assert after["topics"]["zz-new-topic"][-1] == ORIGIN_IMPORT
    assert after["topics"]["acis"][2] == 99 and after["topics"]["acis"][-1] == ORIGIN_IMPORT
    assert {slug: v for slug, v in after["topics"].items() if slug not in {"acis", "zz-new-topic"}} == {
        slug: v for slug, v in before["topics"].items() if slug != "acis"}
    new_text = await text_of(database, "zz-new-topic", "en")
    assert (new_text.revision, new_text.origin, new_text.pack_digest) == (1, ORIGIN_IMPORT, None)


async def test_topics_missing_from_an_import_are_left_alone(database: Database, tmp_path):
    async with database.session() as session:
        topic = Topic(slug="zz-extra", kind="answer", origin=ORIGIN_MODERATOR, created_at=utcnow(),
                      parent_id=await session.scalar(select(Topic.id).where(Topic.slug == "court")))
        session.add(topic)
        await session.commit()
    out = tmp_path / "export"
    assert await export_to(database, out) == len(PACK)  # no texts yet, so it cannot be a pack file
    before = await snapshot(database)
    async with database.session() as session:
        await import_pack(session, read_pack(out))
    assert await snapshot(database) == before
    assert before["topics"]["zz-extra"][3] is False  # not hidden by the import


async def test_differing_locale_dates_export_the_earliest(database: Database, tmp_path, caplog):
    later = date.today() - timedelta(days=1)
    async with database.session() as session:
        await session.execute(update(TopicText).where(
            TopicText.topic_id == select(Topic.id).where(Topic.slug == "bond").scalar_subquery(),
            TopicText.locale == "en").values(reviewed_on=later))
        await session.commit()
    out = tmp_path / "export"
    await export_to(database, out)
    bond = {t.slug: t for t in read_pack(out)}["bond"]
    original = {t.slug: t for t in PACK}["bond"].texts["ru"].reviewed_on
    assert bond.texts["en"].reviewed_on == bond.texts["ru"].reviewed_on == min(original, later)
    assert "# reviewed per locale" in (out / "bond.md").read_text(encoding="utf-8")
    assert any("bond.md" in record.getMessage() for record in caplog.records)


async def test_a_hidden_flag_in_the_pack_is_loaded(database: Database, tmp_path):
    pack_dir = tmp_path / "pack"
    shutil.copytree(PACK_DIR, pack_dir)
    edit(pack_dir / "bond.md", "kind: answer\n", "kind: answer\nhidden: true\n")
    async with database.session() as session:
        await load_pack(session, read_pack(pack_dir))
        hidden = dict((await session.execute(select(Topic.slug, Topic.hidden))).all())
    assert not any(t.hidden for t in PACK)  # the shipped pack hides nothing
    assert hidden["bond"] is True and not any(v for slug, v in hidden.items() if slug != "bond")
    edit(pack_dir / "bond.md", "hidden: true\n", "hidden: maybe\n")
    with pytest.raises(PackError) as caught:
        read_pack(pack_dir)
    assert any(re.match(r"bond\.md:\d+: hidden: must be true or false", p) for p in caught.value.problems)
