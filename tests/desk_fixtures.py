"""The help desk in tests: a forum supergroup with the real bot as an administrator, a volunteer who is a
moderator, and the Application started with ``HELPDESK_CHAT_ID`` pointing at that group."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from bot.local_api import BotMessage, LocalBotApi
from bot.moderation.models import Moderator
from tests.conftest import ADMIN_ID, start_app, stop_app, with_settings
from tests.helpers import Member, Person, eventually

OWNER_ID = 500_000_010
VOLUNTEER_ID = 500_000_011


@dataclass
class DeskWorld:
    api: LocalBotApi
    app: object
    chat_id: int
    volunteer: Member
    database: object

    def person(self, language_code: str | None = "ru", **kw) -> Person:
        return Person(self.api, self.app, language_code=language_code, **kw)

    @property
    def desk(self):
        return self.app.desk

    def topic_of(self, ticket_id: int):
        prefix = f"#{ticket_id} ·"
        found = [t for t in self.api.topics(self.chat_id) if t.name.startswith(prefix) or t.name == f"#{ticket_id}"]
        assert found, f"no topic for ticket #{ticket_id}: {[t.name for t in self.api.topics(self.chat_id)]}"
        return found[-1]

    def topic_posts(self, thread_id: int) -> list[BotMessage]:
        return [m for m in self.api.thread_messages(self.chat_id, thread_id) if not m.deleted]

    async def person_gets(self, person: Person, count_before: int) -> BotMessage:
        """The next message the bot sends the person on its own (the outbox), once it has arrived."""
        await eventually(lambda: len(self.api.bot_messages(person.user_id)) > count_before, limit=15)
        return self.api.bot_messages(person.user_id)[count_before]

    async def reacted(self, message_id: int) -> list[str]:
        await eventually(lambda: self.api.reactions(self.chat_id, message_id), limit=15)
        return self.api.reactions(self.chat_id, message_id)


async def ask(person: Person, question: str) -> int:
    """The person goes through /ask, consent and the question; returns the ticket number shown to them."""
    await person.send("/ask")
    await person.press("✅")
    replies = await person.send(question)
    found = re.search(r"#(\d+)", replies[-1].text)
    assert found, replies[-1].text
    return int(found.group(1))


async def start_desk(api: LocalBotApi, settings, database, **changes) -> DeskWorld:
    chat_id = api.create_group("Volunteers", owner_id=OWNER_ID, first_name="Owner")
    api.add_bot(chat_id, by=OWNER_ID, admin=True, token=settings.token)
    async with database.session() as session:
        session.add(Moderator(moderator_id=VOLUNTEER_ID, added_by=ADMIN_ID, added_at=datetime.now(UTC)))
        await session.commit()
    app = await start_app(with_settings(settings, helpdesk_chat_id=chat_id, **changes))
    # The bot's own "added to the group" updates come first; tests count handled updates after them.
    await eventually(lambda: app.updates_done >= 2)
    volunteer = Member(api, app, chat_id, user_id=VOLUNTEER_ID, first_name="Vera-Volunteer",
                       language_code="en")
    return DeskWorld(api, app, chat_id, volunteer, database)


@pytest.fixture
async def desk(api, settings, database):
    world = await start_desk(api, settings, database)
    yield world
    await stop_app(world.app)
