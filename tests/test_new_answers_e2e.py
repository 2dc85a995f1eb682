"""Issue #10's new answers, reached from the main menu the way a person would press through, in both languages.

Each walk presses only buttons that are on the current screen and checks that the answer shows its title, the
fact a person came for (a number, a phrase to say) and the date it was reviewed.
"""

from __future__ import annotations

from datetime import date

import pytest

from bot.knowledge.pack import read_pack
from bot.knowledge.render import human_date
from tests.helpers import Person

PACK = {t.slug: t for t in read_pack()}

# (path of topic slugs from the main menu, words the last screen must show, per language)
WALKS = [
    (["relatives", "detainee-missing"], {"ru": "+1 888 351 4024", "en": "+1 888 351 4024"}),
    (["relatives", "reach-from-russia"], {"ru": "acis.eoir.justice.gov", "en": "acis.eoir.justice.gov"}),
    (["removal", "refuse-flight"], {"ru": "до 4 лет тюрьмы", "en": "up to 4 years in prison"}),
    (["court", "ice-dismiss"], {"ru": "I oppose the motion to dismiss", "en": "I oppose the motion to dismiss"}),
    (["mexico", "mexico-waiting"], {"ru": "30 рабочих дней", "en": "30 working days"}),
    (["border", "child-orr"], {"ru": "+1 800 203 7001", "en": "+1 800 203 7001"}),
    # reached through a menu's "also" link and an answer's "related" link
    (["detention", "sign-papers"], {"ru": "I need a Russian interpreter", "en": "I need a Russian interpreter"}),
    (["mexico", "one-year-deadline", "family-i589"], {"ru": "теряют защиту", "en": "lose protection"}),
]


def data_of(message, data: str) -> str:
    """The callback data of a button that really is on this screen (a person can only press what they see)."""
    assert data in [b.get("callback_data") for row in message.buttons for b in row], message.button_texts
    return data


@pytest.mark.parametrize("language", ["ru", "en"])
@pytest.mark.parametrize(("path", "words"), WALKS, ids=lambda v: v[-1] if isinstance(v, list) else "")
async def test_a_new_answer_is_reached_from_the_main_menu(make_person, language, path, words):
    person: Person = make_person(language)
    [screen] = await person.send("/start")
    for slug in path:
        changed = await person.press_data(screen, data_of(screen, f"t:{slug}"))
        screen = changed[-1]
        assert PACK[slug].texts[language].title in changed[0].text
    text = "\n".join(m.text for m in changed)
    assert words[language] in text
    assert human_date(date(2026, 12, 1), language) in text
    assert ("не юридическая консультация" if language == "ru" else "not legal advice") in text
    labels = " ".join(screen.button_texts)
    assert ("Назад" in labels) if language == "ru" else ("Back" in labels)
    # The Russian footer names the sources by their Russian titles.
    last = PACK[path[-1]].texts[language]
    assert all((s["title_ru"] if language == "ru" else s["title"]) in text for s in last.sources)


@pytest.mark.parametrize(("language", "label", "words"), [
    ("ru", "Коротко", "+1 800 203 7001"), ("en", "Short version", "+1 800 203 7001")])
async def test_the_short_version_of_a_new_answer_is_ready_to_forward(make_person, language, label, words):
    """A relative opens the ORR answer and sends its short version on to a detainee's tablet."""
    person: Person = make_person(language)
    [screen] = await person.send("/start child-orr")
    [short] = await person.press(label, screen)
    assert short.text.startswith(PACK["child-orr"].texts[language].short)  # then a one-line date/disclaimer tag
    assert human_date(date(2026, 12, 1), language) in short.text
    assert words in short.text and not short.buttons and len(PACK["child-orr"].texts[language].short) <= 300


async def test_the_new_answers_are_listed_a_to_z(en: Person):
    """Every new answer can also be found in the A–Z list (page through it as a person would)."""
    new = {"sign-papers", "refuse-flight", "pay-from-russia", "reach-from-russia", "child-orr", "after-release",
           "family-i589", "ice-dismiss", "mexico-waiting", "evidence-russia", "draft-register", "detainee-missing",
           "transfer-court", "passport-travel"}
    [screen] = await en.send("/topics")
    seen: set[str] = set()
    while True:
        seen |= {b["callback_data"][2:] for row in screen.buttons for b in row
                 if b.get("callback_data", "").startswith("t:")}
        forward = [b["callback_data"] for row in screen.buttons for b in row if b.get("text") == "▶️"]
        if not forward:
            break
        [screen] = await en.press_data(screen, forward[0])
    assert new <= seen, sorted(new - seen)
