"""Logging that carries no personal data.

PTB logs whole requests and responses at DEBUG (message texts, first names, usernames) and httpx logs every URL,
which contains the bot token. Those loggers are held at INFO/WARNING whatever the configured level, and every
record that does get through passes :class:`RedactingFilter`, which masks anything shaped like a token.
Our own code logs ids and counts only, never message text.
"""

from __future__ import annotations

import logging
import re
import sys

_TOKEN_RE = re.compile(r"\d{3,20}:[A-Za-z0-9_-]{20,}")

# Third-party loggers whose lower levels carry update contents or URLs with the token.
_FLOORS = {
    "telegram": logging.INFO,
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "hpack": logging.WARNING,
    # "maximum number of running instances reached" is expected while a long outbox run is sending.
    "apscheduler": logging.ERROR,
    "tornado.access": logging.WARNING,
    "aiohttp.access": logging.WARNING,
    "aiosqlite": logging.INFO,
    # "Context impl SQLiteImpl." and friends at every start; a failed start must be one line on stderr.
    "alembic": logging.WARNING,
    "asyncio": logging.INFO,
}


def redact(text: str) -> str:
    return _TOKEN_RE.sub("<token>", text)


class RedactingFilter(logging.Filter):
    """Masks bot tokens in the final message and in exception text."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not break logging
            message = str(record.msg)
        clean = redact(message)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            if _TOKEN_RE.search(str(exc)):
                record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True


def setup_logging(level: str = "INFO", stream=None) -> logging.Handler:
    """Configure the root logger once; returns the handler (tests attach their own stream)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_navigator", False):
            root.removeHandler(old)
    handler._navigator = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    apply_floors()
    return handler


def apply_floors() -> None:
    for name, floor in _FLOORS.items():
        logging.getLogger(name).setLevel(floor)
