"""Moderators edit the short version (for a detainee's tablet) and sources with Russian titles from /edit, end to end
through the local Bot API: the preview is the message people get, bad input is refused with the published text
kept, concurrent edits are refused, history names the change, rollback restores it, «still accurate» keeps both."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from bot.knowledge.models import Topic, TopicRevision, TopicText
from bot.knowledge.pack import read_pack
from bot.knowledge.render import human_date
from bot.moderation.models import Moderator
from bot.persistence import dumps, loads
from handlers.moderation.edit_fields import EditDraft
from tests.conftest import ADMIN_ID
from tests.helpers import Person
from tests.test_moderation_e2e import MODERATOR_ID, form_button, open_editor, press_form

PACK = {t.slug: t for t in read_pack()}
SHORT_EN = "Short version / for a detainee's tablet"
SHORT_RU = "Коротко"


@pytest.fixture
async def mods(make_person, database):
    async with database.session() as session:
        session.add(Moderator(moderator_id=MODERATOR_ID, added_by=ADMIN_ID, added_at=datetime.now(UTC)))
        await session.commit()
    return make_person("en", user_id=MODERATOR_ID), make_person("ru", user_id=ADMIN_ID)


def tail(title: str, locale: str, day: date | None = None) -> str:
    reviewed = human_date(day or date.today(), locale)
    return (f"\n\n— {title}. Проверено {reviewed}. Общая информация, не юридическая консультация." if locale == "ru"
            else f"\n\n— {title}. Reviewed on {reviewed}. General information, not legal advice.")


async def text_row(database, slug: str, locale: str) -> TopicText:
    async with database.session() as session:
        return await session.scalar(select(TopicText).join(Topic).where(Topic.slug == slug, TopicText.locale == locale))


async def edit_short(mod: Person, slug: str, locale: str, short: str, **kw):
    await open_editor(mod, slug, locale)
    await press_form(mod, ":a:short")
    return await mod.send(short, **kw)


async def test_a_moderator_edits_the_short_version_and_people_get_the_previewed_message(mods, make_person, database):
    mod, _ = mods
    title = PACK["acis"].texts["ru"].title
    await open_editor(mod, "acis", "ru")
    info = mod.last_with_buttons()
    assert f"Short version: {len(PACK['acis'].texts['ru'].short)} of 300 characters" in info.text
    prompt = await press_form(mod, ":a:short")
    # The published short version comes as a plain message to copy, then the prompt.
    assert [m.text for m in prompt[-2:-1]] == [PACK["acis"].texts["ru"].short]
    assert "at most 300 characters" in mod.screen.text
    new = "Дату суда проверяйте на acis.eoir.justice.gov (нужен A-номер). Линия +1 800 898 7180 из России не набирается."
    # Telegram marks links and phone numbers in plain text by itself: that is not formatting.
    entities = [{"type": "url", "offset": new.index("acis"), "length": len("acis.eoir.justice.gov")},
                {"type": "phone_number", "offset": new.index("+1"), "length": len("+1 800 898 7180")}]
    replies = await mod.send(new, entities=entities)
    [shown] = [m for m in replies if m.text.startswith("Дату суда")]
    assert shown.text == new + tail(title, "ru")
    assert shown.parse_mode is None and shown.entities == [] and not shown.buttons
    assert not any("<b>" in m.html and title in m.text for m in replies)  # only the short version is previewed
    await press_form(mod, ":p")
    assert "Published as revision 2" in mod.screen.text

    reader = make_person("ru")
    [answer] = await reader.send("/start acis")
    [short] = await reader.press(SHORT_RU, answer)
    assert short.text == shown.text  # exactly what the preview showed
    assert PACK["acis"].texts["ru"].body.splitlines()[0][3:20] in answer.html  # the full answer is unchanged
    row = await text_row(database, "acis", "ru")
    assert (row.short, row.revision, row.reviewed_on) == (new, 2, date.today())
    assert row.sources == PACK["acis"].texts["ru"].sources
    en_row = await text_row(database, "acis", "en")
    assert en_row.short == PACK["acis"].texts["en"].short and en_row.revision == 1


async def test_a_too_long_or_formatted_short_version_is_refused_and_the_published_one_kept(mods, make_person,
                                                                                           database):
    _, admin = mods  # a Russian-speaking moderator: the refusals come in Russian
    published = PACK["bond"].texts["ru"].short
    [refusal] = await edit_short(admin, "bond", "ru", "д" * 301)
    assert "301" in refusal.text and "300" in refusal.text and "не изменилась" in refusal.text
    [refusal] = await admin.send("Срочно проверьте дату", entities=[{"type": "bold", "offset": 0, "length": 6}])
    assert "обычным текстом" in refusal.text
    [refusal] = await admin.send("Срочно <b>проверьте</b> дату")
    assert "обычным текстом" in refusal.text
    [refusal] = await admin.send_sticker()
    assert "/cancel" in refusal.text
    reader = make_person("ru")
    [answer] = await reader.send("/start bond")
    [short] = await reader.press(SHORT_RU, answer)
    assert short.text.startswith(published + "\n\n— ")
    row = await text_row(database, "bond", "ru")
    assert row.short == published and row.revision == 1

    # The form is still open: a good short version is taken, previewed and published.
    good = "Судья не даёт залог тем, кого задержали на границе: просите у ICE пароль (parole) или подавайте хабеас."
    replies = await admin.send(good)
    assert any(m.text.startswith(good) for m in replies)
    await press_form(admin, ":p")
    assert (await text_row(database, "bond", "ru")).short == good


async def test_two_moderators_racing_on_a_short_version(mods, database):
    a, b = mods
    await edit_short(a, "parole", "en", "Ask ICE for parole in writing; keep a copy.")
    await edit_short(b, "parole", "en", "Ask your deportation officer for parole.")
    await press_form(a, ":p")
    changed = await press_form(b, ":p")
    assert any("кто-то другой опубликовал ревизию 2" in m.text for m in changed)  # b speaks Russian
    assert any(m.text == "Ask ICE for parole in writing; keep a copy." for m in changed)  # their short version
    row = await text_row(database, "parole", "en")
    assert row.short == "Ask ICE for parole in writing; keep a copy." and row.revision == 2  # nobody overwritten


async def test_a_source_with_a_russian_title_shows_in_the_russian_footer(mods, make_person, database):
    mod, _ = mods
    slug = "parole"
    await open_editor(mod, slug, "ru")
    listing = mod.last_with_buttons().text
    for source in PACK[slug].texts["ru"].sources:  # both titles, as the sources step takes them
        assert f"• {source['title']} | {source['title_ru']} | {source['url']}" in listing
    await press_form(mod, ":a:sources")
    [refusal] = await mod.send("INA 212(d)(5) | ст. 212(d)(5) | лишнее | https://www.law.cornell.edu/uscode/text/8/1182")
    assert "Line 1" in refusal.text and "Русское название" in refusal.text
    url = "https://www.law.cornell.edu/uscode/text/8/1182#d_5_A"
    replies = await mod.send(f"INA 212(d)(5)(A) — parole | Закон об иммиграции, ст. 212(d)(5)(A) — пароль | {url}\n"
                             "ICE detention FAQ | https://www.ice.gov/detain/detention-faqs")
    [preview] = [m for m in replies if "Закон об иммиграции" in m.text]
    assert f'<a href="{url}">Закон об иммиграции, ст. 212(d)(5)(A) — пароль</a>' in preview.html
    assert "INA 212(d)(5)(A) — parole" not in preview.text and "ICE detention FAQ" in preview.text
    await press_form(mod, ":p")

    [ru_answer] = await make_person("ru").send(f"/start {slug}")
    assert f'<a href="{url}">Закон об иммиграции, ст. 212(d)(5)(A) — пароль</a>' in ru_answer.html
    row = await text_row(database, slug, "ru")
    assert row.sources[0] == {"title": "INA 212(d)(5)(A) — parole",
                              "title_ru": "Закон об иммиграции, ст. 212(d)(5)(A) — пароль", "url": url}
    assert "title_ru" not in row.sources[1]
    async with database.session() as session:
        revision = await session.scalar(select(TopicRevision.sources).where(
            TopicRevision.topic_id == row.topic_id, TopicRevision.locale == "ru", TopicRevision.revision == 2))
    assert revision == row.sources  # history keeps the Russian title too

    # The listing copied and sent back as it is publishes the same sources.
    await open_editor(mod, slug, "ru")
    copied = "\n".join(line for line in mod.last_with_buttons().text.splitlines() if line.startswith("• "))
    await press_form(mod, ":a:sources")
    await mod.send(copied)
    await press_form(mod, ":p")
    assert (await text_row(database, slug, "ru")).sources == row.sources


async def test_history_names_the_short_version_change_and_rollback_restores_it(mods, make_person, database):
    mod, _ = mods
    older, newer = "Call a lawyer before you sign anything.", "Sign nothing you cannot read; ask for an interpreter."
    await edit_short(mod, "habeas", "en", older)
    await press_form(mod, ":p")
    await edit_short(mod, "habeas", "en", newer)
    await press_form(mod, ":p")
    [history] = await mod.send("/history habeas en")
    assert f"r3 · {date.today():%Y-%m-%d}" in history.text
    assert f"📋 Short version: «{older}» → «{newer[:40]}…»" in history.text  # r2 → r3, cut to 40 characters
    assert f"📋 Short version: «{PACK['habeas'].texts['en'].short[:40]}…» → «{older}»" in history.text  # r1 → r2
    [confirm] = await mod.send("/rollback habeas en 2")
    await mod.press("Restore revision 2", confirm)
    assert "Restored as revision 4" in mod.screen.text
    reader = make_person("en")
    [answer] = await reader.send("/start habeas")
    [short] = await reader.press(SHORT_EN, answer)
    assert short.text == older + tail(PACK["habeas"].texts["en"].title, "en")
    row = await text_row(database, "habeas", "en")
    assert row.short == older and row.revision == 4


async def test_still_accurate_keeps_the_short_version_and_sources(mods, make_person, database):
    mod, _ = mods
    before = await text_row(database, "acis", "ru")
    await open_editor(mod, "acis", "ru")
    await press_form(mod, ":a:ok")
    assert "Published as revision 2" in mod.screen.text
    after = await text_row(database, "acis", "ru")
    assert (after.short, after.sources, after.body, after.title) == (before.short, before.sources, before.body,
                                                                     before.title)
    assert after.reviewed_on == date.today() and any(s.get("title_ru") for s in after.sources)
    reader = make_person("ru")
    [answer] = await reader.send("/start acis")
    [short] = await reader.press(SHORT_RU, answer)
    assert short.text == before.short + tail(before.title, "ru")  # the same text, today's date


async def test_menus_have_no_short_version_step(mods):
    mod, _ = mods
    await open_editor(mod, "court", "en")
    actions = mod.last_with_buttons()
    assert not any("Short version" in label for label in actions.button_texts)
    forged = form_button(mod, ":a:text").replace(":a:text", ":a:short")
    changed = await mod.press_data(actions, forged, strict=False)
    assert "Only answers have a short version" in changed[-1].text


async def test_a_moderator_removed_at_the_short_version_step_publishes_nothing(mods, make_person, database):
    mod, admin = mods
    unknown = (await make_person("en").send("/frobnicate"))[-1].text
    await open_editor(mod, "acis", "en")
    short_button = form_button(mod, ":a:short")
    await admin.send(f"/mod_remove {MODERATOR_ID}")
    changed = await mod.press_data(mod.last_with_buttons(), short_button, strict=False)
    assert "Send the new short version" not in changed[-1].text

    async with database.session() as session:  # back on the team, into the step, then removed again
        session.add(Moderator(moderator_id=MODERATOR_ID, added_by=ADMIN_ID, added_at=datetime.now(UTC)))
        await session.commit()
    await edit_short(mod, "acis", "en", "x" * 301)  # refused: still at the short version step
    await admin.send(f"/mod_remove {MODERATOR_ID}")
    [reply] = await mod.send("Check acis.eoir.justice.gov.")
    assert reply.text == unknown
    assert (await text_row(database, "acis", "en")).short == PACK["acis"].texts["en"].short


def test_the_edit_draft_with_a_short_version_and_russian_titles_survives_a_restart():
    draft = EditDraft(form_id="0123abcd", slug="acis", locale="ru", expected_revision=3, short="Коротко: «да».",
                      sources=[{"title": "EOIR", "title_ru": "EOIR по-русски", "url": "https://e.org/a"}],
                      fields=["sources", "short"])
    assert loads(dumps({"edit_draft": draft})) == {"edit_draft": draft}
    # A draft saved before this change (no "short" field) still loads.
    old = dumps({"edit_draft": draft}).replace(',"short":"Коротко: «да»."', "")
    assert loads(old)["edit_draft"].short is None


async def test_a_new_answer_is_asked_for_its_short_version_and_a_bad_title_is_asked_again(mods, make_person,
                                                                                          database):
    mod, _ = mods
    await mod.send("/topic_add court video-hearing answer")
    await mod.send("/edit video-hearing")
    await mod.press_data(mod.screen, form_button(mod, ":l:en"))
    await mod.send("Hearing by video " + "x" * 80)  # over the 64-character title limit
    await mod.send("The judge may hold the hearing by video.")
    assert "Send the new short version" in mod.screen.text
    [refusal] = await mod.send("y" * 400)
    assert "400 characters" in refusal.text
    replies = await mod.send("Ask the court whether your hearing is by video: acis.eoir.justice.gov.")
    assert "The title must be one line" in replies[-1].text and "unchanged" in replies[-1].text
    replies = await mod.send("Hearing by video")  # the title step again, then the preview of both
    assert any(m.text.startswith("Hearing by video\n\nThe judge may hold") for m in replies)
    assert any(m.text.startswith("Ask the court whether") and m.parse_mode is None for m in replies)
    await press_form(mod, ":p")
    row = await text_row(database, "video-hearing", "en")
    assert (row.title, row.short) == ("Hearing by video",
                                      "Ask the court whether your hearing is by video: acis.eoir.justice.gov.")
