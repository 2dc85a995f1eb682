"""Benchmarks: each module is a script (``python -m bench.updates`` …) that prints a table of figures.

Everything runs offline against the in-process :class:`bot.local_api.LocalBotApi` on 127.0.0.1. This package
holds the pieces the scripts share: a throw-away database (a fresh SQLite file, or a fresh ``bench_<random>``
PostgreSQL database that is dropped afterwards), starting and stopping an Application by hand, a bare PTB
Application for baselines, percentiles and table printing. No thresholds live here: the scripts print figures.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import os
import secrets
import shlex
import sys
import tempfile
import time
import warnings
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy.engine import make_url
from telegram.ext import Application, ApplicationBuilder

PYTHON = sys.executable


# -- command line and output -----------------------------------------------------------------------------------
def parser(module: str, description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"python -m {module}", description=description,
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--database-url", default=None,
                   help="sqlite+aiosqlite:///path (a file that does not exist yet) or postgresql+asyncpg://user@host/db "
                        "(a fresh database bench_<random> is created on that server and dropped afterwards; "
                        "the named database is only used to connect). Default: a fresh SQLite file in a temp dir.")
    return p


def command_line(module: str) -> str:
    return f"cd {shlex.quote(os.getcwd())} && " + shlex.join([PYTHON, "-m", module, *sys.argv[1:]])


def percentile(values: Sequence[float], pct: float) -> float:
    """Linear-interpolated percentile (pct in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    k = (len(ordered) - 1) * pct / 100
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def fmt(value: float, digits: int = 1) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:,.{digits}f}"


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[str(c) for c in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))

    print(f"\n{title}")
    print(line(cells[0]))
    print("  ".join("-" * w for w in widths))
    for row in cells[1:]:
        print(line(row))


def quiet_logging() -> None:
    """Warnings and errors only, with the bot's PII floors (the benchmarks print their own figures)."""
    from bot.logs import apply_floors

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    apply_floors()
    logging.getLogger("telegram").setLevel(logging.WARNING)  # "Application started" lines
    # The bot's own ConversationHandlers trip PTB's generic per_message advice; it says nothing about speed.
    warnings.filterwarnings("ignore", message=r"If 'per_message=False'")


# -- databases -------------------------------------------------------------------------------------------------
async def _pg_admin(url: str, sql: str) -> None:
    import asyncpg

    u = make_url(url)
    conn = await asyncpg.connect(host=u.host or "127.0.0.1", port=u.port or 5432, user=u.username,
                                 password=u.password, database=u.database or "postgres")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@asynccontextmanager
async def scratch_database(url: str | None) -> AsyncIterator[str]:
    """A database nobody else uses, empty (not migrated); removed afterwards unless it was a named SQLite file."""
    if url is None:
        with tempfile.TemporaryDirectory(prefix="navigator-bench-") as tmp:
            yield f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        return
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database and Path(parsed.database).exists():
            raise SystemExit(f"refusing to use an existing SQLite file: {parsed.database} (give a new path)")
        yield url
        return
    if backend != "postgresql" or parsed.get_driver_name() != "asyncpg":
        raise SystemExit("--database-url must be sqlite+aiosqlite:///… or postgresql+asyncpg://…")
    if parsed.host not in (None, "127.0.0.1", "localhost", "::1"):
        raise SystemExit("the benchmarks run against 127.0.0.1 only")
    name = f"bench_{secrets.token_hex(4)}"
    await _pg_admin(url, f'CREATE DATABASE "{name}"')
    try:
        yield parsed.set(database=name).render_as_string(hide_password=False)
    finally:
        await _pg_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def describe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


async def prepare(url: str) -> None:
    """Migrations plus the content pack, as ``run`` would have them."""
    from bot.knowledge.pack import prepare_database

    await prepare_database(url)


# -- applications ----------------------------------------------------------------------------------------------
class CountingApplication(Application):
    """A bare PTB Application that counts handled updates, like ``NavigatorApplication.updates_done``."""

    updates_done: int = 0

    async def process_update(self, update: object) -> None:
        try:
            await super().process_update(update)
        finally:
            self.updates_done += 1


class Handled:
    """Counts the updates an application has finished and wakes whoever waits for that.

    ``LocalBotApi.wait_for`` only wakes on Bot API traffic, and nothing reaches the API when an update is finished:
    a waiter on ``updates_done`` sleeps until the next long poll returns (up to its 1 s timeout). This wraps the
    application's ``process_update`` (PTB calls it through the instance) so "done" is seen the moment it happens.
    """

    def __init__(self, application: Application) -> None:
        self.count = 0
        self.at = 0.0  # perf_counter() of the last finished update
        self._event = asyncio.Event()
        original = application.process_update

        async def process_update(update: object) -> None:
            try:
                await original(update)
            finally:
                self.count += 1
                self.at = time.perf_counter()
                self._event.set()
                self._event = asyncio.Event()

        application.process_update = process_update

    async def wait(self, count: int, timeout: float) -> None:  # noqa: ASYNC109
        async with asyncio.timeout(timeout):
            while self.count < count:
                await self._event.wait()


