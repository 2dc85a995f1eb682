"""Forms survive a restart: the real ``python -m bot run`` process is killed mid-form (SIGKILL, no clean shutdown)
and started again; the person carries on from the step they were at, and what they confirm is stored once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.knowledge.models import Topic, TopicText
from bot.persistence import FormDraft, FormState
from bot.reminders.models import Subscription
from handlers.moderation.edit import PREVIEW
from handlers.reminders.ask import TIME
from tests.conftest import ADMIN_ID, ROOT
from tests.helpers import eventually

USER = 730_000_001


class Bot:
    """The bot as a real process against the local Bot API and the test database."""

    def __init__(self, api, database_url: str, token: str) -> None:
        self.env = {**os.environ, "TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_URL": api.url,
                    "DATABASE_URL": database_url, "ADMIN_IDS": str(ADMIN_ID), "LOG_LEVEL": "WARNING"}
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=ROOT, env=self.env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()


async def saved(database, name: str, user_id: int, state: int, draft_holds: str = "") -> None:
    """The form's step is in the database. (The reply goes out a moment before the step is written: a process
    killed in that moment loses this one step, and the person is asked it again.)"""

    async def check() -> bool:
        async with database.session() as session:
            step = await session.scalar(select(FormState.state).where(
                FormState.name == name, FormState.user_id == user_id))
            draft = await session.scalar(select(FormDraft.data).where(FormDraft.user_id == user_id))
        return step == str(state) and draft is not None and draft_holds in draft

    await eventually(check, limit=20)


async def draft_saved(database, user_id: int, fragment: str) -> None:
    """The form's draft holds ``fragment``. PTB writes the step and the draft side by side, so the step can be in
    the database a moment before the draft that goes with it."""

    async def check() -> bool:
        async with database.session() as session:
            data = await session.scalar(select(FormDraft.data).where(FormDraft.user_id == user_id))
        return data is not None and fragment in data

    await eventually(check, limit=20)


class Chat:
    def __init__(self, api, token: str, user_id: int) -> None:
        self.api, self.token, self.user_id = api, token, user_id

    def _state(self):
        messages = [m for m in self.api.bot_messages(self.user_id) if not m.deleted]
        return len(messages), sum(m.edits for m in messages)

    async def _changed(self, act):
        before = self._state()
        act()
        await eventually(lambda: self._state() != before, limit=60)
        return self.screen

    @property
    def screen(self):
        return [m for m in self.api.bot_messages(self.user_id) if not m.deleted][-1]

    def buttons(self) -> list[str]:
        for message in reversed(self.api.bot_messages(self.user_id)):
            if message.buttons:
                return [b.get("callback_data", "") for row in message.buttons for b in row]
        return []

    async def send(self, text: str):
        return await self._changed(lambda: self.api.user_sends(self.user_id, text, language_code="en",
                                                               token=self.token))

    async def press(self, suffix: str):
        await eventually(lambda: any(d.endswith(suffix) for d in self.buttons()), limit=30)
        message = next(m for m in reversed(self.api.bot_messages(self.user_id)) if m.buttons)
        data = next(d for d in self.buttons() if d.endswith(suffix))
        return await self._changed(lambda: self.api.user_presses(self.user_id, message.message_id, data,
                                                                 language_code="en", token=self.token))


async def test_the_reminder_form_continues_after_the_process_is_killed(api, database_url, database):
    token = api.make_token(8801)
    bot = Bot(api, database_url, token)
    person = Chat(api, token, USER)
    day = (datetime.now(UTC) + timedelta(days=40)).date()
    bot.start()
    try:
        await person.send("/remind")
        await person.press(":k:master")
        screen = await person.send(day.strftime("%d.%m.%Y"))
        assert "What time" in screen.text
        await saved(database, "reminder_form", USER, TIME)
        await draft_saved(database, USER, day.isoformat())
        bot.kill()  # mid-form: the answer to "what time" has not been given yet
        bot.start()
        screen = await person.send("9:30")
        assert "Which immigration court" in screen.text, screen.text
        await person.send("Miami")
        await person.press(next(d for d in person.buttons() if ":c:" in d).split(":", 2)[2])
        await person.press(":nolabel")
        screen = await person.press(":leads")
        if "Where are you" in screen.text:
            await person.press(":my:0")
        screen = await person.press(":ok")
        assert "Saved" in screen.text
    finally:
        bot.stop()
    async with database.session() as session:
        subs = (await session.scalars(select(Subscription).where(Subscription.user_id == USER))).all()
    assert len(subs) == 1
    assert subs[0].event_at.astimezone(UTC).date() == day and subs[0].court_id is not None


async def test_a_moderator_edit_continues_after_the_process_is_killed(api, database_url, database):
    token = api.make_token(8802)
    bot = Bot(api, database_url, token)
    moderator = Chat(api, token, ADMIN_ID)
    bot.start()
    try:
        await moderator.send("/edit acis")
        await moderator.press(":l:en")
        await moderator.press(":a:text")
        await moderator.send("ACIS tells you the date of your next hearing. Check it before every hearing.")
        await eventually(lambda: any(d.endswith(":p") for d in moderator.buttons()), limit=30)  # Publish?
        await saved(database, "moderation_edit", ADMIN_ID, PREVIEW, draft_holds="ACIS tells you the date")
        bot.kill()
        bot.start()
        screen = await moderator.press(":p")
        assert "Published as revision" in screen.text, screen.text
    finally:
        bot.stop()
    async with database.session() as session:
        body = await session.scalar(select(TopicText.body).join(Topic).where(Topic.slug == "acis",
                                                                             TopicText.locale == "en"))
    assert body.startswith("ACIS tells you the date of your next hearing.")
