"""Reminders: the database outbox vs. the naive design of one in-memory APScheduler job per reminder.

1. Start-up and peak RSS, each in a fresh subprocess of this script so memory is clean, at ``--small`` and at
   ``--subscriptions`` subscriptions (4 pending reminders each, bulk-inserted, all due months ahead):
   * ours: ``build_application`` → initialize → post_init → start → polling, until the reminder dispatcher job
     has run once; then the cost of one idle dispatcher tick (the claim query over every stored row);
   * naive: read every pending reminder, then one ``AsyncIOScheduler.add_job(trigger="date")`` per reminder
     (added before ``start()`` and in due order: the cheapest way for APScheduler 3), then ``start()``.
2. Sustained send rate: ``--due`` reminders made due now; the real application's dispatcher job
   (``--dispatch jobqueue``, the default) or a fixed-rate loop around the outbox ``Dispatcher`` (``--dispatch loop``)
   sends them with dispatch interval 1.0 s at 25 messages/s; messages/s is measured from the rows' ``sent_at``.
3. Lateness: ``--staggered`` reminders due at evenly spread times over ``--window`` seconds, interval 1.0 s, pace
   30/s (nothing throttles); lateness = ``sent_at − scheduled_for``.

    python -m bench.reminders [--subscriptions 100000] [--small 10000] [--dispatch jobqueue|loop] [--database-url …]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import math
import os
import platform
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
import telegram
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import bindparam, func, insert, select, text, update
from telegram import Bot

from bench import (
    PYTHON,
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
from bot.db import Database, utcnow
from bot.local_api import LocalBotApi
from bot.models import User
from bot.outbox import CLAIMED, PENDING, SENT, Dispatcher, Pacer
from bot.reminders import messages
from bot.reminders.models import ACTIVE, LEAD, Reminder, Subscription
from bot.reminders.outbox import ReminderFeed

MODULE = "bench.reminders"
BOT_ID = 930_001
USER_BASE = 400_000_000
SUBS_PER_USER = 5  # so the reminders of one send test go to different people
LEADS = (("7d", timedelta(days=7)), ("2d", timedelta(days=2)), ("1d", timedelta(days=1)),
         ("morning", timedelta(hours=2)))  # "morning" approximated as 2 h before: only the row count matters here
EVENT_AHEAD = timedelta(days=400)
CHUNK = 5_000
INTERVAL = 1.0
SEND_RATE, LATENESS_RATE = 25.0, 30.0
IDLE_TICKS = 20


# -- data -------------------------------------------------------------------------------------------------------
def reminder_id(sub_index: int, lead_index: int = 0) -> int:
    return sub_index * len(LEADS) + lead_index + 1


def user_of(sub_index: int) -> int:
    return USER_BASE + sub_index // SUBS_PER_USER


async def insert_subscriptions(database: Database, start: int, stop: int, now: datetime) -> None:
    """Subscriptions ``start``..``stop-1`` (0-based), their users and 4 pending reminders each, with Core inserts."""
    users, subs, rems = User.__table__, Subscription.__table__, Reminder.__table__
    async with database.engine.begin() as conn:
        first_user, last_user = -(-start // SUBS_PER_USER), -(-stop // SUBS_PER_USER)
        for lo in range(first_user, last_user, CHUNK):
            await conn.execute(insert(users), [
                {"id": USER_BASE + u, "locale": "ru" if u % 2 == 0 else "en", "created_at": now, "last_seen_at": now,
                 "blocked": False, "timezone": None if u % 3 else "America/Chicago"}
                for u in range(lo, min(lo + CHUNK, last_user))])
        for lo in range(start, stop, CHUNK):
            batch = range(lo, min(lo + CHUNK, stop))
            events = {i: now + EVENT_AHEAD + timedelta(seconds=30 * i) for i in batch}
            await conn.execute(insert(subs), [
                {"id": i + 1, "user_id": user_of(i), "form_id": f"bench{i:011d}", "kind": "master",
                 "event_at": events[i], "tz": "America/New_York", "court_id": None, "label": None,
                 "leads": [lead for lead, _ in LEADS], "decision_on": None, "status": ACTIVE, "created_at": now}
                for i in batch])
            await conn.execute(insert(rems), [
                {"id": reminder_id(i, k), "subscription_id": i + 1, "user_id": user_of(i), "kind": LEAD, "lead": lead,
                 "scheduled_for": events[i] - ahead, "due_at": events[i] - ahead, "status": PENDING,
                 "claim_token": None, "claimed_until": None, "attempts": 0, "last_error": None, "late": False,
                 "sent_at": None}
                for i in batch for k, (lead, ahead) in enumerate(LEADS)])
        if conn.dialect.name == "postgresql":  # explicit ids: move the sequences past them
            for table in ("subscriptions", "reminders"):
                await conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                        f"(SELECT max(id) FROM {table}))"))
    if database.dialect == "postgresql":
        async with database.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("ANALYZE"))


async def make_due(database: Database, due: dict[int, datetime]) -> None:
    table = Reminder.__table__
    async with database.engine.begin() as conn:
        await conn.execute(update(table).where(table.c.id == bindparam("rid"))
                           .values(due_at=bindparam("due"), scheduled_for=bindparam("due")),
                           [{"rid": rid, "due": when} for rid, when in due.items()])


async def sent_rows(database: Database, ids: list[int]) -> list[tuple[datetime, datetime | None, str]]:
    async with database.session() as session:
        rows = await session.execute(select(Reminder.scheduled_for, Reminder.sent_at, Reminder.status)
                                     .where(Reminder.id.in_(ids)))
        return [tuple(r) for r in rows]


# -- start-up measurements, in a fresh subprocess each -------------------------------------------------------------
class PeakRss:
    """Peak resident memory of this process: psutil sampled every 10 ms on a thread, and the kernel's high-water
    mark (VmHWM) where /proc has it. Not ``ru_maxrss``: Linux carries the parent's peak over into a spawned child.
    """

    def __init__(self) -> None:
        self.process = psutil.Process()
        self.baseline = self.process.memory_info().rss
        self.peak = self.baseline
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, self.process.memory_info().rss)

    @staticmethod
    def _kernel_peak() -> int:
        with contextlib.suppress(OSError, ValueError):
            for line in Path("/proc/self/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024  # kB
        return 0

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return max(self.peak, self.process.memory_info().rss, self._kernel_peak())


async def measure_ours(url: str) -> dict:
    rss = PeakRss()
    async with LocalBotApi() as api:
        started = time.perf_counter()
        app = build_application(Settings(token=api.make_token(BOT_ID), database_url=url, api_url=api.url))
        await start_app(app)
        ready = time.perf_counter()
        await until(lambda: app.outbox.runs, timeout=60)
        dispatched = time.perf_counter()
        peak = rss.stop()
        try:
            ticks = []
            dispatcher = app.outbox.dispatcher()
            for _ in range(IDLE_TICKS):
                t0 = time.perf_counter()
                stats = await dispatcher.run()
                ticks.append(time.perf_counter() - t0)
                assert not any(s.claimed for s in stats.values()), "nothing should be due in the start-up test"
            async with app.db.session() as session:
                stored = await session.scalar(select(func.count()).select_from(Reminder)
                                              .where(Reminder.status == PENDING))
        finally:
            await stop_app(app)
    return {"design": "ours", "reminders": stored, "baseline": rss.baseline, "peak": peak,
            "seconds": dispatched - started, "start": ready - started, "idle_tick": percentile(ticks, 50)}


async def send_reminder(reminder_id: int) -> None:
    """The naive job: would load the row and send it."""


async def measure_naive(url: str) -> dict:
    rss = PeakRss()
    started = time.perf_counter()
    database = Database(url)
    try:
        async with database.session() as session:
            rows = (await session.execute(select(Reminder.id, Reminder.due_at).where(Reminder.status == PENDING)
                                          .order_by(Reminder.due_at))).all()
    finally:
        await database.dispose()
    read = time.perf_counter()
    scheduler = AsyncIOScheduler(timezone=UTC)
    for rid, due in rows:
        scheduler.add_job(send_reminder, trigger="date", run_date=due, args=(rid,), id=f"reminder-{rid}")
    added = time.perf_counter()
    scheduler.start()  # moves the pending jobs into the job store
    await asyncio.sleep(0)
    ready = time.perf_counter()
    peak = rss.stop()
    jobs = len(scheduler.get_jobs())
    scheduler.shutdown(wait=False)
    return {"design": "naive", "reminders": jobs, "baseline": rss.baseline, "peak": peak, "seconds": ready - started,
            "read": read - started, "add": added - read, "start": ready - added}


async def run_child(design: str, url: str, subscriptions: int) -> dict:
    argv = [PYTHON, "-m", MODULE, "--measure", "startup", "--design", design, "--database-url", url,
            "--subscriptions", str(subscriptions)]
    proc = await asyncio.create_subprocess_exec(*argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                                                cwd=os.getcwd())
    out, err = await asyncio.wait_for(proc.communicate(), timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(f"{design} start-up measurement failed ({proc.returncode}):\n{err.decode()[-3000:]}")
    result = json.loads(out.decode().strip().splitlines()[-1])
    result["subscriptions"] = subscriptions
    return result


# -- sending ----------------------------------------------------------------------------------------------------
class SkippedTicks(logging.Handler):
    """Counts APScheduler's "skipped: maximum number of running instances reached" (a tick lost to an overrun)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "maximum number of running instances" in record.getMessage():
            self.count += 1