# ``python -m bot run`` with one change: one person's flood limit lifted (a pretend user presses far faster than a
# person; the limit's check still runs for every update). bot.runner imports build_application when it starts.
_FLOOD_LIFTED = (
    "import dataclasses, sys, bot.app as a; build = a.build_application; "
    "a.build_application = lambda s, *x, **k: build(dataclasses.replace(s, flood_messages=1_000_000), *x, **k); "
    "from bot.__main__ import main; sys.exit(main(['run']))"
)


# For every bot a benchmark starts as a process: these benchmarks measure updates, not search, and with the embed
# extra installed the default (SEARCH_EMBED=auto) would load the model and embed the pack in the background, on the
# same two cores, while they measure (bench.search measures the embedding signal).
NO_EMBEDDING = {"SEARCH_EMBED": "off"}


def bot_process(module: str, env: dict[str, str], api_url: str, token: str, *, flood_lifted: bool = False):
    """A bot as its own process, as it runs in production (search lexical: NO_EMBEDDING): ``bot`` is ``python -m
    bot run``; any other module is run with ``python -m``. Stop it with :func:`stop_process`."""
    import subprocess

    if module == "bot":
        command = ["-c", _FLOOD_LIFTED] if flood_lifted else ["-m", "bot", "run"]
    else:
        command = ["-m", module]
    return subprocess.Popen([PYTHON, *command], cwd=Path(__file__).resolve().parent.parent,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, **NO_EMBEDDING, **env, "TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_URL": api_url,
                                 "LOG_LEVEL": "WARNING"})


def stop_process(process) -> None:
    """SIGTERM, as a service manager stops it; SIGKILL after 20 s."""
    import signal
    import subprocess

    process.send_signal(signal.SIGTERM)
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()


def process_cpu(process) -> float:
    """Seconds of CPU (user + system) the process has used so far."""
    import psutil

    times = psutil.Process(process.pid).cpu_times()
    return times.user + times.system


def api_calls(api, since: int) -> list[tuple[str, dict]]:
    """Requests a local Bot API received since index ``since`` of its call log, besides the long polls."""
    return [(method, params) for method, params in api.calls[since:] if method != "getUpdates"]


def bare_application(token: str, base_url: str, handlers: list) -> Application:
    """Stock ApplicationBuilder defaults (sequential updates, no rate limiter), pointed at the local API."""
    application = ApplicationBuilder().application_class(CountingApplication).token(token).base_url(base_url).build()
    application.add_handlers(handlers)
    return application


async def start_app(application: Application, *, drop_pending_updates: bool = False) -> float:
    """initialize → post_init → start → polling (poll_interval=0, timeout=1), as tests/conftest.py does.

    Returns the seconds it took.
    """
    started = time.perf_counter()
    await application.initialize()
    if application.post_init:
        await application.post_init(application)
    await application.start()
    await application.updater.start_polling(poll_interval=0, timeout=1, drop_pending_updates=drop_pending_updates)
    return time.perf_counter() - started


async def stop_app(application: Application) -> None:
    if application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
    await application.shutdown()
    if application.post_shutdown:
        await application.post_shutdown(application)


def request_params(body: bytes, content_type: str) -> dict[str, str]:
    """A Bot API request's parameters as a proxy in front of a bot sees them: replies go as JSON (bot/http.py),
    getUpdates form-encoded (PTB's httpx)."""
    import json
    from urllib.parse import parse_qs

    if content_type == "application/json":
        return {k: v if isinstance(v, str) else json.dumps(v) for k, v in json.loads(body or b"{}").items()}
    return {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}


class BotApiProxy:
    """An HTTP server between bot processes and the local Bot API; a subclass's ``forward`` watches or holds each
    call and passes it on with ``self.session`` to ``self.upstream`` (the standby benchmark and its tests)."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream

    async def forward(self, request):
        raise NotImplementedError

    async def start(self):
        from aiohttp import ClientSession, ClientTimeout, web

        self.session = ClientSession(timeout=ClientTimeout(total=None))
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self.forward)
        self.runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}"
        return self

    async def stop(self) -> None:
        await self.runner.cleanup()
        await self.session.close()
