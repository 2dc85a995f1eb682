"""Hostile webhook traffic: the bot's memory while strangers POST huge bodies without the secret.

Two processes, one after the other, each in webhook mode against the local Bot API: the bare PTB bot on PTB's own
webhook server (``bench/bare_bot.py``, tornado), and ours (``python -m bot run``, ``bot/webhook.py``). Each gets
``--posts`` POSTs of ``--megabytes`` MB without the secret header, all at once (``--one-by-one``: one after the
other), each sent until the server answers (or the whole body is sent). Printed: the process's RSS before and after, its peak, the answers, and how
much of each body had to be sent before the answer came.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time

import psutil

from bench import (
    NO_EMBEDDING,
    PYTHON,
    command_line,
    describe_url,
    fmt,
    parser,
    prepare,
    print_table,
    quiet_logging,
    scratch_database,
)
from bot.local_api import LocalBotApi

CHUNK = 1024 * 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def hostile_post(port: int, size: int) -> tuple[int | None, int]:
    """POST ``size`` bytes without the secret; returns (status, bytes sent before the answer)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (f"POST /hook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {size}\r\n\r\n").encode()
    writer.write(head)
    answer = asyncio.create_task(reader.readline())
    sent, status = 0, None
    chunk = b" " * CHUNK
    try:
        while sent < size and not answer.done():
            part = chunk[: min(CHUNK, size - sent)]
            writer.write(part)
            await writer.drain()
            sent += len(part)
        line = await asyncio.wait_for(answer, 60)
        status = int(line.split()[1]) if line else None
    except (ConnectionError, TimeoutError, IndexError, ValueError):
        pass
    finally:
        answer.cancel()
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
    return status, sent


async def measure(name: str, argv: list[str], env: dict[str, str], port: int, api: LocalBotApi, posts: int,
                  size: int, one_by_one: bool) -> list[object]:
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        await api.wait_for(lambda: any(b.webhook for b in api.world.bots.values()), timeout=60)
        await asyncio.sleep(1.0)  # settled after start
        proc = psutil.Process(process.pid)
        before = proc.memory_info().rss
        poll = asyncio.create_task(_peak(proc))
        if one_by_one:
            results = [await hostile_post(port, size) for _ in range(posts)]
        else:
            results = await asyncio.gather(*(hostile_post(port, size) for _ in range(posts)))
        poll.cancel()
        peak = max(before, await poll)
        statuses, sent = [r[0] for r in results], [r[1] for r in results]
        await asyncio.sleep(1.0)
        after = proc.memory_info().rss
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
        for bot in api.world.bots.values():
            bot.webhook = None
    mb = 1024 * 1024
    answers = ", ".join(f"{s}×{statuses.count(s)}" for s in sorted(set(statuses), key=str))
    return [name, fmt(before / mb), fmt(after / mb), fmt(peak / mb), answers, fmt(sum(sent) / len(sent) / mb, 2)]


async def _peak(proc: psutil.Process) -> int:
    peak = 0
    with contextlib.suppress(asyncio.CancelledError):
        while True:
            peak = max(peak, proc.memory_info().rss)
            await asyncio.sleep(0.02)
    return peak


async def main() -> None:
    p = parser("bench.webhook", __doc__.splitlines()[0])
    p.add_argument("--posts", type=int, default=10)
    p.add_argument("--megabytes", type=int, default=95)
    p.add_argument("--one-by-one", action="store_true", help="send the POSTs one after another, not all at once")
    args = p.parse_args()
    quiet_logging()
    size = args.megabytes * 1024 * 1024
    rows = []
    async with scratch_database(args.database_url) as url, LocalBotApi() as api:
        await prepare(url)
        base = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_URL", "WEBHOOK_"))}
        for name, module, bot_id in [("bare PTB (tornado)", "bench.bare_bot", 990_001), ("ours", "bot", 990_002)]:
            port = free_port()
            env = {**base, **NO_EMBEDDING, "TELEGRAM_BOT_TOKEN": api.make_token(bot_id), "TELEGRAM_API_URL": api.url,
                   "DATABASE_URL": url, "WEBHOOK_URL": f"http://127.0.0.1:{port}/hook", "WEBHOOK_SECRET": "s3cret",
                   "WEBHOOK_LISTEN": f"127.0.0.1:{port}", "LOG_LEVEL": "WARNING"}
            argv = [PYTHON, "-m", module] + (["run"] if module == "bot" else [])
            started = time.perf_counter()
            rows.append(await measure(name, argv, env, port, api, args.posts, size, args.one_by_one))
            rows[-1].append(fmt(time.perf_counter() - started))
        print(f"\ndatabase: {describe_url(url)}")
    how = "one after another" if args.one_by_one else "all at once"
    print_table(f"{args.posts} POSTs of {args.megabytes} MB without the secret header, {how}",
                ["server", "RSS before MB", "RSS after MB", "peak RSS MB", "answers", "MB sent per POST", "s"], rows)
    print(f"\n{command_line('bench.webhook')}")


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
