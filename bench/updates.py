"""/start throughput and latency: a bare PTB Application vs. the real bot, on the same local Bot API, same payload.

First our bot answers one /start (after one more for warm-up) and the Bot API requests it made for that user are
recorded (for /start today: one sendMessage — text, parse_mode, link_preview_options, reply_markup); the bare
baseline (``bench/bare_bot.py``) is given that recording and sends exactly those requests for every /start, so the
two differ only in what ours adds per update. The requests per /start are counted in every run, and the bare bot's
first reply is checked to carry the same parameters as ours.

Both bots poll the same :class:`LocalBotApi` (served from this process), each with its own token, one after the
other, ``--runs`` times alternately (bare, ours, bare, ours …, so machine load drifts alike for both). By
default each bot runs as its own process — ours as ``python -m bot run``, the baseline as ``python -m
bench.bare_bot`` — so the local Bot API's own work (parsing HTML, storing messages: Telegram's side) is not billed
to either bot; ``--in-process`` runs both inside this process instead. Every /start comes from a user the bot has
never seen (so ours creates the user's row), and latency is measured from ``user_sends`` to the moment the bot's reply
is stored by the local API.

* wave mode: ``--wave-size`` users send /start at once (default: all ``--users``), then we wait for every reply;
  updates/s is users ÷ (first send → last reply).
* sequential mode: one user at a time, the next one only after the reply arrived.

    python -m bench.updates [--runs 3] [--users 300] [--sequential 200] [--database-url …]

Printed per run and as medians: updates/s in each mode and ours/bare, the bot process's CPU per /start, and in how
many runs ours reached ≥ 80% of the bare bot's updates/s.

``--ops-overhead`` instead runs only our bot, ``--rounds`` times in each of three configurations (interleaved, so
machine load drifts across all of them alike): the operations endpoint off and updates confirmed as stock PTB does;
off with updates confirmed only once handled (the default); and on, with ``/metrics`` scraped every second (Prometheus
usually scrapes every 15 s). It prints the median CPU per /start, updates/s and latency of each, and the overhead.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import telegram
from telegram.ext import Application

from bench import (
    api_calls,
    bare_application,
    bot_process,
    command_line,
    describe_url,
    fmt,
    parser,
    percentile,
    prepare,
    print_table,
    process_cpu,
    quiet_logging,
    scratch_database,
    start_app,
    stop_app,
    stop_process,
)
from bench.bare_bot import Call, Replayer, comparable, write_payload
from bot.app import build_application
from bot.config import Settings
from bot.local_api import LocalBotApi

MODULE = "bench.updates"
BARE_BOT_ID, OURS_BOT_ID = 910_001, 910_002
BARE_USERS, OURS_USERS = 100_000_001, 200_000_001  # separate chats: bot_messages() is per chat, not per bot
EXPECT = "Asylum Navigator"  # in ours' /start text, so in the bare bot's copy of it too
WAIT = 120.0  # seconds; a hung bot fails the run instead of hanging it
TARGET = 80  # percent of the bare bot's updates/s (issue #8)
RECORD_USER = 900_000_001


@dataclass
class Figures:
    app: str
    mode: str
    updates: int
    seconds: float
    latencies: list[float]
    calls: float = float("nan")  # Bot API requests per update, besides getUpdates
    first_reply: list | None = None  # the requests for the bot's first /start (separate processes only)

    @property
    def rate(self) -> float:
        return self.updates / self.seconds if self.seconds else float("nan")


class Replies:
    """Sends /start as users and notes when each user's first reply shows up in the local API."""

    def __init__(self, api: LocalBotApi, token: str, expect: str) -> None:
        self.api, self.token, self.expect = api, token, expect
        self.sent: dict[int, float] = {}
        self.replied: dict[int, float] = {}

    def send(self, user_id: int) -> None:
        self.sent[user_id] = time.perf_counter()
        self.api.user_sends(user_id, "/start", language_code="ru", token=self.token)

    async def wait(self, user_ids: Iterable[int]) -> None:
        pending = {u for u in user_ids if u not in self.replied}

        def all_replied() -> bool:
            now = time.perf_counter()
            for user_id in list(pending):
                messages = self.api.bot_messages(user_id)
                if messages:
                    if self.expect not in messages[0].text:
                        raise RuntimeError(f"unexpected reply to /start: {messages[0].text[:200]!r}")
                    self.replied[user_id] = now
                    pending.discard(user_id)
            return not pending

        await self.api.wait_for(all_replied, timeout=WAIT)

    def latencies(self, user_ids: Iterable[int]) -> list[float]:
        return [self.replied[u] - self.sent[u] for u in user_ids]


