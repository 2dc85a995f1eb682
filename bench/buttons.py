"""Button presses in the topic tree: how fast the bot answers ``t:<slug>`` presses, vs. a bare PTB baseline.

One user walks the whole topic tree as a person would: from /start, pressing only buttons that are on the
screen (``strict=True``), it reaches every topic stored in the database (menus, questions and answers), using
Back / Main menu / related buttons to get from one branch to the next. That walk records the sequence of presses
and, for /start and for each callback data, the Bot API requests ours made (answerCallbackQuery, editMessageText
— text, parse mode, keyboard, link preview options —, and any further parts of a long answer). The baseline is a
bare PTB Application (``bench/bare_bot.py``) that replays exactly those requests keyed by callback data, so it
shows the same screens with the same buttons and is pressed with ``strict=True`` as well; only the chat, message
and callback query ids are its own. Then, ``--runs`` times alternately (bare, ours, bare, ours …, each with a new
user and ``--warmup-walks`` walks first, as a long-running bot has seen every screen before), the walk is replayed
``--rounds`` times and measured. Every press's requests are compared with the recording, for both bots.

The walk and the recording are made with ours inside this process. The measured runs have each bot as its own
process by default — the bare bot as ``python -m bench.bare_bot`` with the recording in ``BARE_PAYLOAD``, ours as
``python -m bot run`` with one change, the flood limit lifted (one pretend user presses far faster than a person;
the limit's check still runs) — so the local Bot API's work is billed to neither, and the bot process's CPU per
press is printed. ``--in-process`` runs them next to the local Bot API instead.

Per press: "shown" = press → the first change of the chat is stored by the local API (the edited screen);
"done" = press → the application has finished the update (every part of a long answer sent); for a bot in its own
process: → the last of the press's recorded requests reached the local API.

    python -m bench.buttons [--runs 3] [--rounds 3] [--language ru] [--in-process] [--database-url …]
"""

from __future__ import annotations

import asyncio
import os
import platform
import re
import statistics
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import telegram
from sqlalchemy import select
from telegram.ext import Application

