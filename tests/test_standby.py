"""Two real ``python -m bot run`` processes: a hot standby on PostgreSQL, one process only on SQLite.

The local Bot API runs in this test process; each bot is a subprocess talking to it over HTTP. To kill the active
process *mid-handling* (not between updates, where any design looks good) its traffic goes through a small proxy
that can hold every reply on its way to Telegram: the process has fetched updates and is answering them when it is
killed. What a user sees is then checked: every message answered exactly once, every reminder delivered once.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from bench import BotApiProxy, request_params
from bot.outbox import SENT
from bot.reminders.models import Reminder
from tests.conftest import BACKEND, ROOT, _pg_admin
from tests.helpers import eventually
from tests.test_outbox import seed
from tests.test_webhook import free_port

TAKEOVER_S = 10.0  # STANDBY_TAKEOVER_S, the default
pg_only = pytest.mark.skipif(BACKEND != "postgresql", reason="a hot standby needs PostgreSQL (set TEST_DATABASE_URL)")
_users = itertools.count(760_000_001)


class HoldingProxy(BotApiProxy):
    """Telegram as one bot process sees it, with a switch that holds every call except getUpdates forever."""

    def __init__(self, upstream: str) -> None:
        super().__init__(upstream)
        self.holding = False
        self.held: list[tuple[str, str | None]] = []  # (method, chat_id) of calls that never reached Telegram
        self._never = asyncio.Event()

    async def stop(self) -> None:
        self._never.set()
        await super().stop()

    async def forward(self, request: web.Request) -> web.Response:
        method = request.path.rsplit("/", 1)[-1]
        body = await request.read()
        if self.holding and method != "getUpdates":
            chat = request_params(body, request.content_type).get("chat_id")
            self.held.append((method, chat))
            await self._never.wait()
            return web.Response(status=502)
        headers = {"Content-Type": request.headers.get("Content-Type", "application/octet-stream")}
        async with self.session.request(request.method, self.upstream + request.path_qs, data=body,
                                        headers=headers) as resp:
            payload = await resp.read()
            return web.Response(body=payload, status=resp.status,
                                headers={"Content-Type": resp.headers.get("Content-Type", "application/json")})


class BotProcess:
    def __init__(self, tmp_path: Path, name: str, *, api_url: str, token: str, database_url: str, **env: str):
        self.port = free_port()
        self.log = tmp_path / f"{name}.log"
        base = {k: v for k, v in os.environ.items()
                if not k.startswith(("TELEGRAM_", "DATABASE_URL", "WEBHOOK_", "OPS_", "STANDBY_", "REMINDER_"))}
        self.env = {**base, "TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_URL": api_url, "DATABASE_URL": database_url,
                    "OPS_LISTEN": f"127.0.0.1:{self.port}", "LOG_LEVEL": "INFO", **env}
        self._log_file = open(self.log, "w")
        self.process = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=ROOT, env=self.env,
                                        stdout=subprocess.DEVNULL, stderr=self._log_file)

    async def readyz(self) -> tuple[int, dict] | None:
        try:
            async with httpx.AsyncClient(timeout=5) as client:
                response = await client.get(f"http://127.0.0.1:{self.port}/readyz")
                return response.status_code, response.json()
        except httpx.HTTPError:
            return None

    async def metrics(self) -> dict[tuple[str, tuple], float]:
        async with httpx.AsyncClient(timeout=5) as client:
            body = (await client.get(f"http://127.0.0.1:{self.port}/metrics")).text
        return {(s.name, tuple(sorted(s.labels.items()))): s.value
                for family in text_string_to_metric_families(body) for s in family.samples}

    async def wait_role(self, role: str, limit: float = 60) -> None:
        async def probe():
            got = await self.readyz()
            if self.process.poll() is not None:
                raise AssertionError(f"the bot process exited: {self.stderr()[-2000:]}")
            return got is not None and got[1].get("role") == role and (got[0] == 200) == (role == "active")
        await eventually(probe, limit=limit, interval=0.1)

    def stderr(self) -> str:
        if not self._log_file.closed:
            self._log_file.flush()
        return self.log.read_text()

    async def stop(self) -> int | None:
        """SIGTERM and wait — without blocking this event loop, which serves the local Bot API the bot's last
        calls go to."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.to_thread(self.process.wait, 20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                await asyncio.to_thread(self.process.wait, 5)
        self._log_file.close()
        return self.process.returncode


def answers(api, user_id: int) -> list[str]:
    return [m.text for m in api.bot_messages(user_id)]


def reminders_received(api, user_id: int) -> int:
    return sum(1 for m in api.bot_messages(user_id) if "rem:stop" in str(m.buttons))


