"""Hot standby under fire: SIGKILL the active bot again and again while people write, and count what they see.

Two ``python -m bot run`` processes share one PostgreSQL database and the local Bot API (served from this process).
A steady stream of /start from new people (``--rate`` per second) runs throughout. ``--kills`` times, once the
active process has caught up and after a random 1–3 s more of traffic, it is SIGKILLed; the takeover time is kill →
the standby's ``/readyz`` says active (it polls Telegram again); once the survivor has caught up, the killed process
is started again and waits as the new standby. At the end every person should have
exactly one answer: those with none are **lost**, those with two **answered twice**.

This runs twice: with updates confirmed to Telegram as stock PTB does (the next ``getUpdates`` at once,
``UPDATE_CONFIRM_WAIT_S=0``) and as the bot does by default (only once the previous batch is handled). The lost-update
window is lost updates per kill ÷ rate: how many seconds of traffic one crash throws away. Because a kill at a
random moment rarely hits a window of milliseconds, every update is also timed through a small proxy in front of
the bots: how long it was confirmed to Telegram while still unanswered (a crash then loses it), and how long it was
answered while still unconfirmed (a crash then has it answered twice); "expected lost per crash" is the rate times
the mean of the first.

    python -m bench.standby --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test [--kills 6] [--rate 10]
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

from bench import (
    NO_EMBEDDING,
    BotApiProxy,
    command_line,
    describe_url,
    fmt,
    parser,
    percentile,
    prepare,
    print_table,
    quiet_logging,
    request_params,
    scratch_database,
)
from bot.local_api import LocalBotApi, WaitTimeout

MODULE = "bench.standby"
ROOT = Path(__file__).resolve().parent.parent
BOT_ID = 930_001


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Bot:
    def __init__(self, env: dict[str, str], log_dir: Path, name: str) -> None:
        self.port = free_port()
        self.log = open(log_dir / f"{name}.log", "a")
        self.process = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=ROOT, stdout=subprocess.DEVNULL,
                                        stderr=self.log, env={**env, "OPS_LISTEN": f"127.0.0.1:{self.port}"})

    async def role(self, client: httpx.AsyncClient) -> str | None:
        try:
            response = await client.get(f"http://127.0.0.1:{self.port}/readyz")
            role = response.json().get("role")
            if response.status_code == 200:
                return "active"
            return "taking over" if role == "active" else role  # holds the lock, not polling yet
        except (httpx.HTTPError, ValueError):
            return None

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self.log.close()

    async def stop(self) -> None:
        """SIGTERM, waiting in a thread: this event loop serves the local Bot API the bot's last calls go to."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.to_thread(self.process.wait, 20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


async def wait_role(bot: Bot, role: str, client: httpx.AsyncClient, limit: float = 90) -> float:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if await bot.role(client) == role:
            return time.monotonic() - started
        if bot.process.poll() is not None:
            raise RuntimeError(f"the bot exited with {bot.process.returncode}; see its log")
        await asyncio.sleep(0.02)
    raise RuntimeError(f"no {role} process after {limit} s")


