"""Moderation end to end: roles and refusals, safe edits, races, history, rollback, stale, broadcasts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select, update

from bot.knowledge.models import Topic, TopicRevision, TopicText
from bot.models import User
from bot.moderation import service as moderation
from bot.moderation.models import AuditEntry, Delivery, Moderator
from tests.conftest import ADMIN_ID
from tests.helpers import Person, eventually

MODERATOR_ID = 500_000_002

COMMANDS = {
    # command: who may use it
    "/mod": "moderator", "/edit": "moderator", "/edit acis": "moderator", "/history acis": "moderator",
    "/rollback acis ru 1": "moderator", "/stale": "moderator", "/broadcast": "moderator",
    "/topic_hide no-such": "moderator", "/topic_show no-such": "moderator", "/topic_move a b": "moderator",
    "/topic_add start x": "moderator",
    "/audit": "admin", "/mods": "admin", "/mod_add": "admin", "/mod_remove 5": "admin",
}
BUTTONS = ["mr:no", "ma:123", "me:0123abcd:p", "mb:0123abcd:go"]


@pytest.fixture
async def team(make_person, database):
    async with database.session() as session:
        session.add(Moderator(moderator_id=MODERATOR_ID, added_by=ADMIN_ID, added_at=datetime.now(UTC)))
        await session.commit()
    return {"user": make_person("en"), "moderator": make_person("en", user_id=MODERATOR_ID),
            "admin": make_person("en", user_id=ADMIN_ID)}


async def test_authorization_matrix(team, database):
    unknown = (await team["user"].send("/frobnicate"))[-1].text
    stale = (await team["user"].send("/start"))[-1]
    stale_reply = (await team["user"].press_data(stale, "t:no-such-topic", strict=False))[-1].text
    for command, needed in COMMANDS.items():
        for who, person in team.items():
            await person.send("/cancel")
            replies = await person.send(command)
            text = replies[-1].text if replies else ""
            allowed = who == "admin" or (who == "moderator" and needed == "moderator")
            if allowed:
                assert text != unknown, f"{who} {command}"
            else:
                assert text == unknown, f"{who} {command}: {text!r}"
    for data in BUTTONS:
        person = team["user"]
        changed = await person.press_data(person.last_with_buttons(), data, strict=False)
        assert changed[-1].text == stale_reply, data
    async with database.session() as session:
        refused = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "refused"))).all()
    assert {e.actor_id for e in refused} == {team["user"].user_id, MODERATOR_ID}
    assert all(e.target and len(e.target) <= 32 for e in refused)
    # The menu of ordinary people lists no moderation command.
    assert all(c not in ("edit", "audit", "broadcast") for c in [x["command"] for x in team["user"].api.commands("en")])


async def open_editor(person: Person, slug: str, locale: str) -> None:
    await person.send(f"/edit {slug}")
    data = next(b["callback_data"] for row in person.screen.buttons for b in row
                if b["callback_data"].endswith(f":l:{locale}"))
    await person.press_data(person.screen, data)


def form_button(person: Person, suffix: str) -> str:
    message = person.last_with_buttons()
    return next(b["callback_data"] for row in message.buttons for b in row if b["callback_data"].endswith(suffix))


async def press_form(person: Person, suffix: str):
    message = person.last_with_buttons()
    return await person.press_data(message, form_button(person, suffix))


async def test_edit_with_telegram_formatting_preview_publish_and_users_see_it(team, make_person, database):
    mod = team["moderator"]
    await open_editor(mod, "acis", "en")
    current_copy = mod.api.bot_messages(mod.user_id)[-2]
    assert "ACIS" in current_copy.text  # the current text, sent to copy
    await press_form(mod, ":a:text")
    text = "Check ACIS before every hearing. Call 1-800-898-7180 or open the portal."
    entities = [{"type": "bold", "offset": 0, "length": 32},
                {"type": "text_link", "offset": text.index("the portal"), "length": 10,
                 "url": "https://acis.eoir.justice.gov"}]
    replies = await mod.send(text, entities=entities)
    preview = [m for m in replies if "Check ACIS" in m.text]
    assert preview and "<b>Check ACIS before every hearing.</b>" in preview[0].html
    assert '<a href="https://acis.eoir.justice.gov">the portal</a>' in preview[0].html
    assert "Reviewed on" in preview[0].text and "not legal advice" in preview[0].text
    await press_form(mod, ":p")
    assert "Published as revision 2" in mod.screen.text
    reader = make_person("en")
    [answer] = await reader.send("/start acis")
    assert "<b>Check ACIS before every hearing.</b>" in answer.html
    async with database.session() as session:
        rev = await session.scalar(select(TopicRevision).join(Topic, Topic.id == TopicRevision.topic_id)
                                   .where(Topic.slug == "acis", TopicRevision.locale == "en",
                                          TopicRevision.revision == 2))
        assert rev.author_id == MODERATOR_ID and rev.origin == "moderator"
        assert await session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "publish", AuditEntry.target == "acis/en r2")) == 1


async def test_an_invalid_edit_is_refused_and_the_old_text_kept(team, make_person):
    mod = team["moderator"]
    reader = make_person("en")
    [before] = await reader.send("/start bond")
    await open_editor(mod, "bond", "en")
    await press_form(mod, ":a:text")
    entities = [{"type": "text_link", "offset": 0, "length": 5, "url": "javascript:alert(1)"}]
    [reply] = await mod.send("Click here for help", entities=entities)
    assert "Only http(s) and tg links" in reply.text and "unchanged" in reply.text
    [after] = await reader.send("/start bond")
    assert after.html == before.html


async def test_injection_is_escaped_or_refused(team, make_person, database):
    mod = team["moderator"]
    await open_editor(mod, "parole", "en")
    await press_form(mod, ":a:text")
    replies = await mod.send("<script>alert(1)</script> <b>unbalanced & <i>tags")
    assert any("&lt;script&gt;" in m.html for m in replies)  # shown as text, never as markup
    await press_form(mod, ":p")
    reader = make_person("en")
    [answer] = await reader.send("/start parole")
    assert "<script>alert(1)</script>" in answer.text and "&lt;script&gt;" in answer.html
    async with database.session() as session:
        topic = await session.scalar(select(Topic).where(Topic.slug == "parole"))
        with pytest.raises(moderation.Invalid) as caught:
            await moderation.publish(session, topic, "en", moderation.Change(body="x" * 10_000),
                                     author_id=MODERATOR_ID, expected_revision=2)
        assert caught.value.problems == ["too_long"]
        with pytest.raises(moderation.Invalid):
            await moderation.publish(session, topic, "en", moderation.Change(body="<b>open", title=""),
                                     author_id=MODERATOR_ID, expected_revision=2)


async def test_two_moderators_racing_on_one_topic(team, make_person, database):
    a, b = team["moderator"], team["admin"]
    await open_editor(a, "medical", "ru")
    await open_editor(b, "medical", "ru")
    await press_form(a, ":a:text")
    await a.send("Версия модератора А.")
    await press_form(b, ":a:text")
    await b.send("Версия модератора Б.")
    await press_form(a, ":p")
    assert "Published as revision 2" in a.screen.text
    changed = await press_form(b, ":p")
    assert any("Someone else published revision 2" in m.text for m in changed)
    assert any("Версия модератора А." in m.text for m in changed)  # their version is shown
    async with database.session() as session:
        body = await session.scalar(select(TopicText.body).join(Topic).where(Topic.slug == "medical",
                                                                            TopicText.locale == "ru"))
    assert body == "Версия модератора А."  # nobody was overwritten
    await press_form(b, ":again")
    await press_form(b, ":a:text")
    await b.send("Версия Б поверх А.")
    await press_form(b, ":p")
    assert "Published as revision 3" in b.screen.text


async def test_history_and_rollback(team, make_person):
    mod = team["moderator"]
    await open_editor(mod, "habeas", "en")
    await press_form(mod, ":a:title")
    await mod.send("Habeas corpus, new title")
    await press_form(mod, ":p")
    [history] = await mod.send("/history habeas en")
    assert "r2" in history.text and "r1" in history.text and "Habeas corpus, new title" in history.text
    [confirm] = await mod.send("/rollback habeas en 1")
    await mod.press("Restore revision 1", confirm)
    assert "Restored as revision 3" in mod.screen.text
    reader = make_person("en")
    [answer] = await reader.send("/start habeas")
    assert "Habeas corpus, new title" not in answer.text


async def test_still_accurate_stamps_today_and_stale_lists_old_texts(team, database):
    mod = team["moderator"]
    async with database.session() as session:  # the pack's own dates change as texts are reviewed: age this one
        topic_id = select(Topic.id).where(Topic.slug == "ovd-info").scalar_subquery()
        await session.execute(update(TopicText).where(TopicText.topic_id == topic_id)
                              .values(reviewed_on=date.today() - timedelta(days=200)))
        await session.commit()
        stale_before = await moderation.stale(session, 30)
    assert ("ovd-info", "ru") in {(slug, locale) for slug, locale, _, _ in stale_before}
    [listing] = await mod.send("/stale 30")
    assert f"{len(stale_before)} texts not reviewed" in listing.text
    await open_editor(mod, "ovd-info", "ru")
    await press_form(mod, ":a:ok")
    async with database.session() as session:
        text = await session.scalar(select(TopicText).join(Topic).where(Topic.slug == "ovd-info",
                                                                        TopicText.locale == "ru"))
    assert text.reviewed_on == date.today() and text.revision == 2
    [listing] = await mod.send("/stale 30")
    assert f"{len(stale_before) - 1} texts not reviewed" in listing.text
    async with database.session() as session:
        stale_after = {(slug, locale) for slug, locale, _, _ in await moderation.stale(session, 30)}
    assert ("ovd-info", "ru") not in stale_after and ("ovd-info", "en") in stale_after


async def test_admin_adds_a_moderator_by_forward_and_removes_by_id(team, make_person, database):
    admin = team["admin"]
    newcomer = make_person("en")
    await admin._handled(lambda: admin.api.user_forwards(admin.user_id, newcomer.user_id, "hello",
                                                         language_code="en"))
    await admin.press("Yes")
    assert "is now a moderator" in admin.screen.text
    assert (await newcomer.send("/stale"))[-1].text != (await newcomer.send("/frobnicate"))[-1].text
    menu = [c["command"] for c in admin.api.commands("en", scope=f"chat:{newcomer.user_id}")]
    assert "edit" in menu and "audit" not in menu  # the new moderator's own menu
    await admin.send(f"/mod_remove {newcomer.user_id}")
    assert admin.api.commands("en", scope=f"chat:{newcomer.user_id}") == []
    async with database.session() as session:
        assert await session.get(Moderator, newcomer.user_id) is None
        actions = (await session.scalars(select(AuditEntry.action).where(AuditEntry.actor_id == ADMIN_ID))).all()
    assert {"mod_add", "mod_remove"} <= set(actions)
    [audit] = await admin.send("/audit")
    assert "mod_remove" in audit.text


async def test_topics_can_be_added_hidden_written_shown_and_moved(team, make_person):
    mod = team["moderator"]
    await mod.send("/topic_add court hearing-by-video answer")
    assert "Created hearing-by-video (hidden)" in mod.screen.text
    [refused] = await mod.send("/topic_show hearing-by-video")
    assert "no text in that language" in refused.text
    for locale, title, body in (("ru", "Заседание по видео", "Текст."), ("en", "Hearing by video", "Text.")):
        await mod.send("/edit hearing-by-video")
        await mod.press_data(mod.screen, form_button(mod, f":l:{locale}"))
        await mod.send(title)
        await mod.send(body)
        await mod.send(f"{title}: {body}")  # a new answer is asked for its short version too
        await press_form(mod, ":p")
    await mod.send("/topic_show hearing-by-video")
    reader = make_person("en")
    [answer] = await reader.send("/start hearing-by-video")
    assert "Hearing by video" in answer.text
    [short] = await reader.press("Short version", answer)
    assert short.text.startswith("Hearing by video: Text.")
    await mod.send("/topic_move hearing-by-video detention")
    [menu] = await reader.send("/start detention")
    assert "Hearing by video" in menu.button_texts


async def test_broadcast_reaches_only_opted_in_people_and_counts_blocked(team, api, app, database):
    from bot.outbox import Pacer

    # The real pace (25/s) would make this test take 40 s; bench/ measures the pace itself.
    app.outbox.pacer = Pacer(500)
    now = datetime.now(UTC)
    opted = list(range(600_000_000, 600_001_000))
    not_opted = list(range(610_000_000, 610_000_050))
    async with database.session() as session:
        await session.execute(insert(User), [
            {"id": i, "locale": "ru" if i % 2 else "en", "created_at": now, "last_seen_at": now, "blocked": False,
             "news": i in set(opted)} for i in opted + not_opted])
        await session.commit()
    api.register_chats(opted + not_opted)
    blocked = opted[:25]
    for user_id in blocked:
        api.block_user(user_id)
    mod = team["moderator"]
    await mod.send("/broadcast")
    await mod.send("Важно: <i>правило изменилось</i>.")
    await mod.send("Important: the rule changed.")
    assert "1000" in mod.last_with_buttons().text or any("1000" in t for t in mod.last_with_buttons().button_texts)
    await press_form_any(mod, ":go")
    await eventually(lambda: "Broadcast finished" in progress_text(api, mod.user_id), limit=120)
    final = progress_text(api, mod.user_id)
    assert "Sent: 975 of 1000" in final and "Blocked the bot: 25" in final and "Failed: 0" in final
    assert all(api.bot_messages(u) == [] for u in not_opted)
    ru_user = next(u for u in opted[25:] if u % 2)
    assert "правило изменилось" in api.bot_messages(ru_user)[-1].text
    async with database.session() as session:
        assert await session.scalar(select(func.count()).select_from(User).where(User.blocked.is_(True))) == 25
        assert await session.scalar(select(func.count()).select_from(Delivery)) == 1000


def progress_text(api, chat_id: int) -> str:
    texts = [m.text for m in api.bot_messages(chat_id) if "Broadcast" in m.text]
    return texts[-1] if texts else ""


async def press_form_any(person: Person, suffix: str):
    return await person.press_data(person.last_with_buttons(), form_button(person, suffix))


async def test_news_opt_in(make_person, database):
    person = make_person("ru")
    await person.send("/news")
    await person.press("✅")
    async with database.session() as session:
        user = await session.get(User, person.user_id)
    assert user.news is True and user.locale == "ru"
    await person.send("/news")
    await person.press_data(person.screen, "news:off")
    async with database.session() as session:
        await session.execute(update(User).where(User.id == person.user_id).values(news=False))


async def test_a_moderator_removed_mid_form_cannot_publish_or_broadcast(team, database):
    """The role is checked at every step that changes something, not only where a form starts."""
    mod, admin = team["moderator"], team["admin"]
    unknown = (await team["user"].send("/frobnicate"))[-1].text
    await open_editor(mod, "acis", "en")
    await press_form(mod, ":a:text")
    await mod.send("Replaced by someone who is no longer a moderator.")
    publish = form_button(mod, ":p")  # the preview's "Publish" button, from the open form
    await mod.send("/broadcast")
    await mod.send("Новость.")
    await mod.send("News.")
    send = form_button(mod, ":go")
    await admin.send(f"/mod_remove {MODERATOR_ID}")

    after_send = await mod.press_data(mod.last_with_buttons(), send, strict=False)
    assert "out of date" in after_send[-1].text.lower() or "updated" in after_send[-1].text.lower()
    after_publish = await mod.press_data(mod.last_with_buttons(), publish, strict=False)
    assert "Sending" not in after_publish[-1].text and "Published" not in after_publish[-1].text
    # Typing into a form that was open is the ordinary "unknown command" for a plain user.
    await mod.send("/edit acis")
    assert mod.screen.text == unknown
    async with database.session() as session:
        texts = (await session.scalars(select(TopicText.body).join(Topic).where(Topic.slug == "acis"))).all()
        assert not any("no longer a moderator" in body for body in texts)
        assert await session.scalar(select(func.count()).select_from(Delivery)) == 0
