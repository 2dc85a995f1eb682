"""Private features in private chats only: added to a group, the bot says once "write to me in private" with a link
and leaves — no reminder form, no deletion prompt, no moderation there — and its private chat works as ever."""

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
    done = app.updates_done
    api.add_bot(group, by=OWNER)
    # Added to a group, the bot points it to its private chat once, then leaves (issue 12: only the staff group).
    await eventually(lambda: api.chat_member(group, app.bot.id)["status"] == "left")
    await eventually(lambda: app.updates_done >= done + 2)
    for text in ("/remind", "/delete_me", "/start@asylum_navigator_test_bot"):
        api.member_posts(group, OWNER, text)
    api.member_posts(group, ADMIN_ID, "/mod_add 123456")
    said = [m for m in api.bot_messages(group) if not m.deleted]
    assert len(said) == 1, [m.text for m in said]  # once, and nothing after it left
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