async def all_sent(database) -> bool:
    async with database.session() as session:
        return await session.scalar(select(func.count()).select_from(Reminder).where(Reminder.status != SENT)) == 0


@pg_only
async def test_the_standby_takes_over_mid_traffic_and_mid_dispatch(api, database_url, database, tmp_path):
    token = api.make_token(5150)
    reminder_users = await seed(database, 60)
    api.register_chats(reminder_users, token=token)
    proxy = await HoldingProxy(api.url).start()
    # The bound on waiting for handling is lifted for the active process so the test controls the moment of the
    # kill; with a short bound a reply held for longer than that is confirmed and would be lost.
    common = {"REMINDER_DISPATCH_INTERVAL": "0.5", "STANDBY_TAKEOVER_S": str(TAKEOVER_S)}
    active = BotProcess(tmp_path, "a", api_url=proxy.url, token=token, database_url=database_url,
                        UPDATE_CONFIRM_WAIT_S="600", REMINDER_SEND_RATE="2", **common)  # 30 s of dispatching
    standby = None
    try:
        await active.wait_role("active")
        standby = BotProcess(tmp_path, "b", api_url=api.url, token=token, database_url=database_url,
                             REMINDER_SEND_RATE="20", **common)
        await standby.wait_role("standby")
        status, body = await standby.readyz()
        assert (status, body["failed"]) == (503, ["standby"])

        first = [next(_users) for _ in range(20)]
        for user_id in first:
            api.user_sends(user_id, "/start", token=token)
        await eventually(lambda: all(answers(api, u) for u in first), limit=30)
        await eventually(lambda: sum(reminders_received(api, u) for u in reminder_users) >= 3, limit=30)
        assert sum(reminders_received(api, u) for u in reminder_users) < len(reminder_users) - 5, \
            "the dispatch should still be going on"

        proxy.holding = True  # from now on the active process's replies and reminders never reach Telegram
        second = [next(_users) for _ in range(20)]
        for user_id in second:
            api.user_sends(user_id, "/start", token=token)
        await eventually(lambda: {str(u) for u in second} & {chat for _, chat in proxy.held}, limit=30)
        active.process.send_signal(signal.SIGKILL)  # mid-handling and mid-dispatch
        killed_at = time.monotonic()
        active.process.wait(10)
        third = [next(_users) for _ in range(10)]  # people keep writing while nobody is active
        for user_id in third:
            api.user_sends(user_id, "/start", token=token)

        await standby.wait_role("active", limit=TAKEOVER_S)
        takeover = time.monotonic() - killed_at
        everyone = first + second + third
        await eventually(lambda: all(answers(api, u) for u in everyone), limit=60)
        await eventually(lambda: all(reminders_received(api, u) for u in reminder_users), limit=60)
        await eventually(lambda: all_sent(database), limit=30)

        # Exactly once: the standby handled exactly the updates the dead process had not answered, no more.
        metrics = await standby.metrics()
        assert metrics[("navigator_updates_total", (("kind", "message"),))] == len(second) + len(third)
        assert [len(answers(api, u)) for u in everyone] == [1] * len(everyone)
        assert all("Где вы сейчас?" in answers(api, u)[0] for u in everyone)
        assert [reminders_received(api, u) for u in reminder_users] == [1] * len(reminder_users)
        # The rows the dead process had claimed were taken back at once, not after the 60 s lease.
        assert "rows claimed by a process that is gone" in standby.stderr()
        assert metrics[("navigator_standby_takeovers_total", ())] == 1
        print(f"takeover after SIGKILL: {takeover:.2f} s")
    finally:
        await active.stop()
        if standby is not None:
            assert await standby.stop() == 0, standby.stderr()[-2000:]
        await proxy.stop()


@pg_only
async def test_an_active_process_that_loses_its_lock_stops_at_once(api, database_url, tmp_path):
    token = api.make_token(5151)
    env = {"STANDBY_TAKEOVER_S": "5"}
    active = BotProcess(tmp_path, "a", api_url=api.url, token=token, database_url=database_url, **env)
    standby = None
    try:
        await active.wait_role("active")
        standby = BotProcess(tmp_path, "b", api_url=api.url, token=token, database_url=database_url, **env)
        await standby.wait_role("standby")
        name = database_url.rsplit("/", 1)[1]
        # Its lock connection is cut (a failover of the database, a firewall): another process may now hold the
        # lock, so the old one must not handle anything more.
        await _pg_admin(
            "SELECT pg_terminate_backend(l.pid) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
            f"WHERE l.locktype = 'advisory' AND l.classid = 1312904777 AND l.granted AND d.datname = '{name}'")
        assert await asyncio.to_thread(active.process.wait, 15) == 3
        assert "lost the standby lock connection" in active.stderr()
        await standby.wait_role("active", limit=30)
        api.user_sends(761_000_001, "/start", token=token)
        await eventually(lambda: answers(api, 761_000_001), limit=30)
        assert len(answers(api, 761_000_001)) == 1
    finally:
        await active.stop()
        if standby is not None:
            await standby.stop()


