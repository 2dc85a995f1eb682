"""The content pack: complete, valid for Telegram, idempotent to load, and never overwriting a moderator's edit."""

from __future__ import annotations

import shutil
from datetime import date

import pytest
from sqlalchemy import func, select

from bot.db import Database
from bot.knowledge import service
from bot.knowledge.models import ORIGIN_MODERATOR, Topic, TopicRevision, TopicText
from bot.knowledge.pack import PACK_DIR, ROOT_SLUG, PackError, load_pack, read_pack
from bot.knowledge.render import MESSAGE_LIMIT, human_date, plain_length, render_answer
from bot.telegram_html import parse_telegram_html

PACK = read_pack()
BY_SLUG = {t.slug: t for t in PACK}


def test_pack_has_at_least_60_answers_in_both_languages():
    answers = [t for t in PACK if t.kind == "answer"]
    assert len(answers) >= 60
    for topic in PACK:
        assert set(topic.texts) == {"ru", "en"}, topic.slug


@pytest.mark.parametrize("topic", [t for t in PACK if t.kind == "answer"], ids=lambda t: t.slug)
def test_every_answer_has_sources_a_date_and_fits_telegram(topic):
    for locale, text in topic.texts.items():
        assert text.sources and all(s["url"].startswith(("https://", "http://")) for s in text.sources)
        assert date(2024, 1, 1) <= text.reviewed_on <= date.today()
        parts = render_answer(text.title, text.body, text.sources, text.reviewed_on, locale)
        for part in parts:
            parse_telegram_html(part)  # raises on anything Telegram would refuse
            assert plain_length(part) <= MESSAGE_LIMIT
        footer = parts[-1]
        assert ("не юридическая консультация" if locale == "ru" else "not legal advice") in footer
        assert human_date(text.reviewed_on, locale) in footer
        # The Russian footer names a source by its Russian title when the pack gives one.
        assert all((s.get(f"title_{locale}") or s["title"]) in parse_telegram_html(footer)[0] for s in text.sources)


def test_every_topic_is_reachable_from_the_main_menu():
    reachable, frontier = {ROOT_SLUG}, [ROOT_SLUG]
    children: dict[str, list[str]] = {}
    for topic in PACK:
        if topic.parent:
            children.setdefault(topic.parent, []).append(topic.slug)
    while frontier:
        slug = frontier.pop()
        for nxt in children.get(slug, []) + BY_SLUG[slug].also + BY_SLUG[slug].related:
            if nxt not in reachable:
                reachable.add(nxt)
                frontier.append(nxt)
    assert reachable == set(BY_SLUG)


def test_slugs_fit_deep_links_and_callback_data():
    for slug in BY_SLUG:
        assert len(f"t:{slug}".encode()) <= 64
        assert all(c.isalnum() or c in "-_" for c in slug) and len(slug) <= 64


async def test_loading_twice_changes_nothing(database: Database):
    # The fixture database already holds the pack once.
    async with database.session() as session:
        revisions_before = await session.scalar(select(func.count()).select_from(TopicRevision))
        report = await load_pack(session, read_pack())
        revisions_after = await session.scalar(select(func.count()).select_from(TopicRevision))
    assert report.added_topics == report.added_texts == report.updated_texts == 0
    assert report.unchanged_texts == 2 * len(PACK)
    assert revisions_before == revisions_after


