"""``python -m bot try``: chat with the real bot in a terminal, offline — as a person, or as a volunteer.

The real Application runs against the local Bot API server (``bot.local_api``) on 127.0.0.1, with a throw-away
SQLite database; the terminal plays the Telegram user. Type text to send it; type a number to press that button.

The help desk is on: a pretend volunteers' forum exists, and ``:desk`` switches the terminal to it, as a
volunteer who is a moderator. There, text goes into the current ticket's topic (the newest one; ``:topic N``
picks ticket #N), commands such as ``/answer bond`` or ``/close`` work, and a number presses a button of the
forum. ``:me`` switches back to the person, where the volunteer's answer has arrived.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TextIO

from bot import migrate
from bot.config import Settings
from bot.local_api import BotMessage, LocalBotApi

USER_ID = 100_001
VOLUNTEER_ID = 100_002
INTRO = """\
Asylum Navigator — offline try-out on a local Bot API server (no Telegram, no network, nothing kept).
Type a message (start with /start). A number presses that button. ":lang en" or ":lang ru" changes the
language your pretend Telegram app reports. ":desk" makes you a volunteer in the help desk's forum
(":topic N" picks ticket #N there, ":me" makes you the person again). ":quit" or Ctrl-D leaves.
"""


def _format(message: BotMessage, edited: bool, where: str = "") -> tuple[str, list[dict]]:
    head = ("✏️  (edited)" if edited else "🤖") + (f" [{where}]" if where else "") + " "
    lines = [head + "─" * max(10, 60 - len(where)), message.text]
    buttons = [b for row in message.buttons for b in row]
    links = [link for link in message.links if link]
    if links:
        lines.append("   links: " + "  ".join(links))
    return "\n".join(lines), buttons


async def _settle(api: LocalBotApi, before: int, *, quiet: float = 0.35, limit: float = 8.0) -> None:
    """Wait until the bot has answered and gone quiet (no Bot API calls for ``quiet`` seconds)."""
    loop = asyncio.get_running_loop()
    start = last_change = loop.time()
    count = before
    while loop.time() - start < limit:
        await asyncio.sleep(0.05)
        if len(api.calls) != count:
            count, last_change = len(api.calls), loop.time()
        elif count != before and loop.time() - last_change >= quiet:
            return
        elif count == before and loop.time() - start >= 2 * quiet + 1:
            return


async def _wait_quietly(api: LocalBotApi, predicate, timeout: float = 5.0) -> None:  # noqa: ASYNC109
    try:
        await api.wait_for(predicate, timeout)
    except TimeoutError:
        pass


@dataclass
class _Screen:
    """What one side (the person's chat, or the forum) has already shown, and its current buttons."""

    chat_id: int
    shown: dict[int, int] = field(default_factory=dict)
    buttons: list[tuple[int, dict]] = field(default_factory=list)
    reactions: dict[int, list[str]] = field(default_factory=dict)

    def unseen(self, api: LocalBotApi) -> list[BotMessage]:
        return [m for m in api.bot_messages(self.chat_id)
                if not m.deleted and self.shown.get(m.message_id) != m.edits]


def _show(api: LocalBotApi, screen: _Screen, out, desk_chat: int | None = None) -> None:
    for message in screen.unseen(api):
        edited = message.message_id in screen.shown
        screen.shown[message.message_id] = message.edits
        where = ""
        if desk_chat is not None and message.message_thread_id is not None:
            where = api.topic(desk_chat, message.message_thread_id).name
        text, message_buttons = _format(message, edited, where)
        out(text)
        if message_buttons:
            screen.buttons = [(message.message_id, b) for b in message_buttons]
            for i, b in enumerate(message_buttons, start=1):
                suffix = f"  → {b['url']}" if "url" in b else ""
                out(f"   [{i}] {b['text']}{suffix}")
    if desk_chat is not None:  # the bot marks a volunteer's message 👍 once the person has it
        for (chat_id, message_id), by_actor in api.world.reactions.items():
            emoji = [r["emoji"] for reactions in by_actor.values() for r in reactions]
            if chat_id == desk_chat and emoji and screen.reactions.get(message_id) != emoji:
                screen.reactions[message_id] = emoji
                out(f"   ({''.join(emoji)} on your message {message_id}: the person has it)")


def _ticket_topics(api: LocalBotApi, desk_chat: int) -> list:
    return [t for t in api.topics(desk_chat) if t.name.startswith("#") and not t.deleted]


async def _prepare_desk(api: LocalBotApi, token: str, db_url: str) -> int:
    """A volunteers' forum with the bot as its administrator, and the volunteer a moderator."""
    from bot.db import Database
    from bot.moderation import service as moderation

    desk_chat = api.create_group("Volunteers (try-out)", owner_id=VOLUNTEER_ID, first_name="Volunteer",
                                 language_code="en")
    api.add_bot(desk_chat, by=VOLUNTEER_ID, admin=True, token=token)
    database = Database(db_url)
    try:
        async with database.session() as session:
            await moderation.add_moderator(session, VOLUNTEER_ID, added_by=VOLUNTEER_ID)
    finally:
        await database.dispose()
    return desk_chat


async def run_terminal(settings: Settings, *, language_code: str = "ru", stdin: TextIO | None = None,
                       stdout: TextIO | None = None) -> int:
    from bot.app import build_application

    stdin, stdout = stdin or sys.stdin, stdout or sys.stdout
    out = lambda text="": print(text, file=stdout, flush=True)  # noqa: E731
    with tempfile.TemporaryDirectory(prefix="navigator-try-") as tmp:
        async with LocalBotApi() as api:
            db_url = f"sqlite+aiosqlite:///{Path(tmp) / 'try.db'}"
            token = api.make_token()
            await migrate.upgrade(db_url)
            desk_chat = await _prepare_desk(api, token, db_url)
            local = replace(settings, token=token, api_url=api.url, database_url=db_url, webhook_url=None, ops_listen=None,
                            helpdesk_chat_id=desk_chat, dispatch_interval=min(settings.dispatch_interval, 0.5))
            application = build_application(local)
            await application.initialize()
            await application.post_init(application)  # run_polling would do this for us
            await application.start()
            await application.updater.start_polling(poll_interval=0, timeout=1)
            out(INTRO)
            person, forum = _Screen(USER_ID), _Screen(desk_chat)
            forum.shown.update({m.message_id: m.edits for m in api.bot_messages(desk_chat)})
            lang, as_volunteer, topic = language_code, False, None
            try:
                while True:
                    stdout.write("volunteer> " if as_volunteer else "you> ")
                    stdout.flush()
                    line = await asyncio.to_thread(stdin.readline)
                    if not line:
                        out()
                        break
                    line = line.strip()
                    if not line:
                        continue
                    if line in (":quit", ":q", ":exit"):
                        break
                    if line.startswith(":lang"):
                        lang = ([*line.split(), "ru"])[1][:8]
                        out(f"(your Telegram app now reports language_code={lang})")
                        continue
                    if line in (":desk", ":me") or line.startswith(":topic"):
                        as_volunteer = line != ":me"
                        topics = _ticket_topics(api, desk_chat)
                        if line.startswith(":topic"):
                            wanted = f"#{line.removeprefix(':topic').strip().lstrip('#')} "
                            topic = next((t.message_thread_id for t in topics if (t.name + " ").startswith(wanted)),
                                         topic)
                        elif as_volunteer and (topic is None or topic not in [t.message_thread_id for t in topics]):
                            topic = topics[-1].message_thread_id if topics else None
                        if as_volunteer:
                            name = api.topic(desk_chat, topic).name if topic else "General (no ticket yet)"
                            out(f"(you are a volunteer in the forum; you write in «{name}»; "
                                f"topics: {', '.join(t.name for t in topics) or 'none'}; :me to go back)")
                        else:
                            out("(you are the person again)")
                        _show(api, forum if as_volunteer else person, out, desk_chat if as_volunteer else None)
                        continue
                    screen = forum if as_volunteer else person
                    before = len(api.calls)
                    if line.isdigit() and screen.buttons:
                        index = int(line) - 1
                        if not 0 <= index < len(screen.buttons):
                            out(f"(there are buttons 1–{len(screen.buttons)})")
                            continue
                        message_id, pressed = screen.buttons[index]
                        if "callback_data" not in pressed:
                            out(f"(a link button: {pressed.get('url')})")
                            continue
                        if as_volunteer:
                            api.member_presses(desk_chat, VOLUNTEER_ID, message_id, pressed["callback_data"])
                        else:
                            api.user_presses(USER_ID, message_id, pressed["callback_data"], language_code=lang)
                    elif as_volunteer:
                        posted = api.member_posts(desk_chat, VOLUNTEER_ID, line, thread_id=topic)
                        if not line.startswith("/"):  # the outbox delivers it in a moment; wait for the 👍
                            posted_id = posted["message_id"]
                            await _wait_quietly(api, lambda: api.reactions(desk_chat, posted_id)  # noqa: B023
                                                or forum.unseen(api))
                    else:
                        api.user_sends(USER_ID, line, language_code=lang, first_name="Try")
                    await _settle(api, before)
                    _show(api, screen, out, desk_chat if as_volunteer else None)
                    if not as_volunteer and forum.unseen(api):
                        out("   (the volunteers' forum has new posts: type :desk to see them as a volunteer)")
            finally:
                await application.updater.stop()
                await application.stop()
                await application.shutdown()
                await application.post_shutdown(application)
    return 0