@contextlib.contextmanager
def counting_skipped_ticks():
    handler = SkippedTicks()
    logger = logging.getLogger("apscheduler")
    logger.addHandler(handler)
    logger.propagate = False  # counted here, not printed as warnings in the middle of the figures
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.propagate = True


@dataclass
class SendRun:
    rows: list[tuple[datetime, datetime | None, str]]
    ticks: int
    skipped: int

    @property
    def sent(self) -> list[tuple[datetime, datetime]]:
        return [(s, t) for s, t, status in self.rows if status == SENT and t is not None]


async def send_due(api: LocalBotApi, url: str, mode: str, rate: float, due: dict[int, datetime] | None,
                   schedule_later: dict[int, float] | None = None, wait: float = 120.0) -> SendRun:
    """Run the dispatcher until every reminder in ``due`` / ``schedule_later`` was sent.

    ``due`` rows are made due before the dispatcher starts; ``schedule_later`` ({id: offset seconds}) once it runs.
    """
    token = api.make_token(BOT_ID)
    database = Database(url)
    ids = list((due or {}).keys()) + list((schedule_later or {}).keys())
    if due:
        await make_due(database, due)
    before = api.sent_count()
    runs = {"n": 0}
    try:
        with counting_skipped_ticks() as skipped:
            if mode == "jobqueue":
                settings = Settings(token=token, database_url=url, api_url=api.url, dispatch_interval=INTERVAL,
                                    send_rate=rate)
                app = build_application(settings)
                await start_app(app, drop_pending_updates=True)
                try:
                    if schedule_later:
                        await until(lambda: app.outbox.runs, timeout=30)
                        await _schedule(database, schedule_later)
                    await api.wait_for(lambda: api.sent_count() - before >= len(ids), timeout=wait)
                    await all_marked(database, ids)
                    runs["n"] = app.outbox.runs
                finally:
                    await stop_app(app)
            else:
                async with Bot(token, base_url=api.base_url) as bot:
                    task = asyncio.create_task(_fixed_rate_loop(database, bot, rate, runs))
                    try:
                        if schedule_later:
                            await until(lambda: runs["n"] > 0, timeout=30)
                            await _schedule(database, schedule_later)
                        await api.wait_for(lambda: api.sent_count() - before >= len(ids), timeout=wait)
                        await all_marked(database, ids)
                    finally:
                        task.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await task
        return SendRun(await sent_rows(database, ids), runs["n"], skipped.count)
    finally:
        await database.dispose()