from bench import (
    Handled,
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
from bot.db import Database
from bot.knowledge.models import Topic
from bot.knowledge.pack import ROOT_SLUG
from bot.local_api import BotMessage, LocalBotApi

MODULE = "bench.buttons"
BARE_BOT_ID, OURS_BOT_ID = 920_001, 920_002
BARE_USER, OURS_USER, RECORD_USER = 300_000_001, 310_000_001, 320_000_001  # + run number
TOPIC_RE = re.compile(r"^t:([a-z0-9-]{1,40})$")
WAIT = 30.0
FLOOD_LIFTED = 1_000_000
TARGET = 80  # percent of the bare bot's presses/s (issue #8)
ERROR_TEXTS = ("что-то пошло не так", "something went wrong")


# -- one pretend user --------------------------------------------------------------------------------------------
@dataclass
class Press:
    data: str
    shown: float
    done: float
    calls: list[Call]
    message_id: int  # the message pressed


@dataclass
class Chat:
    """One pretend user. With ``app`` (in this process) a press is done when the application has finished the
    update; without (the bot is another process) when all the requests ``recorded`` for that press (and
    ``recorded_start`` for /start) have reached the local Bot API."""

    api: LocalBotApi
    app: Application | None
    token: str
    user_id: int
    language: str
    strict: bool
    recorded: dict[str, list[Call]] = field(default_factory=dict)
    recorded_start: list[Call] = field(default_factory=list)
    presses: list[Press] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.handled = Handled(self.app) if self.app is not None else None

    async def start(self) -> list[Call]:
        mark = len(self.api.calls)
        before = self.handled.count if self.handled else 0
        self.api.user_sends(self.user_id, "/start", language_code=self.language, token=self.token)
        if self.handled:
            await self.handled.wait(before + 1, WAIT)
        else:  # the process may still be starting: its first long poll picks the /start up
            await self.api.wait_for(lambda: len(self._own_calls(mark)) >= len(self.recorded_start), timeout=WAIT)
        self.screen()
        return self._own_calls(mark)

    def _own_calls(self, mark: int) -> list[Call]:
        return [(m, p) for m, p in api_calls(self.api, mark) if str(p.get("chat_id")) == str(self.user_id)]

    def screen(self) -> BotMessage:
        for message in reversed(self.api.bot_messages(self.user_id)):
            if message.buttons and not message.deleted:
                if any(e in message.text.lower() for e in ERROR_TEXTS):
                    raise RuntimeError(f"the bot answered with an error: {message.text[:200]!r}")
                return message
        raise RuntimeError("no message with buttons in the chat")

    async def press(self, data: str) -> Press:
        message = self.screen()
        before = {m.message_id: m.edits for m in self.api.bot_messages(self.user_id)}
        done_before, mark = self.handled.count if self.handled else 0, len(self.api.calls)
        expected = None if self.handled else len(self.recorded[data])
        shown: float | None = None
        done: float | None = None
        started = time.perf_counter()
        self.api.user_presses(self.user_id, message.message_id, data, token=self.token, strict=self.strict,
                              language_code=self.language)

        def changed() -> bool:
            nonlocal shown, done
            now = time.perf_counter()
            if shown is None and any(before.get(m.message_id) != m.edits for m in self.api.bot_messages(self.user_id)):
                shown = now
            if self.handled:
                return shown is not None or self.handled.count > done_before
            if done is None and len(api_calls(self.api, mark)) >= expected:
                done = now
            return done is not None

        await self.api.wait_for(changed, timeout=WAIT)
        if self.handled:
            await self.handled.wait(done_before + 1, WAIT)
            done = self.handled.at
        if shown is None:
            raise RuntimeError(f"pressing {data!r} changed nothing on screen")
        result = Press(data, shown - started, done - started, api_calls(self.api, mark), message.message_id)
        self.presses.append(result)
        return result


def _targets(message: BotMessage) -> list[str]:
    return [m[1] for row in message.buttons for b in row if (m := TOPIC_RE.match(b.get("callback_data", "")))]


def _route(graph: dict[str, list[str]], current: str, wanted: set[str]) -> list[str] | None:
    """The shortest chain of on-screen presses from ``current`` to any slug still wanted (BFS over seen screens)."""
    previous: dict[str, str | None] = {current: None}
    queue = deque([current])
    while queue:
        node = queue.popleft()
        for target in graph.get(node, []):
            if target in previous:
                continue
            previous[target] = node
            if target in wanted:
                path = [target]
                while (step := previous[path[-1]]) is not None and step != current:
                    path.append(step)
                return path[::-1]
            if target in graph:
                queue.append(target)
    return None


async def explore(chat: Chat, wanted: set[str]) -> tuple[list[str], set[str]]:
    """Walk until every wanted slug was shown; returns the presses made and the slugs never reached."""
    graph = {ROOT_SLUG: _targets(chat.screen())}
    current, todo, sequence = ROOT_SLUG, set(wanted) - {ROOT_SLUG}, []
    while todo and (path := _route(graph, current, todo)) is not None:
        for slug in path:
            await chat.press(f"t:{slug}")
            sequence.append(f"t:{slug}")
            current = slug
            todo.discard(slug)
            graph[slug] = _targets(chat.screen())
    return sequence, todo


@dataclass
class Figures:
    app: str
    presses: list[Press]
    seconds: float

    @property
    def rate(self) -> float:
        return len(self.presses) / self.seconds

    def row(self, label: str | None = None, presses: list[Press] | None = None) -> list[str]:
        presses = self.presses if presses is None else presses
        shown = [p.shown * 1e3 for p in presses]
        done = [p.done * 1e3 for p in presses]
        return [label or self.app, str(len(presses)), fmt(percentile(shown, 50)), fmt(percentile(shown, 95)),
                fmt(percentile(done, 50)), fmt(percentile(done, 95)), fmt(max(done))]


async def replay(chat: Chat, name: str, rounds: list[list[str]]) -> Figures:
    chat.presses.clear()
    started = time.perf_counter()
    for sequence in rounds:
        for data in sequence:
            await chat.press(data)
    return Figures(name, list(chat.presses), time.perf_counter() - started)


def recording(presses: list[Press], user_id: int) -> dict[str, list[Call]]:
    """Per callback data, the requests ours made for its last press; they must name only the user's chat, the
    pressed message and the callback query, or the bare bot could not replay them."""
    recorded: dict[str, list[Call]] = {}
    for press in presses:
        for method, params in press.calls:
            if (str(params.get("chat_id", user_id)) != str(user_id)
                    or int(params.get("message_id", press.message_id)) != press.message_id
                    or "reply_parameters" in params):
                raise RuntimeError(f"ours' {method} for {press.data} names another message: cannot be replayed")
        recorded[press.data] = press.calls
    return recorded


@dataclass
class Run:
    figures: Figures
    calls: float  # Bot API requests per press
    differ: int  # presses whose requests differ from the recording
    cpu: float | None  # ms of the bot process's CPU per press (separate processes only)


async def measure(api: LocalBotApi, name: str, token: str, user_id: int, args, walk: list[str], start: list[Call],
                  recorded: dict[str, list[Call]], *, application: Application | None = None,
                  process=None) -> Run:
    if application is not None:
        await start_app(application)
    try:
        chat = Chat(api, application, token, user_id, args.language, strict=True, recorded=recorded,
                    recorded_start=start)
        if comparable(await chat.start()) != comparable(start):
            raise RuntimeError(f"{name}: the /start screen differs from the recording")
        # After /start the chat shows the main menu: the walk as a cycle from there ends with the main menu again.
        cycle = [*walk[1:], walk[0]]
        for data in cycle * args.warmup_walks:  # a long-running bot has seen every screen before: caches warm
            await chat.press(data)
        await asyncio.sleep(0.2)
        mark = len(api.calls)
        cpu_before = process_cpu(process) if process else 0.0
        figures = await replay(chat, name, [cycle] * args.rounds)
        cpu = (process_cpu(process) - cpu_before) / len(figures.presses) * 1e3 if process else None
        calls = len(api_calls(api, mark)) / len(figures.presses)
    finally:
        if application is not None:
            await stop_app(application)
        if process is not None:
            stop_process(process)
    differ = sum(comparable(p.calls) != comparable(recorded[p.data]) for p in figures.presses)
    return Run(figures, calls, differ, cpu)


async def main_async(args) -> None:
    quiet_logging()
    async with scratch_database(args.database_url) as url:
        await prepare(url)
        database = Database(url)
        try:
            async with database.session() as session:
                kinds = {slug: kind for slug, kind in await session.execute(
                    select(Topic.slug, Topic.kind).where(Topic.hidden.is_(False)))}
        finally:
            await database.dispose()

        async with LocalBotApi() as api:
            ours_token, bare_token = api.make_token(OURS_BOT_ID), api.make_token(BARE_BOT_ID)

            def ours_app() -> Application:
                # One pretend user presses far faster than a person: the flood limit is lifted (as in the tests);
                # its check still runs for every press.
                return build_application(Settings(token=ours_token, database_url=url, api_url=api.url,
                                                  flood_messages=FLOOD_LIFTED))

            # The walk, and what ours sends for /start and for every press (its last one, from a full walk).
            application = ours_app()
            await start_app(application)
            try:
                chat = Chat(api, application, ours_token, RECORD_USER, args.language, strict=True)
                start = await chat.start()  # the requests for /start that name this chat
                sequence, unreached = await explore(chat, set(kinds))
                walk = [f"t:{ROOT_SLUG}", *sequence]
                await replay(chat, "recording", [walk])
                recorded = recording(chat.presses, RECORD_USER)
            finally:
                await stop_app(application)
            runs: list[dict[str, Run]] = []
            with tempfile.TemporaryDirectory(prefix="navigator-bench-") as tmp:
                payload = Path(tmp) / "payload.json"
                write_payload(payload, start, recorded)
                for i in range(args.runs):
                    common = (args, walk, start, recorded)
                    if args.in_process:
                        bare = bare_application(bare_token, api.base_url, Replayer.from_file(payload).handlers())
                        run = {"bare PTB": await measure(api, "bare PTB", bare_token, BARE_USER + i, *common,
                                                         application=bare)}
                        run["ours"] = await measure(api, "ours", ours_token, OURS_USER + i, *common,
                                                    application=ours_app())
                    else:
                        bare = bot_process("bench.bare_bot", {"BARE_PAYLOAD": str(payload),
                                                              "BARE_TRANSPORT": args.bare_transport}, api.url,
                                           bare_token)
                        run = {"bare PTB": await measure(api, "bare PTB", bare_token, BARE_USER + i, *common,
                                                         process=bare)}
                        ours = bot_process("bot", {"DATABASE_URL": url}, api.url, ours_token, flood_lifted=True)
                        run["ours"] = await measure(api, "ours", ours_token, OURS_USER + i, *common, process=ours)
                    runs.append(run)

    reached = set(kinds) - unreached
    print(f"\nButton presses — {platform.python_implementation()} {platform.python_version()}, "
          f"python-telegram-bot {telegram.__version__}, {os.cpu_count()} CPUs, database {describe_url(url)}")
    print(f"topics in the database: {len(kinds)} ({', '.join(f'{n} {k}' for k, n in _count(kinds.values()))}); "
          f"reached by on-screen buttons: {len(reached)}" + (f"; NOT reached: {sorted(unreached)}" if unreached else ""))
    methods = _count(m for calls in recorded.values() for m, _ in calls)
    print(f"one walk = {len(walk)} presses (t:{ROOT_SLUG} + exploration path; language {args.language}); ours' "
          f"requests recorded for {len(recorded)} callback data ({', '.join(f'{n} {m}' for m, n in methods)}) "
          "and replayed by the bare bot")
    print("bare bot's transport: " + ("aiohttp, as ours (bot/http.py)" if args.bare_transport == "aiohttp"
                                      else "httpx, stock PTB (ours sends through aiohttp, bot/http.py)"))
    print(f"{args.runs} runs alternately (bare, ours, …), each: a new user, /start, {args.warmup_walks} walk(s) "
          f"of warm-up, then {args.rounds} walks measured; "
          + ("both bots in this process, next to the local Bot API" if args.in_process else
             "each bot its own process (ours: python -m bot run, the flood limit lifted), so the local Bot API's "
             "work is billed to neither"))
    headers = ["run", "app", "presses", "seconds", "presses/s", "shown p50 ms", "shown p95 ms", "done p50 ms",
               "done p95 ms", "API calls/press", "≠ recording", "CPU ms/press"]
    rows = []
    for i, run in enumerate(runs, 1):
        for r in run.values():
            f = r.figures
            shown, done = [p.shown * 1e3 for p in f.presses], [p.done * 1e3 for p in f.presses]
            rows.append([i, f.app, len(f.presses), fmt(f.seconds, 2), fmt(f.rate), fmt(percentile(shown, 50)),
                         fmt(percentile(shown, 95)), fmt(percentile(done, 50)), fmt(percentile(done, 95)),
                         fmt(r.calls, 2), r.differ, "" if r.cpu is None else fmt(r.cpu, 2)])
    print_table("Per run and application (one user, presses back to back)", headers, rows)
    latency = ["app", "presses", "shown p50 ms", "shown p95 ms", "done p50 ms", "done p95 ms", "done max ms"]
    ours_all = Figures("ours", [p for run in runs for p in run["ours"].figures.presses], 0.0)
    by_kind = [ours_all.row(f"ours → {kind}", [p for p in ours_all.presses if kinds[p.data[2:]] == kind])
               for kind in ("menu", "question", "answer")]
    print_table("Ours by target kind (all runs)", latency, by_kind)
    pct = [100 * run["ours"].figures.rate / run["bare PTB"].figures.rate for run in runs]
    p50 = [percentile([p.done for p in run["ours"].figures.presses], 50)
           / percentile([p.done for p in run["bare PTB"].figures.presses], 50) for run in runs]
    cpus = [(run["bare PTB"].cpu, run["ours"].cpu) for run in runs]
    has_cpu = all(b and o for b, o in cpus)
    rows = [[i, f"{p:.0f}%", f"{q:.2f}×", *([f"{b:.2f}", f"{o:.2f}", f"{100 * b / o:.0f}%"] if has_cpu else [])]
            for i, (p, q, (b, o)) in enumerate(zip(pct, p50, cpus, strict=True), 1)]
    rows.append(["median", f"{statistics.median(pct):.0f}%", f"{statistics.median(p50):.2f}×",
                 *([f"{statistics.median(b for b, _ in cpus):.2f}", f"{statistics.median(o for _, o in cpus):.2f}",
                    f"{100 * statistics.median(b / o for b, o in cpus):.0f}%"] if has_cpu else [])])
    print_table("Ours/bare presses/s per run (and the bot process's CPU per press)",
                ["run", "ours/bare presses/s", "ours done-p50 ÷ bare's",
                 *(["bare CPU ms", "ours CPU ms", "bare/ours CPU"] if has_cpu else [])], rows)
    print(f"target ≥ {TARGET}%: met in {sum(p >= TARGET for p in pct)} of {len(pct)} runs")
    print(f"\ncommand: {command_line(MODULE)}")


def _count(values) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return sorted(counts.items())


def main() -> None:
    p = parser(MODULE, __doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=3, help="bare and ours, alternately, this many times each")
    p.add_argument("--bare-transport", choices=("httpx", "aiohttp"), default="httpx",
                   help="the bare bot's HTTP transport: PTB's stock httpx (default), or aiohttp as ours uses "
                        "(bot/http.py), which leaves only what our own layers add per update")
    p.add_argument("--rounds", type=int, default=3, help="measured walks through the whole tree per run")
    p.add_argument("--in-process", action="store_true",
                   help="run both bots inside this process, next to the local Bot API (default: own processes)")
    p.add_argument("--warmup-walks", type=int, default=1, help="walks per run before measuring (not counted)")
    p.add_argument("--language", choices=("ru", "en"), default="ru", help="the user's Telegram language")
    args = p.parse_args()
    if args.rounds < 1 or args.runs < 1 or args.warmup_walks < 0:
        p.error("--rounds and --runs must be ≥ 1, --warmup-walks ≥ 0")
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
