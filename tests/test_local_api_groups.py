"""Supergroups and forum topics in the local Bot API (what the help desk needs), checked as Telegram checks them:
topics and their rights, thread ids on sends, copyMessage, reactions, leaving, members and privacy mode."""

from __future__ import annotations

import pytest
from telegram import (
    Bot,
    ChatMemberAdministrator,
    ChatMemberOwner,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MessageEntity,
    ReactionTypeCustomEmoji,
    ReactionTypeEmoji,
)
from telegram.constants import ReactionEmoji
from telegram.error import BadRequest, Forbidden

from bot.local_api import LocalBotApi
from bot.local_api.methods.chats import REACTION_EMOJI

OWNER, VOLUNTEER, PERSON = 3001, 3002, 3003


@pytest.fixture
async def api():
    async with LocalBotApi(bot_username="navigator_bot") as server:
        yield server


@pytest.fixture
async def bot(api):
    tg_bot = Bot(api.make_token(123456), base_url=api.base_url)
    await tg_bot.initialize()
    yield tg_bot
    await tg_bot.shutdown()


@pytest.fixture
def desk(api, bot) -> int:
    """A forum supergroup: the owner, a volunteer, and the bot as an administrator that manages topics."""
    chat_id = api.create_group("Help desk", owner_id=OWNER, first_name="Owner")
    api.add_member(chat_id, VOLUNTEER, first_name="Vera")
    api.add_bot(chat_id, by=OWNER, admin=True)
    return chat_id


async def drain(bot: Bot) -> list:
    updates = await bot.get_updates()
    if updates:
        await bot.get_updates(offset=updates[-1].update_id + 1)
    return updates


# -- joining, members, getChat -----------------------------------------------------------------------------
async def test_bot_added_as_admin_sees_my_chat_member_and_service_message(api, bot):
    chat_id = api.create_group("Help desk", owner_id=OWNER, first_name="Owner")
    new = api.add_bot(chat_id, by=OWNER, admin=True)
    assert new["status"] == "administrator" and new["can_manage_topics"] is True
    joined, service = await drain(bot)
    change = joined.my_chat_member
    assert (change.chat.id, change.chat.type, change.chat.is_forum, change.from_user.id) == (
        chat_id, "supergroup", True, OWNER)
    assert (change.old_chat_member.status, change.new_chat_member.status) == ("left", "administrator")
    assert isinstance(change.new_chat_member, ChatMemberAdministrator)
    assert change.new_chat_member.can_manage_topics and change.new_chat_member.can_delete_messages
    assert [u.id for u in service.message.new_chat_members] == [123456]
    chat = await bot.get_chat(chat_id)
    assert (chat.type, chat.title, chat.is_forum) == ("supergroup", "Help desk", True)
    me = await bot.get_chat_member(chat_id, 123456)
    assert me.status == "administrator" and me.can_manage_topics
    assert isinstance(await bot.get_chat_member(chat_id, OWNER), ChatMemberOwner)
    api.user_sends(PERSON, "hi")  # a person the bot knows, not in the group
    assert (await bot.get_chat_member(chat_id, PERSON)).status == "left"
    with pytest.raises(BadRequest, match="User not found"):
        await bot.get_chat_member(chat_id, 999_999)
    assert {m.user.id for m in await bot.get_chat_administrators(chat_id)} == {OWNER, 123456}
    assert await bot.get_chat_member_count(chat_id) == 2
    private = await bot.get_chat(PERSON)
    assert private.type == "private" and private.first_name == "Test"


async def test_rights_changes_and_removal_send_my_chat_member(api, bot, desk):
    await drain(bot)
    api.set_bot_rights(desk, by=OWNER, can_manage_topics=False, can_delete_messages=True)
    (update,) = await drain(bot)
    assert update.my_chat_member.old_chat_member.can_manage_topics is True
    assert update.my_chat_member.new_chat_member.can_manage_topics is False
    assert (await bot.get_chat_member(desk, 123456)).can_delete_messages is True
    api.set_bot_rights(desk, by=OWNER, admin=False)
    assert (await bot.get_chat_member(desk, 123456)).status == "member"
    with pytest.raises(AssertionError, match="may not make administrators"):
        api.set_bot_rights(desk, by=VOLUNTEER)
    api.remove_bot(desk, by=OWNER)
    assert (await drain(bot))[-1].my_chat_member.new_chat_member.status == "kicked"
    with pytest.raises(Forbidden, match="bot was kicked from the supergroup chat"):
        await bot.send_message(desk, "hello?")


