"""Hardening, end to end: refusals counted rather than flooding the audit log; reminders paused by a block resume
when the person comes back (and only those), with one message in their language."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from bot.models import User
from bot.moderation.models import AuditEntry
from bot.outbox import SENT
from bot.reminders.models import ACTIVE, PAUSED, Subscription
from tests.conftest import ADMIN_ID
from tests.helpers import Person, eventually
from tests.test_reminders_e2e import NEXT_YEAR, _status_is, fill_hearing_form, make_due, tap


async def test_a_plain_user_cannot_push_real_entries_out_of_the_audit_log(make_person, api, app, database):
    admin, intruder = make_person("en", user_id=ADMIN_ID), make_person("en")
    await admin.send("/mod_add 500000077")  # a real entry
    done = app.updates_done
    for _ in range(60):  # more than the 30 lines /audit shows
        api.user_sends(intruder.user_id, "/edit", language_code="en")
    await eventually(lambda: app.updates_done >= done + 60, limit=60)
    async with database.session() as session:
        refused = (await session.scalars(select(AuditEntry).where(AuditEntry.actor_id == intruder.user_id))).all()
    assert [(e.action, e.count) for e in refused] == [("refused", 60)]
    [audit] = await admin.send("/audit")
    assert "mod_add" in audit.text and "500000077" in audit.text
    assert f"{intruder.user_id} · refused ×60 · /edit" in audit.text


async def subscriptions(database, user_id: int) -> list[Subscription]:
    async with database.session() as session:
        return list((await session.scalars(select(Subscription).where(Subscription.user_id == user_id)
                                           .order_by(Subscription.event_at))).all())


async def test_reminders_paused_by_a_block_resume_when_the_person_comes_back(ru: Person, api, database):
    # Two reminders; the person pauses the second one themselves.
    await fill_hearing_form(ru, date_text=f"3 декабря {NEXT_YEAR}")
    await tap(ru, ":ok")
    await fill_hearing_form(ru, date_text=f"10 декабря {NEXT_YEAR}", label="брат", zone=None)
    await tap(ru, ":ok")
    await ru.send("/reminders")
    await ru.press("10 декабря")
    await ru.press("Приостановить")
    first, second = await subscriptions(database, ru.user_id)
    assert (first.status, second.status) == (ACTIVE, PAUSED)

    # They block the bot; the next reminder meets a 403 and the outbox pauses what was active.
    api.block_user(ru.user_id)
    row_id = await make_due(database, ru.user_id)
    await eventually(lambda: _status_is(database, row_id, "failed"))
    first, second = await subscriptions(database, ru.user_id)
    assert (first.status, second.status) == (PAUSED, PAUSED)

    # They unblock it and write: the block's pause is undone, theirs is kept, and they are told once.
    api.unblock_user(ru.user_id)
    before = len(api.bot_messages(ru.user_id))
    await ru.send("/start")
    new = [m.text for m in api.bot_messages(ru.user_id)[before:]]
    assert sum("С возвращением" in t for t in new) == 1, new
    assert any("Где вы сейчас?" in t for t in new)
    first, second = await subscriptions(database, ru.user_id)
    assert (first.status, second.status) == (ACTIVE, PAUSED)
    async with database.session() as session:
        assert (await session.get(User, ru.user_id)).blocked is False
    await ru.send("/help")
    assert sum("С возвращением" in m.text for m in api.bot_messages(ru.user_id)) == 1  # once, not per message

    # And the next reminder goes out again.
    row_id = await make_due(database, ru.user_id)
    await eventually(lambda: _status_is(database, row_id, SENT))


async def test_a_missed_return_does_not_leave_reminders_paused_forever(en: Person, api, database):
    """If the return was not seen through (a crash between clearing the mark and resuming), the outbox resumes
    a block's pause by itself once the person is no longer blocking the bot."""
    from sqlalchemy import update

    from bot.reminders.models import BY_BLOCK

    await fill_hearing_form(en, date_text=f"3 December {NEXT_YEAR}")
    await tap(en, ":ok")
    async with database.session() as session:  # as a block had left it, and the return half-done
        await session.execute(update(Subscription).where(Subscription.user_id == en.user_id)
                              .values(status=PAUSED, paused_by=BY_BLOCK))
        await session.commit()
    row_id = await make_due(database, en.user_id)
    await eventually(lambda: _status_is(database, row_id, SENT))
    [sub] = await subscriptions(database, en.user_id)
    assert sub.status == ACTIVE


@pytest.mark.parametrize("today", [date(2028, 2, 29), date(2028, 3, 1)])
async def test_a_bia_decision_on_29_february_is_read_on_the_leap_day_and_after(en: Person, app, today):
    app.clock = lambda: datetime(today.year, today.month, today.day, 17, 0, tzinfo=UTC)  # noon in Virginia
    try:
        await en.send("/remind")
        await tap(en, ":kd")  # the deadlines
        await tap(en, ":k:bia")
        [reply] = await en.send("29.02")
    finally:
        del app.clock
    # 29 February 2028 + 30 days = Thursday 30 March 2028, a business day.
    assert "RECEIVED" in reply.text and "30 March 2028" in reply.text, reply.text
