"""Logging that carries no personal data.

PTB logs whole requests and responses at DEBUG (message texts, first names, usernames) and httpx logs every URL,
which contains the bot token. Those loggers are held at INFO/WARNING whatever the configured level. Every record
that does get through — from any logger, to any handler — is cleaned by :func:`sanitize`:

* anything shaped like a bot token is masked;
* an argument that is a Telegram object or raw data (an ``Update`` in PTB's CRITICAL "Error while building
  CallbackContext for update %s", the received data in "Error while parsing updates! Received data was %r",
  a dict, a list, bytes, a JSON string) is replaced by a placeholder: such records would print names and texts;
* a traceback keeps its frames (file, line, code) but only the messages of exception classes known to hold
  none of the user's words (Telegram, database, network errors); others show their class only. A
  ``ValueError`` about ``int('what the person typed')`` would otherwise copy their message into the log.

The database engine is created with ``hide_parameters=True`` (see ``bot.db``), so a failed INSERT shows its SQL
but never the values (a reminder's label, a court).
Our own code logs ids and counts only, never message text.
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from collections.abc import Mapping

_TOKEN_RE = re.compile(r"\d{3,20}:[A-Za-z0-9_-]{20,}")
# A string argument that is raw Telegram JSON (PTB logs undecodable responses that way).
_RAW_JSON_RE = re.compile(r'"(update_id|first_name|last_name|username|text|caption|phone_number)"\s*:')

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
    "pymorphy3": logging.WARNING,  # dictionary paths and versions at every start
    # "Context impl SQLiteImpl." and friends at every start; a failed start must be one line on stderr.
    "alembic": logging.WARNING,
    "asyncio": logging.INFO,
}

# Exception classes (by module) whose messages are safe to log: they describe the failure, not the user's input.
# SQLAlchemy's include the SQL, whose parameters the engine hides; asyncpg's and sqlite3's name constraints and
# types, not values.
_SAFE_MESSAGE_MODULES = ("telegram.", "sqlalchemy.", "asyncpg.", "sqlite3", "aiosqlite", "httpx", "httpcore",
                         "aiohttp", "bot.runner")
_SAFE_MESSAGE_TYPES = (OSError, TimeoutError)


def redact(text: str) -> str:
    return _TOKEN_RE.sub("<token>", text)


def _withhold(value: object) -> object:
    """The value, or a placeholder when printing it could print a person's data."""
    from telegram import TelegramObject, Update

    if isinstance(value, Update):
        return f"<update {value.update_id}>"
    if isinstance(value, TelegramObject):
        return f"<{type(value).__name__}>"
    if isinstance(value, Mapping | list | tuple | set | frozenset | bytes | bytearray):
        return f"<{type(value).__name__} withheld>"
    if isinstance(value, str) and _RAW_JSON_RE.search(value):
        return "<data withheld>"
    return value


def _exception_message(exc: BaseException) -> str:
    cls = type(exc)
    module = cls.__module__ or ""
    if isinstance(exc, _SAFE_MESSAGE_TYPES) or module.startswith(_SAFE_MESSAGE_MODULES):
        return redact(str(exc))
    return "(message withheld)"


def format_exception(exc: BaseException) -> str:
    """A traceback as Python prints it, with every exception's message passed through :func:`_exception_message`."""
    parts: list[str] = []
    seen: set[int] = set()

    def emit(current: BaseException) -> None:
        seen.add(id(current))
        if current.__cause__ is not None and id(current.__cause__) not in seen:
            emit(current.__cause__)
            parts.append("\nThe above exception was the direct cause of the following exception:\n\n")
        elif (current.__context__ is not None and not current.__suppress_context__
              and id(current.__context__) not in seen):
            emit(current.__context__)
            parts.append("\nDuring handling of the above exception, another exception occurred:\n\n")
        if current.__traceback__ is not None:
            parts.append("Traceback (most recent call last):\n")
            parts.extend(traceback.format_tb(current.__traceback__))
        name = type(current).__qualname__
        module = type(current).__module__
        if module not in ("builtins", "__main__"):
            name = f"{module}.{name}"
        message = _exception_message(current)
        parts.append(f"{name}: {message}\n" if message else f"{name}\n")

    emit(exc)
    return "".join(parts).rstrip("\n")


def sanitize(record: logging.LogRecord) -> logging.LogRecord:
    """Clean a record in place (idempotent): message with arguments withheld, tokens masked, a safe traceback."""
    if getattr(record, "_navigator_clean", False):
        return record
    if record.args:
        if isinstance(record.args, Mapping):
            record.args = {k: _withhold(v) for k, v in record.args.items()}
        else:
            record.args = tuple(_withhold(a) for a in record.args)
    try:
        message = record.getMessage()
    except Exception:  # a broken format string must not break logging
        message = str(record.msg)
    record.msg, record.args = redact(message), None
    if record.exc_info and record.exc_info[1] is not None:
        record.exc_text = format_exception(record.exc_info[1])
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    record._navigator_clean = True  # type: ignore[attr-defined]
    return record


class RedactingFilter(logging.Filter):
    """Applies :func:`sanitize` to every record a handler emits."""

    def filter(self, record: logging.LogRecord) -> bool:
        sanitize(record)
        return True


def _install_record_factory() -> None:
    """Every record is sanitized when it is created, so no handler — pytest's, a library's, logging's last
    resort — can print it raw."""
    current = logging.getLogRecordFactory()
    if getattr(current, "_navigator", False):
        return

    def factory(*args, **kwargs) -> logging.LogRecord:
        return sanitize(current(*args, **kwargs))

    factory._navigator = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


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
    _install_record_factory()
    for name, floor in _FLOORS.items():
        logging.getLogger(name).setLevel(floor)
