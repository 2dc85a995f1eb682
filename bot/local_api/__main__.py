"""Serve the local Bot API until Ctrl-C: ``python -m bot.local_api --host 127.0.0.1 --port 8081``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from .api import LocalBotApi


async def _serve(host: str, port: int, username: str) -> None:
    async with LocalBotApi(host=host, port=port, bot_username=username) as api:
        print(f"Local Bot API listening on {api.url}  (PTB base_url={api.base_url})", flush=True)
        print(f"example token: {api.make_token()}  - Ctrl-C to stop", flush=True)
        await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.local_api", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default: loopback only)")
    parser.add_argument("--port", type=int, default=8081, help="0 picks a free port")
    parser.add_argument("--username", default="asylum_navigator_bot", help="bot username reported by getMe")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.host, args.port, args.username))


if __name__ == "__main__":
    main()