def chat_calls(calls: list[Call], chat_id: int) -> list[Call]:
    return [(m, p) for m, p in calls if str(p.get("chat_id")) == str(chat_id)]


async def measure(api: LocalBotApi, name: str, token: str, expect: str, first_user: int, *, users: int,
                  wave_size: int, sequential: int, warmup: int) -> list[Figures]:
    replies = Replies(api, token, expect)
    ids = itertools.count(first_user)
    for _ in range(warmup):  # first-use costs (connections, compiled statements) are not what we measure
        user_id = next(ids)
        replies.send(user_id)
        await replies.wait([user_id])

    mark = len(api.calls)
    wave_users = [next(ids) for _ in range(users)]
    started = time.perf_counter()
    for i in range(0, users, wave_size):
        chunk = wave_users[i:i + wave_size]
        for user_id in chunk:
            replies.send(user_id)
        await replies.wait(chunk)
    waves = Figures(name, f"waves of {wave_size}", users, max(replies.replied[u] for u in wave_users) - started,
                    replies.latencies(wave_users))

    seq_users = [next(ids) for _ in range(sequential)]
    started = time.perf_counter()
    for user_id in seq_users:
        replies.send(user_id)
        await replies.wait([user_id])
    one_by_one = Figures(name, "sequential", sequential, time.perf_counter() - started, replies.latencies(seq_users))
    await asyncio.sleep(0.3)  # anything the bot still sends for the last update
    waves.calls = one_by_one.calls = len(api_calls(api, mark)) / (users + sequential)
    return [waves, one_by_one]


async def run_app(application: Application, api: LocalBotApi, name: str, token: str, expect: str, first_user: int,
                  **kw) -> tuple[list[Figures], float]:
    startup = await start_app(application)
    try:
        return await measure(api, name, token, expect, first_user, **kw), startup
    finally:
        await stop_app(application)


async def run_process(module: str, env: dict[str, str], api: LocalBotApi, name: str, token: str, expect: str,
                      first_user: int, during=None, **kw) -> tuple[list[Figures], float]:
    """The bot as a separate process, as it runs in production; SIGTERM afterwards. Also returns the bot process's
    own CPU time per handled /start (ms), which the local Bot API's work cannot blur."""
    process = bot_process(module, env, api.url, token)
    try:
        # One /start first, so start-up (imports, migrations, content load) is not counted in the CPU figure.
        ready = Replies(api, token, expect)
        mark = len(api.calls)
        ready.send(first_user - 1)
        await ready.wait([first_user - 1])
        await asyncio.sleep(0.3)
        first_reply = chat_calls(api_calls(api, mark), first_user - 1)
        side = asyncio.create_task(during()) if during else None
        before = process_cpu(process)
        try:
            figures = await measure(api, name, token, expect, first_user, **kw)
        finally:
            after = process_cpu(process)
            if side:
                side.cancel()
        handled = kw["warmup"] + kw["users"] + kw["sequential"]
        cpu = (after - before) / handled * 1e3
        for f in figures:
            f.first_reply = first_reply
        return figures, cpu
    finally:
        stop_process(process)


