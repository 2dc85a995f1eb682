"""Strict reading of numbers that come from outside: settings, command arguments, callback data.

``str.isdigit()`` accepts ``²``, ``٣`` and other Unicode digits that ``int()`` refuses or reads differently, and
``int()`` accepts any size, signs, spaces and underscores. Everything here accepts ASCII digits only, within
the range asked for (by default a signed 64-bit integer, what every id column holds), and returns ``None``
for anything else — callers answer nonsense with a plain message, never with an exception.
"""

from __future__ import annotations

import re

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
INT32_MAX = 2**31 - 1
# The longest a signed 64-bit number can be written; longer strings are refused before int() sees them.
_MAX_LEN = 20
_INT_RE = re.compile(r"-?[0-9]{1,19}")
_ASCII_DIGITS = re.compile(r"[0-9]+")


def strict_int(text: object, *, lo: int = INT64_MIN, hi: int = INT64_MAX) -> int | None:
    """``text`` as an int if it is written with ASCII digits only (an optional leading ``-``) and lies in
    ``lo..hi``; otherwise ``None``."""
    if not isinstance(text, str) or len(text) > _MAX_LEN or not _INT_RE.fullmatch(text):
        return None
    value = int(text)
    return value if lo <= value <= hi else None


def positive_id(text: object, *, hi: int = INT64_MAX) -> int | None:
    """A positive id (a Telegram user id, a row id, a revision number): 1..``hi``, ASCII digits only."""
    return strict_int(text, lo=1, hi=hi)


def row_id(text: object) -> int | None:
    """A primary key of an ``Integer`` column: positive and within 32 bits (PostgreSQL's ``integer``)."""
    return strict_int(text, lo=1, hi=INT32_MAX)


def user_id(text: object) -> int | None:
    """A Telegram user id: positive, within 64 bits (Telegram's ids fit in 52 bits today)."""
    return strict_int(text, lo=1)


def is_ascii_number(text: str) -> bool:
    return bool(_ASCII_DIGITS.fullmatch(text))


def has_nul(text: str) -> bool:
    """PostgreSQL refuses NUL bytes in text columns; treat them as bad input before they reach it."""
    return "\x00" in text
