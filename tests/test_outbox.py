"""The outbox under concurrency and crashes: never lost, never sent twice by two live dispatchers."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select
from telegram import Bot

from bot.db import Database
from bot.models import User
from bot.outbox import CLAIMED, PENDING, SENT, Dispatcher, Pacer
from bot.reminders import messages
from bot.reminders.models import Reminder, Subscription
from bot.reminders.outbox import ReminderFeed
from tests.conftest import ROOT
from tests.helpers import eventually


async def seed(database: Database, users: int, per_user: int = 1, *, due_in: timedelta = timedelta(0)) -> list[int]:
    """Subscribers with due reminders, written directly (as the form would have), returning the user ids."""
    now = datetime.now(UTC)
    ids = list(range(800_000_000, 800_000_000 + users))
    async with database.session() as session:
        await session.execute(insert(User), [{"id": i, "locale": "en", "created_at": now, "last_seen_at": now,
                                              "blocked": False} for i in ids])
        await session.execute(insert(Subscription), [{
            "user_id": i, "form_id": f"f{i}", "kind": "master", "event_at": now + timedelta(days=30),
            "tz": "America/New_York", "court_id": None, "label": None, "locale": "en", "leads": ["1d"],
            "decision_on": None, "status": "active", "created_at": now} for i in ids])
        subs = dict((await session.execute(select(Subscription.user_id, Subscription.id))).all())
        await session.execute(insert(Reminder), [{
            "subscription_id": subs[i], "user_id": i, "kind": "lead", "lead": "1d", "scheduled_for": now + due_in,
            "due_at": now + due_in, "status": PENDING, "attempts": 0, "late": False}
            for i in ids for _ in range(per_user)])
        await session.commit()
    return ids


async def test_two_dispatchers_never_send_the_same_reminder_twice(api, database):
    ids = await seed(database, 120)
    for user_id in ids:  # the users have talked to the bot, so Telegram knows their chats
        api.user_sends(user_id, "/start", token=api.make_token(4242))
    token = api.make_token(4242)
    bots = [Bot(token, base_url=api.base_url) for _ in range(2)]
    for bot in bots:
        await bot.initialize()
    api.set_delay("sendMessage", 0.01)  # keep both dispatchers busy at the same time
    try:
        async def run(bot: Bot) -> int:
            total = 0
            pacer = Pacer(60)  # a second's worth (61 rows) per claim: both dispatchers get work
            dispatcher = Dispatcher(database, bot, [ReminderFeed(messages.render)], pacer=pacer, max_attempts=3)
            for _ in range(40):
                stats = (await dispatcher.run(max_run=0.02))["reminders"]
                total += stats.sent
                if not stats.claimed:
                    await asyncio.sleep(0.01)
            return total

        sent_a, sent_b = await asyncio.gather(run(bots[0]), run(bots[1]))
    finally:
        for bot in bots:
            await bot.shutdown()
    assert sent_a + sent_b == 120
    assert sent_a > 0 and sent_b > 0, "both dispatchers should have taken part"
    per_chat = [len(api.bot_messages(user_id)) for user_id in ids]
    assert per_chat == [1] * 120
    async with database.session() as session:
        assert await session.scalar(select(func.count()).select_from(Reminder).where(Reminder.status == SENT)) == 120


async def test_a_crash_mid_dispatch_loses_nothing(api, database_url, database, tmp_path):
    """SIGKILL the bot while it sends, restart it: every reminder arrives; duplicates ≤ rows in flight."""
    ids = await seed(database, 150)
    token = api.make_token(777)
    for user_id in ids:
        api.user_sends(user_id, "/start", token=token)
    api.set_delay("sendMessage", 0.02)
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_URL": api.url, "DATABASE_URL": database_url,
           "REMINDER_DISPATCH_INTERVAL": "0.5", "REMINDER_SEND_RATE": "30", "REMINDER_LEASE_SECONDS": "2",
           "LOG_LEVEL": "WARNING"}

    def delivered() -> int:
        return sum(1 for user_id in ids for m in api.bot_messages(user_id) if "rem:stop" in str(m.buttons))

    first = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        await eventually(lambda: delivered() >= 40, limit=60)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    async with database.session() as session:
        in_flight = await session.scalar(select(func.count()).select_from(Reminder).where(Reminder.status == CLAIMED))
    before_restart = delivered()
    assert before_restart < 150, "the crash should come mid-dispatch"
    second = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        await eventually(lambda: all(any("rem:stop" in str(m.buttons) for m in api.bot_messages(u)) for u in ids),
                         limit=90)
        await eventually(lambda: _all_sent(database), limit=30)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(15)
    duplicates = delivered() - 150
    assert 0 <= duplicates <= in_flight, (duplicates, in_flight)


async def _all_sent(database) -> bool:
    async with database.session() as session:
        return await session.scalar(select(func.count()).select_from(Reminder).where(Reminder.status != SENT)) == 0
