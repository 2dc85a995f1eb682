"""``python -m bot try``: chat with the real bot in a terminal, offline.

The real Application runs against the local Bot API server (``bot.local_api``) on 127.0.0.1, with a throw-away
SQLite database; the terminal plays the Telegram user. Type text to send it; type a number to press that button.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from bot import migrate
from bot.config import Settings
from bot.local_api import BotMessage, LocalBotApi

USER_ID = 100_001
INTRO = """\
Asylum Navigator — offline try-out on a local Bot API server (no Telegram, no network, nothing kept).
Type a message (start with /start). A number presses that button. ":lang en" or ":lang ru" changes the
language your pretend Telegram app reports. ":quit" or Ctrl-D leaves.
"""


def _format(message: BotMessage, edited: bool) -> tuple[str, list[dict]]:
    lines = [("✏️  (edited)" if edited else "🤖") + " " + "─" * 60, message.text]
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


async def run_terminal(settings: Settings, *, language_code: str = "ru", stdin: TextIO | None = None,
                       stdout: TextIO | None = None) -> int:
    from bot.app import build_application

    stdin, stdout = stdin or sys.stdin, stdout or sys.stdout
    out = lambda text="": print(text, file=stdout, flush=True)  # noqa: E731
    with tempfile.TemporaryDirectory(prefix="navigator-try-") as tmp:
        async with LocalBotApi() as api:
            db_url = f"sqlite+aiosqlite:///{Path(tmp) / 'try.db'}"
            local = replace(settings, token=api.make_token(), api_url=api.url, database_url=db_url, ops_listen=None,
                            webhook_url=None)
            await migrate.upgrade(db_url)
            application = build_application(local)
            await application.initialize()
            await application.post_init(application)  # run_polling would do this for us
            await application.start()
            await application.updater.start_polling(poll_interval=0, timeout=1)
            out(INTRO)
            shown: dict[int, int] = {}
            buttons: list[tuple[int, dict]] = []
            lang = language_code
            try:
                while True:
                    stdout.write("you> ")
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
                    before = len(api.calls)
                    if line.isdigit() and buttons:
                        index = int(line) - 1
                        if not 0 <= index < len(buttons):
                            out(f"(there are buttons 1–{len(buttons)})")
                            continue
                        message_id, pressed = buttons[index]
                        if "callback_data" not in pressed:
                            out(f"(a link button: {pressed.get('url')})")
                            continue
                        api.user_presses(USER_ID, message_id, pressed["callback_data"], language_code=lang)
                    else:
                        api.user_sends(USER_ID, line, language_code=lang, first_name="Try")
                    await _settle(api, before)
                    for message in api.bot_messages(USER_ID):
                        if message.deleted or shown.get(message.message_id) == message.edits:
                            continue
                        edited = message.message_id in shown
                        shown[message.message_id] = message.edits
                        text, message_buttons = _format(message, edited)
                        out(text)
                        if message_buttons:
                            buttons = [(message.message_id, b) for b in message_buttons]
                            for i, b in enumerate(message_buttons, start=1):
                                suffix = f"  → {b['url']}" if "url" in b else ""
                                out(f"   [{i}] {b['text']}{suffix}")
            finally:
                await application.updater.stop()
                await application.stop()
                await application.shutdown()
                await application.post_shutdown(application)
    return 0