async def record_ours(api: LocalBotApi, url: str, token: str, in_process: bool) -> list[Call]:
    """The requests ours makes for one /start from a new user (after one warm-up /start from another)."""
    async def record() -> list[Call]:
        replies = Replies(api, token, EXPECT)
        replies.send(RECORD_USER - 1)
        await replies.wait([RECORD_USER - 1])
        mark = len(api.calls)
        replies.send(RECORD_USER)
        await replies.wait([RECORD_USER])
        await asyncio.sleep(0.5)  # anything ours sends after the reply belongs to the update too
        calls = api_calls(api, mark)
        others = [m for m, p in calls if str(p.get("chat_id")) != str(RECORD_USER)]
        if others:
            raise RuntimeError(f"ours made calls for /start that name no chat, cannot be replayed: {others}")
        return calls

    if in_process:
        application = build_application(Settings(token=token, database_url=url, api_url=api.url))
        await start_app(application)
        try:
            return await record()
        finally:
            await stop_app(application)
    process = bot_process("bot", {"DATABASE_URL": url}, api.url, token)
    try:
        return await record()
    finally:
        stop_process(process)


async def main_async(args) -> None:
    quiet_logging()
    wave_size = args.wave_size or args.users
    kw = {"users": args.users, "wave_size": wave_size, "sequential": args.sequential, "warmup": args.warmup}
    runs: list[dict[str, tuple[list[Figures], float | None]]] = []
    offsets = itertools.count()
    async with scratch_database(args.database_url) as url:
        await prepare(url)
        async with LocalBotApi() as api:
            bare_token, ours_token = api.make_token(BARE_BOT_ID), api.make_token(OURS_BOT_ID)
            recorded = await record_ours(api, url, ours_token, args.in_process)
            with tempfile.TemporaryDirectory(prefix="navigator-bench-") as tmp:
                payload = os.path.join(tmp, "payload.json")
                write_payload(Path(payload), recorded)
                for _ in range(args.runs):
                    run: dict[str, tuple[list[Figures], float | None]] = {}
                    for name in ("bare PTB", "ours"):
                        bare = name == "bare PTB"
                        token = bare_token if bare else ours_token
                        first = (BARE_USERS if bare else OURS_USERS) + 100_000 * next(offsets)
                        if args.in_process:
                            app = (bare_application(token, api.base_url, Replayer.from_file(payload).handlers())
                                   if bare else build_application(Settings(token=token, database_url=url,
                                                                           api_url=api.url)))
                            figs, _ = await run_app(app, api, name, token, EXPECT, first, **kw)
                            run[name] = figs, None
                        else:
                            env = ({"BARE_PAYLOAD": payload, "BARE_TRANSPORT": args.bare_transport} if bare
                                   else {"DATABASE_URL": url})
                            run[name] = await run_process("bench.bare_bot" if bare else "bot", env, api, name,
                                                          token, EXPECT, first, **kw)
                    bare_first = run["bare PTB"][0][0].first_reply
                    if bare_first is not None and comparable(bare_first) != comparable(recorded):
                        raise RuntimeError(f"the bare bot's reply differs from ours: {comparable(bare_first)!r} "
                                           f"vs {comparable(recorded)!r}")
                    runs.append(run)

    print(f"\n/start throughput — {platform.python_implementation()} {platform.python_version()}, "
          f"python-telegram-bot {telegram.__version__}, {os.cpu_count()} CPUs, database {describe_url(url)}")
    print(f"bots run {'inside this process' if args.in_process else 'as separate processes'}, "
          f"{args.runs} runs alternately (bare, ours, …); warm-up: {args.warmup} /start per app and run (not "
          "counted); every /start is from a new user")
    print("bare bot's transport: " + ("aiohttp, as ours (bot/http.py)" if args.bare_transport == "aiohttp"
                                      else "httpx, stock PTB (ours sends through aiohttp, bot/http.py)"))
    sizes = ", ".join(f"{m} ({', '.join(k for k in p if k != 'chat_id')}; {len(str(p.get('text', '')))} chars of "
                      f"text, {sum(len(r) for r in (p.get('reply_markup') or {}).get('inline_keyboard', []))} "
                      "buttons)" for m, p in recorded)
    print(f"ours' requests for one /start, replayed by the bare bot for every /start: {sizes}"
          + ("; the bare bot's first reply checked: same parameters" if not args.in_process else ""))
    rows = []
    for i, run in enumerate(runs, 1):
        for figs, cpu in run.values():
            for j, f in enumerate(figs):
                rows.append([i, f.app, f.mode, f.updates, fmt(f.seconds, 2), fmt(f.rate),
                             fmt(percentile(f.latencies, 50) * 1e3), fmt(percentile(f.latencies, 95) * 1e3),
                             fmt(max(f.latencies) * 1e3), fmt(f.calls, 2) if j == 0 else "",
                             fmt(cpu, 2) if cpu is not None and j == 0 else ""])
    print_table("Per run and application", ["run", "app", "mode", "updates", "seconds", "updates/s", "p50 ms",
                                            "p95 ms", "max ms", "API calls/upd", "CPU ms/upd"], rows)
    modes = [f.mode for f in runs[0]["ours"][0]]
    pct = [[100 * o.rate / b.rate for b, o in zip(run["bare PTB"][0], run["ours"][0], strict=True)] for run in runs]
    cpus = [(run["bare PTB"][1], run["ours"][1]) for run in runs]
    has_cpu = all(b and o for b, o in cpus)
    ratio_rows = [[i, *(f"{p:.0f}%" for p in run_pct),
                   *([f"{b:.2f}", f"{o:.2f}", f"{100 * b / o:.0f}%"] if has_cpu else [])]
                  for i, (run_pct, (b, o)) in enumerate(zip(pct, cpus, strict=True), 1)]
    ratio_rows.append(["median", *(f"{statistics.median(p[k] for p in pct):.0f}%" for k in range(len(modes))),
                       *([f"{statistics.median(b for b, _ in cpus):.2f}", f"{statistics.median(o for _, o in cpus):.2f}",
                          f"{100 * statistics.median(b / o for b, o in cpus):.0f}%"] if has_cpu else [])])
    print_table("Ours/bare updates/s per run (and the bot process's CPU per /start)",
                ["run", *(f"{m} ours/bare" for m in modes),
                 *(["bare CPU ms", "ours CPU ms", "bare/ours CPU"] if has_cpu else [])], ratio_rows)
    for k, mode in enumerate(modes):
        met = sum(p[k] >= TARGET for p in pct)
        print(f"target ≥ {TARGET}% ({mode}): met in {met} of {len(pct)} runs")
    print(f"target ≥ {TARGET}% (both modes): met in {sum(all(x >= TARGET for x in p) for p in pct)} of {len(pct)} runs")
    print(f"\ncommand: {command_line(MODULE)}")


