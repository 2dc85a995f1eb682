"""The walk-throughs through the local Bot API, as a person would press them, in both languages."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from sqlalchemy import select

from bot.knowledge.models import Topic
from bot.knowledge.pack import read_pack
from tests.helpers import Person

PACK = {t.slug: t for t in read_pack()}
ERROR_TEXTS = ("что-то пошло не так", "something went wrong")


@pytest.mark.parametrize("language", ["ru", "en"])
async def test_crawler_presses_every_topic_button_and_finds_no_dead_end(make_person, api, language):
    person: Person = make_person(language)
    [first] = await person.send("/start")
    queue = [b["callback_data"] for row in first.buttons for b in row if b.get("callback_data", "").startswith(("t:", "az:"))]
    seen: set[str] = set(queue)
    visited_topics: set[str] = set()
    while queue:
        data = queue.pop(0)
        message = person.last_with_buttons()
        changed = await person._handled(
            lambda d=data, m=message: api.user_presses(person.user_id, m.message_id, d, strict=False,
                                                       language_code=language))
        answer = person.last_answer()
        assert answer is not None, f"{data}: the button press was never answered (spinner)"
        assert changed, f"{data}: nothing happened"
        screen = changed[-1]
        assert not any(e in screen.text.lower() for e in ERROR_TEXTS), f"{data}: {screen.text[:200]}"
        assert screen.buttons, f"{data}: dead end, no button to go on"
        if data.startswith("t:"):
            slug = data[2:]
            visited_topics.add(slug)
            title = PACK[slug].texts[language].title
            if slug != "start":
                assert title in screen.text, f"{data}: shows {screen.text[:80]!r}"
            if PACK[slug].kind == "answer":
                labels = " ".join(screen.button_texts)
                assert ("Назад" in labels and "Поделиться" in labels) if language == "ru" else \
                       ("Back" in labels and "Share" in labels)
                share = next(b["url"] for row in screen.buttons for b in row if "url" in b)
                assert unquote(share).endswith(f"https://t.me/asylum_navigator_test_bot?start={slug}")
        for row in screen.buttons:
            for b in row:
                nxt = b.get("callback_data", "")
                if nxt.startswith(("t:", "az:")) and nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)
    assert visited_topics == set(PACK), f"never reached: {sorted(set(PACK) - visited_topics)}"


def data_of(message, data: str) -> str:
    """The callback data of a button that really is on this screen (a person can only press what they see)."""
    assert data in [b.get("callback_data") for row in message.buttons for b in row], message.button_texts
    return data


@pytest.mark.parametrize(("language", "question", "answer_words"), [
    ("ru", "Какое", "более вероятно, чем нет"),
    ("en", "Which", "more likely than not"),
])
async def test_interview_walkthrough_branches_to_the_right_answer(make_person, language, question, answer_words):
    person: Person = make_person(language)
    [menu] = await person.send("/start")
    [screen] = await person.press_data(menu, data_of(menu, "t:interviews"))
    assert question in screen.text
    [screen] = await person.press_data(screen, data_of(screen, "t:cat-interview"))
    assert answer_words in screen.text
    assert PACK["cat-interview"].texts[language].title in screen.text


@pytest.mark.parametrize("slug", ["find-person", "appeal-bia", "layover-third-country", "ovd-info"])
async def test_deep_link_opens_the_topic(ru: Person, en: Person, slug):
    [message] = await ru.send(f"/start {slug}")
    assert PACK[slug].texts["ru"].title in message.text
    [message] = await en.send(f"/start {slug}")
    assert PACK[slug].texts["en"].title in message.text


async def test_unknown_deep_link_falls_back_to_the_main_menu(en: Person):
    [message] = await en.send("/start no-such-topic")
    assert "Where are you now?" in message.text


async def test_a_button_to_a_removed_topic_says_the_menu_was_updated(ru: Person, database):
    await ru.send("/start detention")
    screen = ru.screen
    from bot.moderation import service as moderation

    async with database.session() as session:  # a moderator hides the topic while the old menu is on screen
        topic = await session.scalar(select(Topic).where(Topic.slug == "medical"))
        await moderation.set_hidden(session, topic, True, author_id=1)
    changed = await ru.press_data(screen, data_of(screen, "t:medical"))
    assert "меню обновилось" in changed[-1].text.lower() or "меню было обновлено" in changed[-1].text.lower()
    assert "Где вы сейчас?" in changed[-1].text


async def test_navigation_survives_a_restart(settings, api):
    from tests.conftest import start_app, stop_app
    from tests.helpers import Person

    first = await start_app(settings)
    person = Person(api, first, language_code="en")
    await person.send("/start")
    old_screen = person.screen
    await stop_app(first)
    second = await start_app(settings)
    try:
        person.app = second
        [screen] = await person.press("Mexico", old_screen)
        assert "CBP One" in " ".join(screen.button_texts)
    finally:
        await stop_app(second)


async def test_free_text_question_finds_reviewed_answers(ru: Person, en: Person):
    # The bands are tested in test_search_e2e.py; here: a question reaches a reviewed answer, nonsense does not.
    messages = await ru.send("как найти человека в детеншене")
    assert messages[0].text.startswith(PACK["find-person"].texts["ru"].title)
    messages = await en.send("appeal deadline BIA")
    shown = " ".join([messages[0].text, *messages[-1].button_texts])
    assert "appeal" in shown.lower()
    [message] = await en.send("x" * 5000)
    assert "I don't have a reviewed answer" in message.text


# A judge's review of a negative fear interview is not a court decision: there is no BIA appeal after it.
BIA_APPEAL_TOPICS = {"appeal-bia", "appeal-checklist", "appeal-or-not", "petition-review"}
NO_BIA_APPEAL = {"ru": "апелляции в BIA нет", "en": "there is no BIA appeal"}


def topic_targets(message) -> set[str]:
    return {b["callback_data"][2:] for row in message.buttons for b in row
            if b.get("callback_data", "").startswith("t:")}


def assert_fear_review_answer(screen, language: str) -> None:
    assert PACK["ij-review-upheld"].texts[language].title in screen.text
    assert NO_BIA_APPEAL[language] in screen.text
    assert not topic_targets(screen) & BIA_APPEAL_TOPICS, screen.button_texts
    assert not any(b.get("callback_data", "").startswith("rem:") for row in screen.buttons for b in row), \
        "a judge's fear review must not offer the BIA appeal reminder"


@pytest.mark.parametrize("language", ["ru", "en"])
async def test_who_denied_you_sends_a_judges_fear_review_away_from_the_bia_appeal(make_person, language):
    person: Person = make_person(language)
    [menu] = await person.send("/start")
    [question] = await person.press_data(menu, data_of(menu, "t:denied"))
    assert PACK["denied"].texts[language].title in question.text
    # The question names both kinds of judge, and each is its own button.
    labels = question.button_texts
    assert PACK["ij-review-upheld"].texts[language].title in labels
    assert PACK["appeal-bia"].texts[language].title in labels
    assert ("не суд по делу" if language == "ru" else "not a trial of your case") in question.text

    [answer] = await person.press_data(question, data_of(question, "t:ij-review-upheld"))
    assert_fear_review_answer(answer, language)
    # The short version a relative forwards to a detainee's tablet says the same.
    [short] = await person.press_data(answer, data_of(answer, "ts:ij-review-upheld"))
    assert NO_BIA_APPEAL[language] in short.text and "justice.gov/eoir/list-pro-bono" in short.text

    # Every button on that answer (related topics, back) leads somewhere other than the BIA appeal.
    targets = sorted(topic_targets(answer))
    assert {"third-country-fear", "denied"} <= set(targets)
    for target in targets:
        [answer] = await person.send("/start ij-review-upheld")  # the screen is edited in place: reopen it
        [screen] = await person.press_data(answer, data_of(answer, f"t:{target}"))
        if target != "start":  # the main menu shows its question, not its title
            assert PACK[target].texts[language].title in screen.text
        assert not (PACK[target].kind == "answer" and target in BIA_APPEAL_TOPICS)


@pytest.mark.parametrize("language", ["ru", "en"])
async def test_a_denied_fear_interview_leads_to_the_judges_review_not_the_bia_appeal(make_person, language):
    person: Person = make_person(language)
    [menu] = await person.send("/start")
    [question] = await person.press_data(menu, data_of(menu, "t:interviews"))
    [denied] = await person.press_data(question, data_of(question, "t:cfi-negative"))
    assert PACK["cfi-negative"].texts[language].title in denied.text
    assert NO_BIA_APPEAL[language] in denied.text
    assert not topic_targets(denied) & BIA_APPEAL_TOPICS
    [answer] = await person.press_data(denied, data_of(denied, "t:ij-review-upheld"))
    assert_fear_review_answer(answer, language)


@pytest.mark.parametrize(("language", "deadline"), [("ru", "30 календарных дней"), ("en", "30 calendar days")])
async def test_a_judges_decision_in_court_still_leads_to_the_bia_appeal(make_person, language, deadline):
    person: Person = make_person(language)
    [menu] = await person.send("/start")
    [question] = await person.press_data(menu, data_of(menu, "t:denied"))
    [answer] = await person.press_data(question, data_of(question, "t:appeal-bia"))
    assert PACK["appeal-bia"].texts[language].title in answer.text
    assert deadline in answer.text
    assert "rem:new:bia" in [b.get("callback_data") for row in answer.buttons for b in row]