class TimingProxy(BotApiProxy):
    """Sits between the bots and the local Bot API and notes, for every update, when Telegram was told it may
    forget it (a getUpdates with a higher offset arrived) and when its answer was accepted (sendMessage returned)."""

    def __init__(self, upstream: str) -> None:
        super().__init__(upstream)
        self.polls: list[tuple[float, int]] = []  # (arrival, offset)
        self.chat_of: dict[int, int] = {}  # update_id -> chat id
        self.answered: dict[int, float] = {}  # chat id -> first accepted answer

    async def forward(self, request):
        import json

        from aiohttp import web

        method = request.path.rsplit("/", 1)[-1]
        try:
            body = await request.read()
        except ConnectionResetError:  # a bot killed mid-request
            return web.Response(status=499)
        form = request_params(body, request.content_type) if method in ("getUpdates", "sendMessage") else {}
        if method == "getUpdates":
            self.polls.append((time.monotonic(), int(form.get("offset", 0))))
        headers = {"Content-Type": request.headers.get("Content-Type", "application/octet-stream")}
        async with self.session.request(request.method, self.upstream + request.path_qs, data=body,
                                        headers=headers) as resp:
            payload = await resp.read()
            status = resp.status
        if status == 200 and method == "sendMessage":
            self.answered.setdefault(int(form["chat_id"]), time.monotonic())
        elif status == 200 and method == "getUpdates":
            for update in json.loads(payload)["result"]:
                if "message" in update:
                    self.chat_of[update["update_id"]] = update["message"]["chat"]["id"]
        return web.Response(body=payload, status=status, headers={"Content-Type": "application/json"})

    def windows(self) -> tuple[list[float], list[float]]:
        """Per answered update: seconds confirmed but not yet answered (a crash then loses it), and seconds answered
        but not yet confirmed (a crash then has it answered twice)."""
        lost, twice = [], []
        polls = sorted(self.polls)
        for update_id, chat in self.chat_of.items():
            confirmed = next((t for t, offset in polls if offset > update_id), None)
            answered = self.answered.get(chat)
            if confirmed is None or answered is None:
                continue
            lost.append(max(0.0, answered - confirmed))
            twice.append(max(0.0, confirmed - answered))
        return lost, twice


@dataclass
class Result:
    label: str
    sent: int = 0
    kills: int = 0
    lost: int = 0
    twice: int = 0
    takeovers: list[float] = field(default_factory=list)
    lost_windows: list[float] = field(default_factory=list)
    twice_windows: list[float] = field(default_factory=list)


async def scenario(label: str, confirm_wait: str, url: str, args, log_dir: Path, users) -> Result:
    result = Result(label)
    async with LocalBotApi() as api:
        proxy = await TimingProxy(api.url).start()
        token = api.make_token(BOT_ID)
        base = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_URL", "OPS_"))}
        env = {**base, **NO_EMBEDDING, "TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_URL": proxy.url, "DATABASE_URL": url,
               "LOG_LEVEL": "WARNING", "UPDATE_CONFIRM_WAIT_S": confirm_wait}
        names = itertools.count()
        async with httpx.AsyncClient(timeout=5) as client:
            active = Bot(env, log_dir, f"{label}-{next(names)}")
            await wait_role(active, "active", client)
            standby = Bot(env, log_dir, f"{label}-{next(names)}")
            await wait_role(standby, "standby", client)
            sent: list[int] = []
            stop = asyncio.Event()

            async def traffic() -> None:
                gap = 1.0 / args.rate
                next_at = time.monotonic()
                while not stop.is_set():
                    user_id = next(users)
                    api.user_sends(user_id, "/start", token=token)
                    sent.append(user_id)
                    next_at += gap
                    await asyncio.sleep(max(0.0, next_at - time.monotonic()))

            task = asyncio.create_task(traffic())

            # Everyone in sent[checked_from:answered_upto] has an answer. Those who wrote before the last kill are
            # skipped: some of them are lost for good (that is what is being measured), and waiting for them would
            # wait forever.
            answered_upto = checked_from = 0

            def answered(upto: int) -> bool:
                nonlocal answered_upto
                answered_upto = max(answered_upto, checked_from)
                while answered_upto < upto and api.bot_messages(sent[answered_upto]):
                    answered_upto += 1
                return answered_upto >= upto

            async def caught_up() -> None:
                """The active process has answered everyone who wrote since the last kill, up to half a second ago
                (or 30 s passed: then it is overloaded, and the figures say so)."""
                upto = max(0, len(sent) - int(args.rate / 2))
                with contextlib.suppress(WaitTimeout):
                    await api.wait_for(lambda: answered(upto), timeout=30)

            try:
                for _ in range(args.kills):
                    await caught_up()
                    await asyncio.sleep(random.uniform(1.0, 3.0))  # steady traffic, then the crash
                    active.kill()
                    checked_from = len(sent)
                    result.kills += 1
                    result.takeovers.append(await wait_role(standby, "active", client, limit=60))
                    await asyncio.sleep(3.0)  # the backlog from before the kill is answered meanwhile
                    # The killed one comes back as the new standby once the survivor has caught up, so the next
                    # kill falls in steady traffic, not in a machine busy starting Python.
                    await caught_up()
                    active, standby = standby, Bot(env, log_dir, f"{label}-{next(names)}")
                    await wait_role(standby, "standby", client)
                await asyncio.sleep(1.0)
            finally:
                stop.set()
                await task
            # Let the survivor answer everything it got, then count.
            with contextlib.suppress(WaitTimeout):
                await api.wait_for(lambda: answered(len(sent)), timeout=30)
            await asyncio.sleep(2.0)
            await active.stop()
            await standby.stop()
        await proxy.stop()
        result.lost_windows, result.twice_windows = proxy.windows()
        result.sent = len(sent)
        counts = [len(api.bot_messages(u)) for u in sent]
        result.lost = sum(1 for c in counts if c == 0)
        result.twice = sum(1 for c in counts if c > 1)
    return result