async def scrape_every_second(port: int) -> None:
    import httpx

    async with httpx.AsyncClient(timeout=5) as client:
        while True:
            response = await client.get(f"http://127.0.0.1:{port}/metrics")
            response.raise_for_status()
            await asyncio.sleep(1.0)


def hook_costs(n: int = 50_000) -> tuple[float, float]:
    """Microseconds the metrics add per update (as NavigatorApplication.process_update and the transport call
    them), and milliseconds one exposition takes, after traffic of a few kinds."""
    from telegram import Update

    from bot.ops.metrics import Metrics

    metrics = Metrics()
    update = Update.de_json({"update_id": 1, "message": {
        "message_id": 1, "date": 0, "text": "/start", "chat": {"id": 1, "type": "private"},
        "from": {"id": 1, "is_bot": False, "first_name": "x"}}}, None)
    sends, polls = metrics.bot_api_requests.labels("sendMessage"), metrics.bot_api_requests.labels("getUpdates")
    started = time.perf_counter()
    for _ in range(n):  # as bot.ops.transport counts them: one cached counter per method
        metrics.observe_update(update, 0.004)
        sends.inc()
        polls.inc()
    per_update = (time.perf_counter() - started) / n * 1e6
    for method in ("answerCallbackQuery", "editMessageText", "setMyCommands"):
        metrics.bot_api_requests.labels(method).inc()
    metrics.bot_api_errors.labels("sendMessage", "429").inc()
    started = time.perf_counter()
    for _ in range(200):
        metrics.exposition()
    return per_update, (time.perf_counter() - started) / 200 * 1e3


