"""Short versions (for a detainee's tablet) and Russian source titles: pack format, storage, exchange,
moderation, and the button a person presses, end to end through the local Bot API."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import select

from bot.db import Database
from bot.knowledge import service
from bot.knowledge.exchange import export_pack, import_pack
from bot.knowledge.models import Topic, TopicRevision, TopicText
from bot.knowledge.pack import PACK_DIR, PackError, load_pack, read_pack
from bot.knowledge.render import human_date
from bot.moderation import service as moderation
from tests.helpers import Person

PACK = {t.slug: t for t in read_pack()}
SLUG = "acis"  # an answer with a short version in both languages


def expected_short(slug: str, locale: str) -> str:
    text = PACK[slug].texts[locale]
    reviewed = human_date(text.reviewed_on, locale)
    tail = (f"Проверено {reviewed}. Общая информация, не юридическая консультация." if locale == "ru"
            else f"Reviewed on {reviewed}. General information, not legal advice.")
    return f"{text.short}\n\n— {text.title}. {tail}"


@pytest.mark.parametrize(("language", "label"), [("ru", "Коротко"), ("en", "Short version")])
async def test_the_short_version_button_sends_a_plain_message_to_forward(make_person, language, label):
    person: Person = make_person(language)
    [answer] = await person.send(f"/start {SLUG}")
    assert PACK[SLUG].texts[language].title in answer.text
    button = answer.button(label)
    assert button["callback_data"] == f"ts:{SLUG}" and len(button["callback_data"].encode()) <= 64
    edits_before = answer.edits

    [short] = await person.press(label, answer)

    assert short.message_id != answer.message_id  # a new message; the answer stays on screen as it was
    assert answer.edits == edits_before and not answer.deleted
    assert short.text == expected_short(SLUG, language)
    assert short.parse_mode is None and short.entities == [] and not short.buttons  # plain: forward or dictate
    assert len(PACK[SLUG].texts[language].short) <= 300
    assert person.last_answer() is not None  # the press was answered (no spinner)


async def test_pressing_the_short_version_twice_sends_it_twice(ru: Person):
    [answer] = await ru.send(f"/start {SLUG}")
    first = await ru.press("Коротко", answer)
    second = await ru.press("Коротко", answer)
    assert [m.text for m in first] == [m.text for m in second] == [expected_short(SLUG, "ru")]


@pytest.mark.parametrize("data", ["ts:no-such-topic", "ts:court", "ts:start"])
async def test_a_stale_or_forged_short_button_shows_the_current_menu(ru: Person, data):
    [menu] = await ru.send("/start")
    changed = await ru.press_data(menu, data, strict=False)
    assert "меню обновилось" in changed[-1].text.lower() or "меню было обновлено" in changed[-1].text.lower()
    assert "Где вы сейчас?" in changed[-1].text
    assert ru.last_answer() is not None


@pytest.mark.parametrize("data", ["ts:" + "a" * 41, "ts:ACIS", "ts:acis;drop", "ts:"])
async def test_malformed_short_button_data_is_not_taken_for_a_topic(ru: Person, data):
    [menu] = await ru.send("/start")
    changed = await ru.press_data(menu, data, strict=False)
    assert all(not m.text.startswith(PACK[SLUG].texts["ru"].short) for m in changed)


async def test_the_russian_footer_names_sources_in_russian(ru: Person, en: Person):
    [answer_ru] = await ru.send(f"/start {SLUG}")
    [answer_en] = await en.send(f"/start {SLUG}")
    for source in PACK[SLUG].texts["ru"].sources:
        assert source["title_ru"] in answer_ru.text and source["title"] not in answer_ru.text
        assert source["title"] in answer_en.text
        assert f'href="{source["url"]}"' in answer_ru.html


async def test_a_moderator_edit_keeps_the_short_version_and_removing_it_hides_the_button(ru: Person, database):
    async with database.session() as session:
        topic = await service.topic_by_slug(session, SLUG)
        text = await moderation.current_text(session, topic, "ru")
        edited = await moderation.publish(session, topic, "ru", moderation.Change(body="Новый текст."),
                                          author_id=1, expected_revision=text.revision)
        assert edited.short == PACK[SLUG].texts["ru"].short
        revision = await session.scalar(select(TopicRevision).where(
            TopicRevision.topic_id == topic.id, TopicRevision.locale == "ru",
            TopicRevision.revision == edited.revision))
        assert revision.short == PACK[SLUG].texts["ru"].short  # history carries the short version
    [answer] = await ru.send(f"/start {SLUG}")
    assert "Новый текст." in answer.text and any("Коротко" in label for label in answer.button_texts)

    async with database.session() as session:
        topic = await service.topic_by_slug(session, SLUG)
        cleared = await moderation.publish(session, topic, "ru", moderation.Change(short=""), author_id=1,
                                           expected_revision=edited.revision)
        assert cleared.short is None
    [answer] = await ru.send(f"/start {SLUG}")
    assert not any("Коротко" in label for label in answer.button_texts)

    async with database.session() as session:  # a rollback brings back the revision's short version
        topic = await service.topic_by_slug(session, SLUG)
        restored = await moderation.rollback(session, topic, "ru", edited.revision, author_id=1,
                                             expected_revision=cleared.revision)
        assert restored.short == PACK[SLUG].texts["ru"].short


async def test_a_short_version_over_the_limit_is_refused_on_publish(database):
    async with database.session() as session:
        topic = await service.topic_by_slug(session, SLUG)
        text = await moderation.current_text(session, topic, "en")
        with pytest.raises(moderation.Invalid) as caught:
            await moderation.publish(session, topic, "en", moderation.Change(short="x" * 301), author_id=1,
                                     expected_revision=text.revision)
    assert caught.value.problems == ["bad_short"]


async def test_the_pack_loads_short_versions_and_russian_source_titles(database: Database):
    async with database.session() as session:
        rows = (await session.scalars(select(TopicText).join(Topic).where(Topic.slug == SLUG))).all()
    by_locale = {row.locale: row for row in rows}
    for locale in ("ru", "en"):
        assert by_locale[locale].short == PACK[SLUG].texts[locale].short
        assert by_locale[locale].sources == PACK[SLUG].texts[locale].sources
    assert all(source.get("title_ru") for source in by_locale["ru"].sources)


async def test_a_changed_short_version_is_a_new_revision_and_the_digest_sees_it(database: Database, tmp_path):
    pack_dir = tmp_path / "pack"
    shutil.copytree(PACK_DIR, pack_dir)
    path = pack_dir / f"{SLUG}.md"
    old = PACK[SLUG].texts["en"].short
    path.write_text(path.read_text(encoding="utf-8").replace(old, "Check acis.eoir.justice.gov.", 1),
                    encoding="utf-8")
    async with database.session() as session:
        report = await load_pack(session, read_pack(pack_dir))
        text = await session.scalar(select(TopicText).join(Topic).where(Topic.slug == SLUG,
                                                                        TopicText.locale == "en"))
    assert report.updated_texts == 1
    assert text.short == "Check acis.eoir.justice.gov." and text.revision == 2


async def test_export_and_import_carry_short_versions_and_russian_titles(database: Database, tmp_path):
    async with database.session() as session:
        await export_pack(session, tmp_path)
    written = (tmp_path / f"{SLUG}.md").read_text(encoding="utf-8")
    assert "short:" in written and "title_ru:" in written
    back = {t.slug: t for t in read_pack(tmp_path)}
    assert back[SLUG].texts["ru"].short == PACK[SLUG].texts["ru"].short
    assert back[SLUG].texts["ru"].sources == PACK[SLUG].texts["ru"].sources

    path = tmp_path / f"{SLUG}.md"
    path.write_text(written.replace(PACK[SLUG].texts["ru"].short, "Смотрите acis.eoir.justice.gov.", 1),
                    encoding="utf-8")
    async with database.session() as session:
        report = await import_pack(session, read_pack(tmp_path))
        text = await session.scalar(select(TopicText).join(Topic).where(Topic.slug == SLUG,
                                                                        TopicText.locale == "ru"))
        revision = await session.scalar(select(TopicRevision.short).where(
            TopicRevision.topic_id == text.topic_id, TopicRevision.locale == "ru",
            TopicRevision.revision == text.revision))
    assert report.updated_texts == 1
    assert text.short == revision == "Смотрите acis.eoir.justice.gov."


QUESTIONS_BLOCK = "questions:\n  ru: [\"когда мой суд\"]\n  en: [\"when is my court date\"]\n"


@pytest.mark.parametrize(("mutation", "expected"), [
    (lambda s, short: s.replace(short, "x" * 301, 1), "en.short is 301 characters; at most 300"),
    (lambda s, short: s.replace(short, "<b>bold</b>", 1), "en.short must be plain text"),
    (lambda s, short: s.replace("    title_ru:", "    title_ru: 5\n    old_title_ru:", 1), "title_ru must be"),
    (lambda s, short: s.replace("    title_ru:", "    titel_ru:", 1), "unknown source keys: titel_ru"),
])
def test_bad_short_versions_and_source_titles_are_refused_with_file_and_line(tmp_path, mutation, expected):
    pack_dir = tmp_path / "pack"
    shutil.copytree(PACK_DIR, pack_dir)
    path = pack_dir / f"{SLUG}.md"
    path.write_text(mutation(path.read_text(encoding="utf-8"), PACK[SLUG].texts["en"].short), encoding="utf-8")
    with pytest.raises(PackError) as caught:
        read_pack(pack_dir)
    assert any(problem.startswith(f"{SLUG}.md:") and expected in problem for problem in caught.value.problems), \
        caught.value.problems


def test_a_questions_block_and_a_missing_short_version_still_load(tmp_path):
    pack_dir = tmp_path / "pack"
    shutil.copytree(PACK_DIR, pack_dir)
    path = pack_dir / f"{SLUG}.md"
    raw = path.read_text(encoding="utf-8").replace(f"slug: {SLUG}\n", f"slug: {SLUG}\n{QUESTIONS_BLOCK}", 1)
    raw = "\n".join(line for line in raw.splitlines() if not line.startswith("  short:")) + "\n"
    path.write_text(raw, encoding="utf-8")
    topic = {t.slug: t for t in read_pack(pack_dir)}[SLUG]
    assert topic.texts["ru"].short is None and topic.texts["en"].short is None
    assert topic.texts["ru"].body == PACK[SLUG].texts["ru"].body
