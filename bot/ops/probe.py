"""``python -m bot.ops.probe [healthz|readyz]``: exit 0 when the bot's own endpoint answers 200 (Docker HEALTHCHECK).

Reads OPS_LISTEN like the bot does; a wildcard listen address is probed on loopback. Standard library only.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


def main(argv: list[str] | None = None) -> int:
    path = (argv if argv is not None else sys.argv[1:] or ["healthz"])[0]
    listen = os.environ.get("OPS_LISTEN", "127.0.0.1:9090").strip()
    if not listen:
        print("OPS_LISTEN is empty: the health endpoint is off", file=sys.stderr)
        return 1
    host, _, port = listen.rpartition(":")
    host = host.strip("[]")
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/{path}", timeout=5) as response:
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError) as exc:
        print(f"{path}: {type(exc).__name__}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