async def ops_overhead(args) -> None:
    import socket
    import statistics

    quiet_logging()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    configs = [
        ("endpoint off, stock confirm", {"OPS_LISTEN": "", "UPDATE_CONFIRM_WAIT_S": "0"}, None),
        ("endpoint off", {"OPS_LISTEN": ""}, None),
        ("endpoint on, scraped 1/s", {"OPS_LISTEN": f"127.0.0.1:{port}"}, lambda: scrape_every_second(port)),
    ]
    wave_size = args.wave_size or args.users
    kw = {"users": args.users, "wave_size": wave_size, "sequential": args.sequential, "warmup": args.warmup}
    results: dict[str, list[tuple[list[Figures], float]]] = {name: [] for name, _, _ in configs}
    run = itertools.count()
    async with scratch_database(args.database_url) as url:
        await prepare(url)
        async with LocalBotApi() as api:
            token = api.make_token(OURS_BOT_ID)
            for _ in range(args.rounds):
                for name, env, during in configs:
                    first = OURS_USERS + 100_000 * next(run)
                    results[name].append(await run_process("bot", {"DATABASE_URL": url, **env}, api, name, token,
                                                           EXPECT, first, during=during, **kw))
    print(f"\nOperations endpoint overhead — {platform.python_implementation()} {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, database {describe_url(url)}, {args.rounds} rounds per configuration (medians)")
    rows, cpu = [], {}
    for name, _, _ in configs:
        cpu[name] = statistics.median(c for _, c in results[name])
        for i, mode in enumerate(("waves", "sequential")):
            figs = [f[i] for f, _ in results[name]]
            rows.append([name, mode, fmt(statistics.median(f.rate for f in figs)),
                         fmt(statistics.median(percentile(f.latencies, 50) for f in figs) * 1e3),
                         fmt(statistics.median(percentile(f.latencies, 95) for f in figs) * 1e3),
                         fmt(cpu[name], 2) if i == 0 else ""])
    print_table("Our bot per configuration", ["configuration", "mode", "updates/s", "p50 ms", "p95 ms",
                                              "CPU ms/update"], rows)
    off, on, stock = cpu["endpoint off"], cpu["endpoint on, scraped 1/s"], cpu["endpoint off, stock confirm"]
    print(f"\nCPU per /start: endpoint on vs off {100 * (on - off) / off:+.1f}% (target ≤ +5%); "
          f"confirming after handling vs stock {100 * (off - stock) / stock:+.1f}% — whole-process figures, which "
          "move by several percent with the machine's load")
    hooks, scrape = hook_costs()
    print(f"What the endpoint adds, timed directly: {hooks:.1f} µs per update (the update's counters and histogram, "
          f"two Bot API calls counted) = {100 * hooks / (off * 1e3):.2f}% of the {off:.2f} ms CPU per /start; "
          f"one scrape of /metrics {scrape:.2f} ms, every 15 s in production")
    print(f"\ncommand: {command_line(MODULE)}")


def main() -> None:
    p = parser(MODULE, __doc__.split("\n\n")[0])
    p.add_argument("--users", type=int, default=300, help="users who each send /start in wave mode")
    p.add_argument("--wave-size", type=int, default=0, help="users per wave (0: all --users at once)")
    p.add_argument("--sequential", type=int, default=200, help="users who send /start one at a time")
    p.add_argument("--warmup", type=int, default=5, help="/start per app before measuring (not counted)")
    p.add_argument("--runs", type=int, default=3, help="bare and ours, alternately, this many times each")
    p.add_argument("--bare-transport", choices=("httpx", "aiohttp"), default="httpx",
                   help="the bare bot's HTTP transport: PTB's stock httpx (default), or aiohttp as ours uses "
                        "(bot/http.py), which leaves only what our own layers add per update")
    p.add_argument("--ops-overhead", action="store_true",
                   help="measure our bot with the operations endpoint off and on (see above) instead of bare vs ours")
    p.add_argument("--rounds", type=int, default=3, help="with --ops-overhead: runs per configuration")
    p.add_argument("--in-process", action="store_true",
                   help="run both bots inside this process, next to the local Bot API (default: own processes)")
    args = p.parse_args()
    if args.users < 1 or args.sequential < 1 or args.runs < 1 or args.wave_size < 0 or args.warmup < 0:
        p.error("--users, --sequential and --runs must be ≥ 1, --wave-size and --warmup ≥ 0")
    asyncio.run(ops_overhead(args) if args.ops_overhead else main_async(args))


if __name__ == "__main__":
    main()