async def test_a_moderator_edit_survives_a_reload_and_a_pack_change(database: Database, tmp_path):
    async with database.session() as session:
        topic = await service.topic_by_slug(session, "acis")
        text = await session.scalar(select(TopicText).where(TopicText.topic_id == topic.id, TopicText.locale == "ru"))
        text.body, text.origin, text.revision = "Текст модератора.", ORIGIN_MODERATOR, text.revision + 1
        await session.commit()
    # The pack changes the same text; a reload must keep the moderator's version and say so.
    pack_dir = tmp_path / "pack"
    shutil.copytree(PACK_DIR, pack_dir)
    acis = pack_dir / "acis.md"
    acis.write_text(acis.read_text(encoding="utf-8").replace("=== ru ===\n", "=== ru ===\nНовая строка.\n\n", 1),
                    encoding="utf-8")
    async with database.session() as session:
        report = await load_pack(session, read_pack(pack_dir))
        kept = await session.scalar(select(TopicText.body).join(Topic).where(Topic.slug == "acis",
                                                                              TopicText.locale == "ru"))
        english = await session.scalar(select(TopicText.body).join(Topic).where(Topic.slug == "acis",
                                                                                 TopicText.locale == "en"))
    assert kept == "Текст модератора."
    assert "acis/ru" in report.kept_edits
    assert english  # the other locale is untouched


async def test_a_changed_pack_text_becomes_a_new_revision(database: Database, tmp_path):
    pack_dir = tmp_path / "pack"
    shutil.copytree(PACK_DIR, pack_dir)
    path = pack_dir / "bond.md"
    path.write_text(path.read_text(encoding="utf-8").replace("=== en ===\n", "=== en ===\nUpdated.\n\n", 1),
                    encoding="utf-8")
    async with database.session() as session:
        report = await load_pack(session, read_pack(pack_dir))
        revisions = (await session.scalars(select(TopicRevision.revision).join(Topic, Topic.id == TopicRevision.topic_id)
                                           .where(Topic.slug == "bond", TopicRevision.locale == "en"))).all()
    assert report.updated_texts == 1
    assert sorted(revisions) == [1, 2]


@pytest.mark.parametrize(("mutation", "expected"), [
    (lambda s: s.replace("kind: answer", "kind: banana", 1), "bond.md:"),
    (lambda s: s.replace("=== en ===", "=== fr ===", 1), "unknown locale section 'fr'"),
    (lambda s: s.replace("=== ru ===\n", "=== ru ===\n<b>unclosed\n", 1), "invalid Telegram HTML"),
    (lambda s: s.replace("url: https://", "url: javascript://", 1), "URL must be http(s)"),
    (lambda s: s.replace("parent: detention", "parent: nowhere", 1), "parent 'nowhere' does not exist"),
    (lambda s: "---\nslug: [unclosed\n" + s, "YAML error"),
])
async def test_a_malformed_pack_is_refused_whole_with_file_and_line(database: Database, tmp_path, mutation, expected):
    pack_dir = tmp_path / "pack"
    shutil.copytree(PACK_DIR, pack_dir)
    path = pack_dir / "bond.md"
    path.write_text(mutation(path.read_text(encoding="utf-8")), encoding="utf-8")
    (pack_dir / "zz-new-topic.md").write_text((pack_dir / "parole.md").read_text(encoding="utf-8")
                                              .replace("slug: parole", "slug: zz-new-topic"), encoding="utf-8")
    with pytest.raises(PackError) as caught:
        read_pack(pack_dir)
    assert any(expected in problem for problem in caught.value.problems), caught.value.problems
    assert all(":" in problem.split(" ")[0] for problem in caught.value.problems)
    # Nothing is half-loaded: the valid new topic in the same pack did not reach the database.
    async with database.session() as session:
        assert await service.topic_by_slug(session, "zz-new-topic") is None


def test_long_text_is_split_at_paragraphs_without_breaking_tags():
    paragraph = "<b>Шаг.</b> " + "Слово " * 120
    body = "\n\n".join([paragraph] * 12)
    parts = render_answer("Заголовок", body, [{"title": "EOIR", "url": "https://www.justice.gov/eoir"}],
                          date(2026, 7, 1), "ru")
    assert len(parts) > 1
    for part in parts:
        parse_telegram_html(part)
        assert plain_length(part) <= MESSAGE_LIMIT
    assert "justice.gov/eoir" in parts[-1] and "justice.gov/eoir" not in parts[0]
