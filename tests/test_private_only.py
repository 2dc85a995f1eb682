"""Private features in private chats only: in a group the bot answers a command with one short "write to me in
private" and a link — no reminder form, no deletion prompt, no moderation — and its private chat works as ever."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.moderation.models import Moderator
from bot.reminders.models import Subscription
from tests.conftest import ADMIN_ID
from tests.helpers import Person, eventually

OWNER = 700_900_001


async def test_a_group_gets_one_short_pointer_to_the_private_chat(api, app, database):
    group = api.create_group("Family", owner_id=OWNER, forum=False, language_code="en")
    api.add_member(group, ADMIN_ID, language_code="en")
    api.add_bot(group, by=OWNER)
    done = app.updates_done
    api.member_posts(group, OWNER, "/remind")
    api.member_posts(group, OWNER, "/delete_me")
    api.member_posts(group, ADMIN_ID, "/mod_add 123456")
    api.member_posts(group, OWNER, "/start@asylum_navigator_test_bot")
    await eventually(lambda: app.updates_done >= done + 4)
    said = [m for m in api.bot_messages(group) if not m.deleted]
    assert len(said) == 1, [m.text for m in said]  # once, however many commands
    assert "private chats only" in said[0].text
    assert said[0].buttons[0][0]["url"] == "https://t.me/asylum_navigator_test_bot"
    async with database.session() as session:
        assert await session.scalar(select(func.count()).select_from(Moderator)) == 0

    # The private chat is untouched: the same person gets the reminder form there.
    owner = Person(api, app, user_id=OWNER, language_code="en")
    [reply] = await owner.send("/remind")
    assert "What is it?" in reply.text
    async with database.session() as session:
        assert await session.scalar(select(func.count()).select_from(Subscription)) == 0