async def test_a_group_the_bot_never_joined_is_not_found(api, bot):
    chat_id = api.create_group("Elsewhere", owner_id=OWNER)
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(chat_id, "hi")


async def test_leave_chat(api, bot):
    other = api.create_group("Some chat", owner_id=OWNER, forum=False)
    api.add_bot(other, by=OWNER)
    await drain(bot)
    assert await bot.leave_chat(other)
    (update,) = await drain(bot)
    assert (update.my_chat_member.old_chat_member.status, update.my_chat_member.new_chat_member.status) == (
        "member", "left")
    assert api.chat_member(other, 123456)["status"] == "left"
    with pytest.raises(Forbidden, match="bot is not a member of the supergroup chat"):
        await bot.send_message(other, "still here?")
    with pytest.raises(Forbidden):
        await bot.leave_chat(other)
    api.user_sends(PERSON, "hi")
    with pytest.raises(BadRequest, match="private chats"):
        await bot.leave_chat(PERSON)


async def test_basic_group_has_no_topics(api, bot):
    chat_id = api.create_group("Family", owner_id=OWNER, forum=False, supergroup=False)
    api.add_bot(chat_id, by=OWNER, admin=True)
    assert (await bot.get_chat(chat_id)).type == "group" and chat_id > -1_000_000_000_000
    with pytest.raises(BadRequest, match="The chat is not a forum"):
        await bot.create_forum_topic(chat_id, "x")
    with pytest.raises(ValueError, match="supergroups"):
        api.create_group("bad", owner_id=OWNER, supergroup=False, forum=True)


# -- topics ------------------------------------------------------------------------------------------------
async def test_create_forum_topic_rules(api, bot, desk):
    topic = await bot.create_forum_topic(desk, "#1 · ru · detention")
    assert (topic.name, topic.icon_color) == ("#1 · ru · detention", 7322096) and topic.message_thread_id > 0
    assert api.topic(desk, topic.message_thread_id).root["forum_topic_created"]["name"] == "#1 · ru · detention"
    with pytest.raises(BadRequest, match="Topic_title_empty"):
        await bot.create_forum_topic(desk, " ")
    with pytest.raises(BadRequest, match="Topic_name_invalid"):
        await bot.create_forum_topic(desk, "я" * 129)
    assert (await bot.create_forum_topic(desk, "я" * 128, icon_color=16478047)).icon_color == 16478047
    with pytest.raises(BadRequest, match="Topic_color_invalid"):
        await bot.create_forum_topic(desk, "x", icon_color=123)
    plain = api.create_group("No topics", owner_id=OWNER, forum=False)
    api.add_bot(plain, by=OWNER, admin=True)
    with pytest.raises(BadRequest, match="The chat is not a forum"):
        await bot.create_forum_topic(plain, "x")
    api.user_sends(PERSON, "hi")
    with pytest.raises(BadRequest, match="The chat is not a forum"):
        await bot.create_forum_topic(PERSON, "x")
    api.set_bot_rights(desk, by=OWNER, can_delete_messages=True)  # an admin without can_manage_topics
    with pytest.raises(BadRequest, match="Not enough rights to create a topic"):
        await bot.create_forum_topic(desk, "x")
    assert [t.name for t in api.topics(desk)] == ["#1 · ru · detention", "я" * 128]