async def all_marked(database: Database, ids: list[int]) -> None:
    """The local API counts a message before the dispatcher marks its row sent: let the last marks land."""
    async with asyncio.timeout(10):
        while any(status in (PENDING, CLAIMED) for _, _, status in await sent_rows(database, ids)):  # noqa: ASYNC110 - rows in the database
            await asyncio.sleep(0.05)


async def until(condition, timeout: float) -> None:  # noqa: ASYNC109
    """Poll a condition the local API is not told about (a dispatcher run without sends makes no API call)."""
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110 - a plain counter, nothing to await on
            await asyncio.sleep(0.005)


async def _schedule(database: Database, offsets: dict[int, float]) -> None:
    base = utcnow()
    await make_due(database, {rid: base + timedelta(seconds=s) for rid, s in offsets.items()})


async def _fixed_rate_loop(database: Database, bot: Bot, rate: float, runs: dict) -> None:
    """One dispatcher run every INTERVAL seconds on a fixed grid; a tick that overran is followed at once."""
    loop = asyncio.get_running_loop()
    dispatcher = Dispatcher(database, bot, [ReminderFeed(messages.render)], pacer=Pacer(rate), max_attempts=5)
    next_tick = loop.time()
    while True:
        await dispatcher.run()
        runs["n"] += 1
        next_tick = max(next_tick + INTERVAL, loop.time())
        await asyncio.sleep(next_tick - loop.time())


