"""Forged and impossible values in command arguments and callback data: each gets a plain answer, never the
"something went wrong" of an unhandled error, and nothing is stored. Ids beyond 32 or 64 bits, Unicode digits
that pass ``str.isdigit()`` but not ``int()``, a NUL byte, a forged kind or date."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot.moderation.models import Moderator
from bot.reminders.models import Subscription
from tests.conftest import ADMIN_ID
from tests.helpers import Person
from tests.test_reminders_e2e import NEXT_YEAR, tap

SORRY = "something went wrong"
BIG = [str(2**31), str(2**63), "9" * 25, "²", "٣", "１２"]
MODERATOR_ID = 500_000_002


@pytest.fixture
async def team(make_person, database):
    async with database.session() as session:
        session.add(Moderator(moderator_id=MODERATOR_ID, added_by=ADMIN_ID, added_at=datetime.now(UTC)))
        await session.commit()
    return {"moderator": make_person("en", user_id=MODERATOR_ID), "admin": make_person("en", user_id=ADMIN_ID)}


def no_apology(replies) -> bool:
    return bool(replies) and not any(SORRY in m.text for m in replies)


@pytest.mark.parametrize("value", BIG)
async def test_moderation_arguments_beyond_range_or_in_other_digits(team, database, value):
    mod, admin = team["moderator"], team["admin"]
    for person, command in [(mod, f"/stale {value}"), (mod, f"/rollback acis ru {value}"),
                            (admin, f"/mod_add {value}"), (admin, f"/mod_remove {value}")]:
        replies = await person.send(command)
        assert no_apology(replies), (command, [m.text for m in replies])
    async with database.session() as session:
        assert await session.scalar(select(func.count()).select_from(Moderator)) == 1


@pytest.mark.parametrize("data", [f"ma:{2**63}", f"ma:{'9' * 40}", f"mr:{2**40}:ru:1:1", f"mr:1:ru:{2**63}:1",
                                  f"mr:1:ru:1:{2**31}", "ma:٣"])
async def test_forged_moderation_buttons(team, data):
    admin = team["admin"]
    await admin.send("/mod")
    replies = await admin.press_data(admin.screen, data, strict=False)
    assert no_apology(replies), [m.text for m in replies]


@pytest.mark.parametrize("data", [f"rem:s:{2**31}", f"rem:p:{2**63}", f"rem:d:{'9' * 40}", "rem:s:٣",
                                  f"rem:fu:{2**40}:denied", f"rem:mv:{2**33}"])
async def test_forged_reminder_buttons(en: Person, data):
    await en.send("/reminders")
    replies = await en.press_data(en.screen, data, strict=False)
    assert no_apology(replies), [m.text for m in replies]


@pytest.mark.parametrize("label", ["мама\x00", "A123.456.789", "A-123/456/789", "A١٢٣٤٥٦٧٨٩", "a 123 456 789"])
async def test_a_label_with_a_nul_byte_or_an_a_number_is_refused_and_nothing_stored(en: Person, database, label):
    await en.send("/remind")
    await tap(en, ":k:master")
    await en.send(f"3 December {NEXT_YEAR}")
    await en.send("9:00")
    await en.send("Miami")
    await tap(en, ":c:krome")
    [reply] = await en.send(label)
    assert "no numbers" in reply.text
    async with database.session() as session:
        assert await session.scalar(select(func.count()).select_from(Subscription)) == 0