async def test_edit_close_reopen(api, bot, desk):
    thread = (await bot.create_forum_topic(desk, "#2 · en · bond")).message_thread_id
    assert await bot.edit_forum_topic(desk, thread, name="#2 · en · bond · answered")
    with pytest.raises(BadRequest, match="Topic_not_modified"):
        await bot.edit_forum_topic(desk, thread, name="#2 · en · bond · answered")
    with pytest.raises(BadRequest, match="Topic_name_invalid"):
        await bot.edit_forum_topic(desk, thread, name="x" * 129)
    assert api.topic(desk, thread).names == ["#2 · en · bond", "#2 · en · bond · answered"]
    assert await bot.close_forum_topic(desk, thread)
    assert api.topic(desk, thread).closed
    with pytest.raises(BadRequest, match="Topic_not_modified"):
        await bot.close_forum_topic(desk, thread)
    with pytest.raises(AssertionError, match="closed"):
        api.member_posts(desk, VOLUNTEER, "can I still write?", thread_id=thread)
    await bot.send_message(desk, "closed, but the bot manages topics", message_thread_id=thread)
    assert await bot.reopen_forum_topic(desk, thread)
    with pytest.raises(BadRequest, match="Topic_not_modified"):
        await bot.reopen_forum_topic(desk, thread)
    api.member_posts(desk, VOLUNTEER, "open again", thread_id=thread)
    kinds = [next(k for k in m if k.startswith("forum_topic")) for m in api.group(desk).history.values()
             if any(k.startswith("forum_topic") for k in m)]
    assert kinds == ["forum_topic_created", "forum_topic_edited", "forum_topic_closed", "forum_topic_reopened"]
    with pytest.raises(BadRequest, match="Message thread not found"):
        await bot.close_forum_topic(desk, 9999)


async def test_topic_rights_without_can_manage_topics(api, bot, desk):
    mine = (await bot.create_forum_topic(desk, "made by the bot")).message_thread_id
    api.set_bot_rights(desk, by=OWNER, can_delete_messages=True)
    assert await bot.close_forum_topic(desk, mine)  # the creator of a topic may still close it
    with pytest.raises(BadRequest, match="Topic_closed"):
        await bot.send_message(desk, "into a closed topic", message_thread_id=mine)
    api.set_bot_rights(desk, by=OWNER)
    theirs = (await bot.create_forum_topic(desk, "x")).message_thread_id
    api.topic(desk, theirs).creator_id = OWNER  # as if the owner had created it
    api.set_bot_rights(desk, by=OWNER, can_delete_messages=True)
    with pytest.raises(BadRequest, match="Not enough rights to manage topics"):
        await bot.edit_forum_topic(desk, theirs, name="renamed")
    api.set_bot_rights(desk, by=OWNER, can_manage_topics=True)
    with pytest.raises(BadRequest, match="Not enough rights to delete the topic"):
        await bot.delete_forum_topic(desk, theirs)


async def test_delete_topic_then_thread_not_found_and_recreate(api, bot, desk):
    thread = (await bot.create_forum_topic(desk, "#3")).message_thread_id
    sent = await bot.send_message(desk, "first post", message_thread_id=thread)
    assert (sent.message_thread_id, sent.is_topic_message) == (thread, True)
    posted = api.member_posts(desk, VOLUNTEER, "an answer", thread_id=thread)
    assert await bot.delete_forum_topic(desk, thread)
    assert api.topic(desk, thread).deleted and all(m.deleted for m in api.thread_messages(desk, thread))
    assert posted["message_id"] not in api.group(desk).history
    for call in (bot.send_message(desk, "again", message_thread_id=thread),
                 bot.edit_forum_topic(desk, thread, name="y"), bot.delete_forum_topic(desk, thread)):
        with pytest.raises(BadRequest, match="Message thread not found"):
            await call
    with pytest.raises(BadRequest, match="Message to copy not found"):
        await bot.copy_message(desk, desk, posted["message_id"])
    again = (await bot.create_forum_topic(desk, "#3")).message_thread_id
    assert again != thread
    await bot.send_message(desk, "recreated", message_thread_id=again)
    assert [m.text for m in api.thread_messages(desk, again)] == ["recreated"]


async def test_thread_ids_on_sends(api, bot, desk):
    thread = (await bot.create_forum_topic(desk, "#4")).message_thread_id
    await bot.send_message(desk, "in the topic", message_thread_id=thread)
    general = await bot.send_message(desk, "in General")
    assert general.message_thread_id is None and not general.is_topic_message
    assert [m.text for m in api.thread_messages(desk, thread)] == ["in the topic"]
    assert [m.text for m in api.thread_messages(desk, None)] == ["in General"]
    for wrong in (1, 9999):  # General cannot be addressed by id 1, as in Telegram
        with pytest.raises(BadRequest, match="Message thread not found"):
            await bot.send_message(desk, "x", message_thread_id=wrong)
    api.user_sends(PERSON, "hi")
    with pytest.raises(BadRequest, match="Message thread not found"):
        await bot.send_message(PERSON, "x", message_thread_id=thread)
    # a reply to a topic message lands in that topic
    posted = api.member_posts(desk, VOLUNTEER, "question", thread_id=thread)
    reply = await bot.send_message(desk, "reply", reply_parameters={"message_id": posted["message_id"]})
    assert reply.message_thread_id == thread and reply.reply_to_message.message_id == posted["message_id"]