async def test_a_second_process_on_one_sqlite_file_refuses_to_start(api, tmp_path):
    token = api.make_token(5152)
    url = f"sqlite+aiosqlite:///{tmp_path / 'navigator.db'}"
    first = BotProcess(tmp_path, "a", api_url=api.url, token=token, database_url=url)
    try:
        await first.wait_role("active")
        second = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "bot", "run"], cwd=ROOT,
                                         env={**first.env, "OPS_LISTEN": ""}, capture_output=True, text=True,
                                         timeout=60)
        assert second.returncode == 1
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1, second.stderr
        assert lines[0].startswith("start-up failed: another bot process") and str(first.process.pid) in lines[0]
        # Killed outright, the first process leaves its lock file behind; it must not block a restart.
        first.process.send_signal(signal.SIGKILL)
        first.process.wait(10)
        assert (tmp_path / "navigator.db.lock").exists()
        third = BotProcess(tmp_path, "c", api_url=api.url, token=token, database_url=url)
        try:
            await third.wait_role("active")
            api.user_sends(762_000_001, "/start", token=token)
            await eventually(lambda: answers(api, 762_000_001), limit=30)
        finally:
            assert await third.stop() == 0
    finally:
        await first.stop()


async def test_a_process_that_starts_takes_back_the_claims_of_a_dead_one_at_once(api, database, settings):
    """Rows claimed by a process that is gone go out as soon as the next active process starts, not after the
    lease (here an hour) has run out."""
    from datetime import timedelta

    from sqlalchemy import update

    from bot.db import utcnow
    from bot.outbox import CLAIMED
    from tests.conftest import start_app, stop_app

    ids = await seed(database, 5)
    api.register_chats(ids, token=settings.token)
    async with database.session() as session:
        await session.execute(update(Reminder).values(status=CLAIMED, claim_token="4242-dead00.0123456789ab",
                                                      claimed_until=utcnow() + timedelta(hours=1)))
        await session.commit()
    application = await start_app(settings)
    try:
        await eventually(lambda: all(reminders_received(api, u) for u in ids), limit=30)
        await eventually(lambda: all_sent(database), limit=30)
        assert [reminders_received(api, u) for u in ids] == [1] * 5
    finally:
        await stop_app(application)


@pg_only
async def test_a_standby_stops_cleanly_while_it_waits(api, database_url, tmp_path):
    token = api.make_token(5153)
    active = BotProcess(tmp_path, "a", api_url=api.url, token=token, database_url=database_url)
    standby = None
    try:
        await active.wait_role("active")
        standby = BotProcess(tmp_path, "b", api_url=api.url, token=token, database_url=database_url)
        await standby.wait_role("standby")
        assert await standby.stop() == 0
        assert "stopped while waiting as the standby" in standby.stderr()
        await active.wait_role("active")  # untouched
    finally:
        assert await active.stop() == 0


@pg_only
async def test_a_form_begun_on_the_active_process_continues_on_the_standby(api, database_url, database, tmp_path):
    """The standby was started before the form began: it reads people's forms when it takes over, not when it
    started waiting."""
    from datetime import UTC, datetime, timedelta

    from handlers.reminders.ask import TIME
    from tests.test_forms_survive_restart import Chat, saved

    token = api.make_token(5154)
    active = BotProcess(tmp_path, "a", api_url=api.url, token=token, database_url=database_url)
    standby = None
    try:
        await active.wait_role("active")
        standby = BotProcess(tmp_path, "b", api_url=api.url, token=token, database_url=database_url)
        await standby.wait_role("standby")
        person = Chat(api, token, 763_000_001)
        await person.send("/remind")
        await person.press(":k:master")
        day = (datetime.now(UTC) + timedelta(days=40)).date()
        assert "What time" in (await person.send(day.strftime("%d.%m.%Y"))).text
        await saved(database, "reminder_form", 763_000_001, TIME)
        active.process.send_signal(signal.SIGKILL)
        active.process.wait(10)
        await standby.wait_role("active", limit=TAKEOVER_S)
        screen = await person.send("9:30")
        assert "Which immigration court" in screen.text, screen.text
    finally:
        await active.stop()
        if standby is not None:
            assert await standby.stop() == 0