async def main_async(args) -> None:
    quiet_logging()
    if args.database_url is None or make_url(args.database_url).get_backend_name() != "postgresql":
        raise SystemExit("the hot standby needs PostgreSQL: --database-url postgresql+asyncpg://user@127.0.0.1/db")
    random.seed(args.seed)
    users = itertools.count(780_000_001)
    results = []
    with tempfile.TemporaryDirectory(prefix="navigator-standby-") as tmp:
        for label, wait in (("stock PTB confirm", "0"), ("confirm after handling", "2")):
            async with scratch_database(args.database_url) as url:
                await prepare(url)
                results.append(await scenario(label, wait, url, args, Path(tmp), users))
    print(f"\nHot standby: {args.kills} SIGKILLs of the active process under {args.rate:g} /start per second — "
          f"{os.cpu_count()} CPUs, database {describe_url(url)}")
    rows = []
    for r in results:
        per_kill = r.lost / r.kills if r.kills else float("nan")
        rows.append([r.label, r.sent, r.kills, r.lost, r.twice, fmt(per_kill, 2), fmt(per_kill / args.rate * 1e3, 0),
                     fmt(percentile(r.takeovers, 50), 2), fmt(max(r.takeovers), 2)])
    print_table("SIGKILLs", ["mode", "updates", "kills", "lost", "answered twice", "lost per kill",
                             "lost window ms", "takeover p50 s", "takeover max s"], rows)
    rows = []
    for r in results:
        lost, twice = r.lost_windows, r.twice_windows
        exposed = sum(1 for w in lost if w > 0)
        rows.append([r.label, len(lost), exposed, fmt(percentile(lost, 50) * 1e3), fmt(percentile(lost, 95) * 1e3),
                     fmt(max(lost) * 1e3), fmt(percentile(twice, 50) * 1e3), fmt(percentile(twice, 95) * 1e3),
                     fmt(args.rate * sum(lost) / len(lost), 2) if lost else "n/a"])
    print_table("Every update: confirmed to Telegram but not yet answered (lost by a crash then), and answered but not "
                "yet confirmed (answered twice after a crash then)",
                ["mode", "updates", "confirmed unanswered", "lost win p50 ms", "p95 ms", "max ms",
                 "twice win p50 ms", "p95 ms", "expected lost per crash"], rows)
    print(f"\ncommand: {command_line(MODULE)}")


def main() -> None:
    p = parser(MODULE, __doc__.split("\n\n")[0])
    p.add_argument("--kills", type=int, default=6, help="SIGKILLs of the active process per mode")
    p.add_argument("--rate", type=float, default=10.0, help="/start per second from new people, throughout")
    p.add_argument("--seed", type=int, default=1, help="random seed for the moments of the kills")
    args = p.parse_args()
    if args.kills < 1 or args.rate <= 0:
        p.error("--kills ≥ 1 and --rate > 0")
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