# -- members posting, privacy mode, buttons --------------------------------------------------------------
async def test_member_posts_in_topic(api, bot, desk):
    thread = (await bot.create_forum_topic(desk, "#5")).message_thread_id
    await drain(bot)
    posted = api.member_posts(desk, VOLUNTEER, "Here is <what> to do", thread_id=thread)
    (update,) = await drain(bot)
    message = update.message
    assert (message.chat.id, message.chat.type, message.chat.is_forum) == (desk, "supergroup", True)
    assert (message.message_thread_id, message.is_topic_message, message.from_user.first_name) == (
        thread, True, "Vera")
    assert message.reply_to_message.forum_topic_created.name == "#5"  # Telegram's way of marking topic posts
    assert message.text == "Here is <what> to do" and posted["message_id"] == message.message_id
    assert api.recipients(desk, message.message_id) == [123456]
    api.member_posts(desk, VOLUNTEER, "in General")
    general = (await drain(bot))[0].message
    assert general.message_thread_id is None and general.reply_to_message is None


async def test_privacy_mode_when_the_bot_is_not_an_admin(api, bot, desk):
    thread = (await bot.create_forum_topic(desk, "#6")).message_thread_id
    mine = await bot.send_message(desk, "a bot post", message_thread_id=thread)
    api.set_bot_rights(desk, by=OWNER, admin=False)
    await drain(bot)
    plain = api.member_posts(desk, VOLUNTEER, "plain text", thread_id=thread)
    command = api.member_posts(desk, VOLUNTEER, "/close now", thread_id=thread)
    other_bot = api.member_posts(desk, VOLUNTEER, "/close@some_other_bot", thread_id=thread)
    addressed = api.member_posts(desk, VOLUNTEER, "/note@navigator_bot hi", thread_id=thread)
    reply = api.member_posts(desk, VOLUNTEER, "a reply to the bot", reply_to=mine.message_id)
    assert [api.recipients(desk, m["message_id"]) for m in (plain, command, other_bot, addressed, reply)] == [
        [], [123456], [], [123456], [123456]]
    got = [u.message.text for u in await drain(bot)]
    assert got == ["/close now", "/note@navigator_bot hi", "a reply to the bot"]
    assert reply["message_thread_id"] == thread  # a reply inherits the topic


async def test_member_presses_a_button_in_the_group(api, bot, desk):
    thread = (await bot.create_forum_topic(desk, "#7")).message_thread_id
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Send answer: bond", callback_data="ans:bond")]])
    sent = await bot.send_message(desk, "Suggested answers", message_thread_id=thread, reply_markup=markup)
    await drain(bot)
    cq_id = api.member_presses(desk, VOLUNTEER, sent.message_id, "ans:bond")
    (update,) = await drain(bot)
    query = update.callback_query
    assert (query.id, query.data, query.from_user.id) == (cq_id, "ans:bond", VOLUNTEER)
    assert (query.message.chat.id, query.message.message_thread_id) == (desk, thread)
    with pytest.raises(AssertionError, match="not a member"):
        api.member_presses(desk, PERSON, sent.message_id, "ans:bond")


