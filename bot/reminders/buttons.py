"""The reminder buttons' callback data, defined once: how each is written and the pattern that reads it back.

Reminder messages sent by the outbox (``messages.render``) and the handlers (``handlers/reminders``) both use
these, so a format cannot drift between the button and its reader. Ids are database ids (at most 9 digits, well
inside a 32-bit integer), so a forged id of any length is simply not matched. Everything fits Telegram's 64 bytes.
"""

from __future__ import annotations

import re

from bot.reminders.deadlines import DEADLINE_KINDS
from bot.reminders.models import KINDS

ID = r"([0-9]{1,9})"

LIST = "rem:list"
OK = "rem:ok"
NEW = "rem:new"


# What an answer's "remind me" button (its ``remind:`` front matter) may start the form at: the list of hearings, or
# one deadline's first question.
ENTRY_KINDS = ("hearing", *DEADLINE_KINDS)


def new(kind: str | None = None) -> str:
    """Start the form; with an entry kind (from an answer's "remind me" button) at that kind. Anything else (say, a
    value a newer content pack knows and this code does not) starts the plain form."""
    return f"{NEW}:{kind}" if kind in ENTRY_KINDS else NEW


def entry_kind(data: str) -> str | None:
    """The entry kind of a matched ``P_NEW`` button, or None for the plain form."""
    kind = data.removeprefix(NEW).removeprefix(":")
    return kind if kind in ENTRY_KINDS else None


def details(sub_id: int) -> str:
    return f"rem:s:{sub_id}"


def pause(sub_id: int) -> str:
    return f"rem:p:{sub_id}"


def resume(sub_id: int) -> str:
    return f"rem:r:{sub_id}"


def stop(sub_id: int) -> str:
    return f"rem:stop:{sub_id}"


def delete(sub_id: int) -> str:
    return f"rem:d:{sub_id}"


def delete_confirmed(sub_id: int) -> str:
    return f"rem:dd:{sub_id}"


def moved(sub_id: int) -> str:
    return f"rem:mv:{sub_id}"


FOLLOWUP_CHOICES = ("moved", "denied", "granted", "unknown")


def followup(sub_id: int, choice: str) -> str:
    assert choice in FOLLOWUP_CHOICES
    return f"rem:fu:{sub_id}:{choice}"


# Patterns, for the handlers.
P_NEW = rf"^{NEW}(:({'|'.join(ENTRY_KINDS)}))?$"
P_LIST = rf"^{LIST}$"
P_OK = rf"^{OK}$"
P_DETAILS = rf"^rem:s:{ID}$"
P_PAUSE_RESUME = rf"^rem:(p|r|stop):{ID}$"
P_DELETE = rf"^rem:(d|dd):{ID}$"
P_MOVED = rf"^rem:mv:{ID}$"
P_FOLLOWUP_MOVED = rf"^rem:fu:{ID}:moved$"
P_FOLLOWUP = rf"^rem:fu:{ID}:(denied|granted|unknown)$"


def sub_id(data: str) -> int:
    """The subscription id of a matched ``rem:`` button (its third field)."""
    return int(data.split(":")[2])


# The form's own buttons: ``rf:<form id>:<action>``; a button of an older form is recognised by its id.
FORM_PREFIX = "rf"
FORM_ID = r"[0-9a-f]{8}"
KIND_ACTION = "k:(" + "|".join(KINDS) + ")"
KIND_MENU_ACTION = "(kd|kh)"  # the kind list: show the deadlines, back to hearings
DAYS_ACTION = r"n:\d{1,3}"  # voluntary departure: the days granted


def form(form_id: str, action: str) -> str:
    return f"{FORM_PREFIX}:{form_id}:{action}"


def form_pattern(action: str) -> str:
    return rf"^{FORM_PREFIX}:{FORM_ID}:{action}$"


def is_form_data(data: str) -> bool:
    return re.match(rf"^{FORM_PREFIX}:", data) is not None
