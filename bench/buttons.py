"""Button presses in the topic tree: how fast the bot answers ``t:<slug>`` presses, vs. a bare PTB baseline.

One user walks the whole topic tree as a person would: from /start, pressing only buttons that are on the
screen (``strict=True``), it reaches every topic stored in the database (menus, questions and answers), using
Back / Main menu / related buttons to get from one branch to the next. That walk is the warm-up and records the
sequence of presses; it is then replayed ``--rounds`` times and measured. The baseline is a bare PTB Application
whose CallbackQueryHandler answers the query and edits the message to a fixed text with 3 buttons; it gets the
same sequence of callback data, in the same run (its buttons differ, so it is pressed with ``strict=False``).

Per press: "shown" = press → the first change of the chat is stored by the local API (the edited screen);
"done" = press → the application has finished the update (every part of a long answer sent).

    python -m bench.buttons [--rounds 3] [--language ru] [--database-url …]
"""

from __future__ import annotations

import asyncio
import os
import platform
import re
import time
from collections import deque
from dataclasses import dataclass, field

import telegram
from sqlalchemy import select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from bench import (
    Handled,
    bare_application,
    command_line,
    describe_url,
    fmt,
    parser,
    percentile,
    prepare,
    print_table,
    quiet_logging,
    scratch_database,
    start_app,
    stop_app,
)
from bot.app import build_application
from bot.config import Settings
from bot.db import Database
from bot.knowledge.models import Topic
from bot.knowledge.pack import ROOT_SLUG
from bot.local_api import BotMessage, LocalBotApi

MODULE = "bench.buttons"
BARE_BOT_ID, OURS_BOT_ID = 920_001, 920_002
BARE_USER, OURS_USER = 300_000_001, 300_000_002
TOPIC_RE = re.compile(r"^t:([a-z0-9-]{1,40})$")
WAIT = 30.0
BARE_WARMUP = 10
ERROR_TEXTS = ("что-то пошло не так", "something went wrong")


# -- the baseline ------------------------------------------------------------------------------------------------
def _bare_markup() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=f"t:{slug}")]
                                 for label, slug in (("One", "one"), ("Two", "two"), ("Three", "three"))])


async def bare_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_chat.send_message("Pick a topic.", reply_markup=_bare_markup())


async def bare_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    n = context.bot_data["presses"] = context.bot_data.get("presses", 0) + 1
    await query.answer()
    # The text changes every time: an identical edit is "message is not modified" on Telegram.
    await query.edit_message_text(f"Screen {n}: {query.data}", reply_markup=_bare_markup())


# -- one pretend user --------------------------------------------------------------------------------------------
@dataclass
class Press:
    data: str
    shown: float
    done: float


@dataclass
class Chat:
    api: LocalBotApi
    app: Application
    token: str
    user_id: int
    language: str
    strict: bool
    presses: list[Press] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.handled = Handled(self.app)

    async def start(self) -> None:
        before = self.handled.count
        self.api.user_sends(self.user_id, "/start", language_code=self.language, token=self.token)
        await self.handled.wait(before + 1, WAIT)
        self.screen()

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
        done_before = self.handled.count
        shown: float | None = None
        started = time.perf_counter()
        self.api.user_presses(self.user_id, message.message_id, data, token=self.token, strict=self.strict,
                              language_code=self.language)

        def changed() -> bool:
            nonlocal shown
            if any(before.get(m.message_id) != m.edits for m in self.api.bot_messages(self.user_id)):
                shown = time.perf_counter()
            return shown is not None or self.handled.count > done_before

        await self.api.wait_for(changed, timeout=WAIT)
        await self.handled.wait(done_before + 1, WAIT)
        if shown is None:
            raise RuntimeError(f"pressing {data!r} changed nothing on screen")
        result = Press(data, shown - started, self.handled.at - started)
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
            ours = build_application(Settings(token=ours_token, database_url=url, api_url=api.url))
            await start_app(ours)
            try:
                chat = Chat(api, ours, ours_token, OURS_USER, args.language, strict=True)
                await chat.start()
                sequence, unreached = await explore(chat, set(kinds))
                walk = [f"t:{ROOT_SLUG}", *sequence]
                ours_figs = await replay(chat, "ours", [walk] * args.rounds)
            finally:
                await stop_app(ours)

            bare = bare_application(bare_token, api.base_url, [CommandHandler("start", bare_start),
                                                               CallbackQueryHandler(bare_press)])
            await start_app(bare)
            try:
                chat = Chat(api, bare, bare_token, BARE_USER, args.language, strict=False)
                await chat.start()
                for data in walk[:BARE_WARMUP]:
                    await chat.press(data)
                bare_figs = await replay(chat, "bare PTB", [walk] * args.rounds)
            finally:
                await stop_app(bare)

    reached = set(kinds) - unreached
    print(f"\nButton presses — {platform.python_implementation()} {platform.python_version()}, "
          f"python-telegram-bot {telegram.__version__}, {os.cpu_count()} CPUs, database {describe_url(url)}")
    print(f"topics in the database: {len(kinds)} ({', '.join(f'{n} {k}' for k, n in _count(kinds.values()))}); "
          f"reached by on-screen buttons: {len(reached)}" + (f"; NOT reached: {sorted(unreached)}" if unreached else ""))
    print(f"one walk = {len(walk)} presses (t:{ROOT_SLUG} + exploration path; language {args.language}); "
          f"warm-up: ours 1 walk, bare {BARE_WARMUP} presses; measured: {args.rounds} walks each")
    headers = ["app", "presses", "shown p50 ms", "shown p95 ms", "done p50 ms", "done p95 ms", "done max ms"]
    print_table("Latency per press", headers, [bare_figs.row(), ours_figs.row()])
    by_kind = [ours_figs.row(f"ours → {kind}", [p for p in ours_figs.presses if kinds[p.data[2:]] == kind])
               for kind in ("menu", "question", "answer")]
    print_table("Ours by target kind", headers, by_kind)
    rate_pct = 100 * ours_figs.rate / bare_figs.rate
    p50_ratio = percentile([p.done for p in ours_figs.presses], 50) / percentile([p.done for p in bare_figs.presses], 50)
    print_table("Throughput (one user, presses back to back)", ["app", "presses", "seconds", "presses/s"],
                [[f.app, len(f.presses), fmt(f.seconds, 2), fmt(f.rate)] for f in (bare_figs, ours_figs)])
    print(f"\nours/bare presses/s: {rate_pct:.0f}%; ours done-p50 is {p50_ratio:.1f}× bare's")
    print(f"\ncommand: {command_line(MODULE)}")


def _count(values) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return sorted(counts.items())


def main() -> None:
    p = parser(MODULE, __doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=3, help="measured walks through the whole tree")
    p.add_argument("--language", choices=("ru", "en"), default="ru", help="the user's Telegram language")
    args = p.parse_args()
    if args.rounds < 1:
        p.error("--rounds must be ≥ 1")
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