# -- copyMessage -----------------------------------------------------------------------------------------
async def test_copy_message_keeps_formatting_and_returns_message_id(api, bot, desk):
    api.user_sends(PERSON, "/start")
    thread = (await bot.create_forum_topic(desk, "#8")).message_thread_id
    bold = [{"type": "bold", "offset": 0, "length": 4}]
    posted = api.member_posts(desk, VOLUNTEER, "Call the hotline", thread_id=thread, entities=bold)
    copied = await bot.copy_message(PERSON, desk, posted["message_id"])
    seen = api.last_message(PERSON)
    assert (copied.message_id, seen.text, seen.entities) == (seen.message_id, "Call the hotline", bold)
    assert seen.message_thread_id is None
    # into a topic, with a keyboard; and a photo with its caption replaced
    photo = api.user_sends_photo(PERSON, caption="my letter")["message_id"]
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Reply", callback_data="r")]])
    await bot.copy_message(desk, PERSON, photo, message_thread_id=thread, caption="<i>photo</i>", parse_mode="HTML",
                           reply_markup=markup)
    in_topic = api.thread_messages(desk, thread)[-1]
    assert (in_topic.content_type, in_topic.text, in_topic.entities) == (
        "photo", "photo", [{"type": "italic", "offset": 0, "length": 5}])
    assert in_topic.button_texts == ["Reply"]
    root = api.topic(desk, thread).root["message_id"]
    with pytest.raises(BadRequest, match="Message can't be copied"):
        await bot.copy_message(PERSON, desk, root)
    with pytest.raises(BadRequest, match="Message to copy not found"):
        await bot.copy_message(PERSON, desk, 9999)
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.copy_message(PERSON + 1, desk, posted["message_id"])
    api.block_user(PERSON)
    with pytest.raises(Forbidden, match="blocked"):
        await bot.copy_message(PERSON, desk, posted["message_id"])
    with pytest.raises(BadRequest, match="caption is too long"):
        await bot.copy_message(desk, PERSON, photo, caption="x" * 1025)


# -- reactions -------------------------------------------------------------------------------------------
async def test_set_message_reaction(api, bot, desk):
    thread = (await bot.create_forum_topic(desk, "#9")).message_thread_id
    answer = api.member_posts(desk, VOLUNTEER, "an answer", thread_id=thread)["message_id"]
    assert await bot.set_message_reaction(desk, answer, ReactionEmoji.THUMBS_UP)
    assert api.reactions(desk, answer) == ["👍"]
    await bot.set_message_reaction(desk, answer, [ReactionTypeEmoji("🕊")])
    assert api.reactions(desk, answer) == ["🕊"]
    for wrong, expected in (("✅", "Reaction_invalid"), (ReactionTypeCustomEmoji("123"), "Reaction_invalid"),
                            (["👍", "👌"], "Reactions_too_many")):
        with pytest.raises(BadRequest, match=expected):
            await bot.set_message_reaction(desk, answer, wrong)
    assert api.reactions(desk, answer) == ["🕊"]
    await bot.set_message_reaction(desk, answer, [])
    assert api.reactions(desk, answer) == []
    with pytest.raises(BadRequest, match="Message to react not found"):
        await bot.set_message_reaction(desk, 9999, "👍")
    root = api.topic(desk, thread).root["message_id"]
    with pytest.raises(BadRequest, match="Reaction_invalid"):
        await bot.set_message_reaction(desk, root, "👍")


def test_reaction_emoji_match_the_bot_api_list():
    assert {str(e) for e in ReactionEmoji} <= REACTION_EMOJI  # PTB's constants all work
    assert len({e.replace("\ufe0f", "") for e in REACTION_EMOJI}) == 73 and "✅" not in REACTION_EMOJI


# -- privacy scans ---------------------------------------------------------------------------------------
async def test_chat_requests_lists_everything_aimed_at_the_group(api, bot, desk):
    api.user_sends(PERSON, "my question", first_name="Ivan")
    thread = (await bot.create_forum_topic(desk, "#10")).message_thread_id
    await bot.send_message(desk, "a question arrived", message_thread_id=thread,
                           entities=[MessageEntity("bold", 0, 1)])
    await bot.copy_message(desk, PERSON, 1, message_thread_id=thread)
    await bot.send_message(PERSON, "not for the group")
    assert [name for name, _ in api.chat_requests(desk)] == ["createForumTopic", "sendMessage", "copyMessage"]
    assert all("not for the group" not in str(params) for _, params in api.chat_requests(desk))


# -- the Member helper against the real Application ------------------------------------------------------
async def test_member_helper_with_the_real_application(api, app):
    from tests.helpers import Member

    desk = api.create_group("Help desk", owner_id=OWNER)
    api.add_bot(desk, by=OWNER)  # a plain member: privacy mode
    volunteer = Member(api, app, desk, first_name="Vera")
    assert await volunteer.post("plain words") == []  # never delivered: returns at once
    assert api.recipients(desk, volunteer.last_result["message_id"]) == []
    api.set_bot_rights(desk, by=OWNER)
    before = app.updates_done
    await volunteer.post("now the bot reads everything")
    assert api.recipients(desk, volunteer.last_result["message_id"]) == [int(api.make_token().split(":")[0])]
    assert app.updates_done > before
