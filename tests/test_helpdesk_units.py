"""The desk's rules without Telegram: the identifier guard, button formats, settings; and `python -m bot check`
against a local Bot API forum."""

from __future__ import annotations

import re

import pytest

from bot.config import ConfigError, load_settings
from bot.helpdesk import buttons, guard
from bot.helpdesk.check import check
from tests.conftest import with_settings

OWNER = 3001


@pytest.mark.parametrize(("text", "kind"), [
    ("my A-number is A123456789", guard.A_NUMBER),
    ("А 123 456 789", guard.A_NUMBER),  # Cyrillic А
    ("a#12345678", guard.A_NUMBER),
    ("A-123-456-789", guard.A_NUMBER),
    ("номер дела 123-456-789", guard.PHONE),
    ("+1 (555) 123-4567", guard.PHONE),
    ("8 916 123 45 67", guard.PHONE),
    ("１２３４５６７８９", guard.PHONE),  # full-width digits
    ("٥٥٥١٢٣٤٥٦٧", guard.PHONE),  # Arabic-Indic digits
    ("receipt IOE0912345678", guard.PHONE),
    ("ivan.petrov@mail.ru", guard.EMAIL),
    ("ivan (at) gmail . com", guard.EMAIL),
    ("ivan＠gmail.com", guard.EMAIL),
])
def test_identifiers_are_found(text, kind):
    assert guard.find(text) == kind


@pytest.mark.parametrize("text", [
    "Суд 12.03.2026 в 9:30, а 15.04.2026 второе слушание",
    "hearing on 2026-12-03 at 13:30", "12/03/26", "а 12.03.2026 будет суд",
    "we paid $30,000 to a lawyer", "заплатили 19 500 долларов", "$30,000,000",
    "форма I-589 и EOIR-26", "в 2025 году", "Что такое залог?", "", "   ",
    "Мне 45 лет, жене 43, сыну 6",
])
def test_what_a_question_needs_is_not_an_identifier(text):
    assert guard.find(text) is None


def test_buttons_fit_and_forged_ids_do_not_match():
    longest_slug = "a" * 40
    for data in (buttons.send_answer(999_999_999, longest_slug), buttons.pick("0123abcd", 999_999_999),
                 buttons.consent("0123abcd", "go"), buttons.thanks(999_999_999)):
        assert len(data.encode()) <= 64
    for forged in ("dk:ok:1234567890", "dk:ok:0", "dk:ok:-1", "dk:ok:١٢", "dk:ok:12 ", "dk:ok:1e3"):
        assert not re.match(buttons.P_THANKS, forged), forged
    assert not re.match(buttons.P_SEND_ANSWER, "dk:a:1:Bond")
    assert buttons.ticket_of("dk:cl:42") == 42 and buttons.pick_of("dk:p:0123abcd:x") == ("0123abcd", None)


def test_settings():
    base = {"TELEGRAM_BOT_TOKEN": "123:" + "a" * 30}
    assert load_settings(base).helpdesk_chat_id is None
    on = load_settings(base | {"HELPDESK_CHAT_ID": "-1001234567890", "HELPDESK_REMIND_HOURS": "6"})
    assert (on.helpdesk_chat_id, on.helpdesk_remind_hours, on.helpdesk_retention_days) == (-1001234567890, 6, 30)
    for bad in ("123", "-12345", "-100abc", "−1001234567890", "-100١٢٣٤٥٦٧"):
        with pytest.raises(ConfigError, match="HELPDESK_CHAT_ID"):
            load_settings(base | {"HELPDESK_CHAT_ID": bad})
    with pytest.raises(ConfigError, match="HELPDESK_REMIND_HOURS"):
        load_settings(base | {"HELPDESK_REMIND_HOURS": "0"})


async def test_check_reports_the_staff_group(api, settings):
    assert (await check(settings))[1:] == (True, "off (HELPDESK_CHAT_ID is not set)")
    forum = api.create_group("Volunteers", owner_id=OWNER)
    name, ok, detail = await check(with_settings(settings, helpdesk_chat_id=forum))
    assert not ok and "not in chat" in detail
    api.add_bot(forum, by=OWNER, admin=True, token=settings.token)
    name, ok, detail = await check(with_settings(settings, helpdesk_chat_id=forum))
    assert ok and name == "help desk", detail
    api.set_bot_rights(forum, by=OWNER, token=settings.token, can_delete_messages=True)
    ok, detail = (await check(with_settings(settings, helpdesk_chat_id=forum)))[1:]
    assert not ok and "manage topics" in detail
    api.set_bot_rights(forum, by=OWNER, token=settings.token, admin=False)
    ok, detail = (await check(with_settings(settings, helpdesk_chat_id=forum)))[1:]
    assert not ok and "not an administrator" in detail
    plain = api.create_group("No topics", owner_id=OWNER, forum=False)
    api.add_bot(plain, by=OWNER, admin=True, token=settings.token)
    ok, detail = (await check(with_settings(settings, helpdesk_chat_id=plain)))[1:]
    assert not ok and "topics are off" in detail
    ok, detail = (await check(with_settings(settings, helpdesk_chat_id=forum, token=None)))[1:]
    assert not ok and "TELEGRAM_BOT_TOKEN" in detail