# -- the whole run ----------------------------------------------------------------------------------------------
async def orchestrate(args) -> None:
    quiet_logging()
    n_big, n_small = args.subscriptions, min(args.small, args.subscriptions)
    step = max(1, min(SUBS_PER_USER, n_big // (args.due + args.staggered)))
    rate_subs = [j * step for j in range(args.due)]
    late_subs = [j * step for j in range(args.due, args.due + args.staggered)]
    timings: dict[str, float] = {}
    async with scratch_database(args.database_url) as url:
        await prepare(url)
        database = Database(url)
        now = utcnow()
        startup = []
        try:
            previous = 0
            for n in sorted({n_small, n_big}):
                t0 = time.perf_counter()
                await insert_subscriptions(database, previous, n, now)
                timings[f"bulk insert {previous:,}→{n:,} subscriptions"] = time.perf_counter() - t0
                previous = n
                for design in ("ours", "naive"):
                    startup.append(await run_child(design, url, n))
        finally:
            await database.dispose()

        async with LocalBotApi() as api:
            token = api.make_token(BOT_ID)
            for i in rate_subs + late_subs:  # the recipients talked to the bot before (their chats exist)
                api.user_sends(user_of(i), "/start", token=token)
            t0 = time.perf_counter()
            rate_run = await send_due(api, url, args.dispatch, SEND_RATE,
                                      due={reminder_id(i): utcnow() for i in rate_subs})
            timings["sustained-rate phase"] = time.perf_counter() - t0
            gap = args.window / args.staggered
            t0 = time.perf_counter()
            late_run = await send_due(api, url, args.dispatch, LATENESS_RATE, due=None,
                                      schedule_later={reminder_id(i): 1.0 + k * gap for k, i in enumerate(late_subs)},
                                      wait=args.window + 60)
            timings["lateness phase"] = time.perf_counter() - t0

    report(args, url, startup, rate_run, late_run, timings)


def report(args, url: str, startup: list[dict], rate_run: SendRun, late_run: SendRun, timings: dict) -> None:
    mb = 1024 * 1024
    print(f"\nReminders — {platform.python_implementation()} {platform.python_version()}, python-telegram-bot "
          f"{telegram.__version__}, {os.cpu_count()} CPUs, database {describe_url(url)}")
    print("setup: " + "; ".join(f"{k} {v:.1f} s" for k, v in timings.items()))

    rows = []
    for r in startup:
        if r["design"] == "ours":
            detail = f"start {r['start']:.2f} s + first dispatch; idle tick {r['idle_tick'] * 1e3:.1f} ms"
        else:
            detail = f"read {r['read']:.2f} s + add_job {r['add']:.2f} s + start() {r['start']:.2f} s"
        rows.append([r["design"], f"{r['subscriptions']:,}", f"{r['reminders']:,}", fmt(r["seconds"], 2),
                     fmt(r["baseline"] / mb), fmt(r["peak"] / mb), fmt((r["peak"] - r["baseline"]) / mb), detail])
    print_table("Start-up until reminders are being served (fresh subprocess each)",
                ["design", "subscriptions", "reminders", "ready s", "RSS base MB", "peak MB", "growth MB", "detail"],
                rows)
    by = {(r["design"], r["subscriptions"]): r for r in startup}
    sizes = sorted({r["subscriptions"] for r in startup})
    if len(sizes) == 2:
        lo, hi = sizes
        growth = [[d, f"{by[(d, hi)]['seconds'] / by[(d, lo)]['seconds']:.2f}×",
                   f"{((by[(d, hi)]['peak'] - by[(d, lo)]['peak']) / mb):+,.1f} MB"] for d in ("ours", "naive")]
        print_table(f"From {lo:,} to {hi:,} subscriptions ({hi // lo}× the rows)",
                    ["design", "start-up time", "peak RSS"], growth)

    sent = rate_run.sent
    rate = math.nan
    if len(sent) > 1:
        times = sorted(t for _, t in sent)
        rate = (len(times) - 1) / (times[-1] - times[0]).total_seconds()
    off = 100 * (rate - SEND_RATE) / SEND_RATE
    print_table(f"Sustained send rate (dispatch: {args.dispatch}, interval {INTERVAL:g} s, pace {SEND_RATE:g}/s)",
                ["due now", "sent", "messages/s", "pace", "off pace", "within 10%", "ticks run", "ticks skipped"],
                [[len(rate_run.rows), len(sent), fmt(rate), fmt(SEND_RATE), f"{off:+.0f}%",
                  "yes" if abs(off) <= 10 else "NO", rate_run.ticks, rate_run.skipped]])

    lateness = [(t - s).total_seconds() for s, t in late_run.sent]
    limit = 2 * INTERVAL
    worst = max(lateness) if lateness else math.nan
    print_table(f"Lateness (staggered over {args.window:g} s, interval {INTERVAL:g} s, pace {LATENESS_RATE:g}/s)",
                ["reminders", "sent", "p50 s", "p95 s", "max s", "2 × interval", "max ≤ 2 × interval"],
                [[len(late_run.rows), len(lateness), fmt(percentile(lateness, 50), 3),
                  fmt(percentile(lateness, 95), 3), fmt(worst, 3), fmt(limit, 1), "yes" if worst <= limit else "NO"]])
    print(f"\ncommand: {command_line(MODULE)}")


def main() -> None:
    p = parser(MODULE, __doc__.split("\n\n")[0])
    p.add_argument("--subscriptions", type=int, default=100_000, help="subscriptions stored (4 reminders each)")
    p.add_argument("--small", type=int, default=10_000, help="the smaller start-up measurement point")
    p.add_argument("--dispatch", choices=("jobqueue", "loop"), default="jobqueue",
                   help="send through the real application's JobQueue job, or a fixed-rate Dispatcher loop")
    p.add_argument("--due", type=int, default=500, help="reminders made due now for the send-rate test")
    p.add_argument("--staggered", type=int, default=200, help="reminders spread over --window for the lateness test")
    p.add_argument("--window", type=float, default=20.0, help="seconds over which the staggered reminders fall due")
    # Internal: one start-up measurement in this (fresh) process, printed as a JSON line.
    p.add_argument("--measure", choices=("startup",), help=argparse.SUPPRESS)
    p.add_argument("--design", choices=("ours", "naive"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.measure:
        if not args.database_url or not args.design:
            p.error("--measure needs --design and --database-url (an already prepared database)")
        quiet_logging()
        result = asyncio.run(measure_ours(args.database_url) if args.design == "ours"
                             else measure_naive(args.database_url))
        print(json.dumps(result))
        return
    if args.due < 2 or args.staggered < 1 or args.window <= 0 or args.small < 1:
        p.error("--due ≥ 2, --staggered ≥ 1, --window > 0 and --small ≥ 1")
    if args.subscriptions < args.due + args.staggered:
        p.error("--subscriptions must be at least --due + --staggered")
    asyncio.run(orchestrate(args))


if __name__ == "__main__":
    main()
