"""The desk as an operator and a newcomer meet it: `python -m bot check` on the staff group, and `python -m bot
try` playing the person and then the volunteer (`:desk`)."""

from __future__ import annotations

import asyncio
import os
import sys

from tests.conftest import ROOT
from tests.test_cli import run_cli

OWNER = 3001


async def test_check_verifies_the_staff_group(api, tmp_path):
    token = api.make_token(4711)
    forum = api.create_group("Volunteers", owner_id=OWNER)
    api.add_bot(forum, by=OWNER, admin=True, token=token)
    plain = api.create_group("No topics", owner_id=OWNER, forum=False)
    api.add_bot(plain, by=OWNER, admin=True, token=token)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_URL", "HELPDESK_"))}

    async def check(chat_id: int) -> tuple[int, str]:
        env = base | {"TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_URL": api.url, "HELPDESK_CHAT_ID": str(chat_id),
                      "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db"}
        process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "check", cwd=ROOT, env=env,
                                                       stdout=asyncio.subprocess.PIPE)
        out, _ = await process.communicate()
        return process.returncode, out.decode()

    code, out = await check(forum)
    assert "[ok] help desk: chat" in out, out
    code, out = await check(plain)
    assert code == 1 and "[FAIL] help desk" in out and "topics are off" in out
    assert token.split(":")[1] not in out


def test_try_plays_the_person_and_then_the_volunteer():
    script = "\n".join([
        "/ask", "1", "How do I find my brother after a transfer between detention centres?",
        ":desk", "Use the ICE detainee locator, locator.ice.gov.", ":me", ":quit", ""])
    result = run_cli("try", "--lang", "en", stdin=script, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    assert "Your question is with the volunteers: #1" in out
    assert "#1 · en ·" in out  # the forum topic, seen as a volunteer
    assert "👍 on your message" in out  # delivered
    person_view = out.split("(you are the person again)")[1]
    assert "Asylum Navigator volunteer · #1" in person_view and "locator.ice.gov" in person_view
