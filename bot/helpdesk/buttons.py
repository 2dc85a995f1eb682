"""The help desk's callback data, defined once: how each button is written and the pattern that reads it back.

Messages composed by the desk service (a volunteer's reply, the first post of a topic) and the handlers
(``handlers/helpdesk``) both use these. Ticket numbers are matched as 1–9 ASCII digits, so a forged id of any
length or script is simply not matched; slugs as the knowledge base writes them. Everything fits in 64 bytes.
"""

from __future__ import annotations

import re

ID = r"([1-9][0-9]{0,8})"
FORM_ID = r"([0-9a-f]{8})"
SLUG = r"([a-z0-9][a-z0-9-]{0,39})"

ASK = "dk:ask"  # "🙋 Ask a volunteer": opens the consent screen
MINE = "dk:my"  # /mytickets


def consent(form_id: str, action: str) -> str:
    """The consent screen's buttons: ``go`` (continue) or ``no`` (cancel)."""
    return f"dk:f:{form_id}:{action}"


def thanks(ticket_id: int) -> str:
    return f"dk:ok:{ticket_id}"


def more(ticket_id: int) -> str:
    return f"dk:mo:{ticket_id}"


def close(ticket_id: int) -> str:
    return f"dk:cl:{ticket_id}"


def pick(form_id: str, ticket_id: int | None) -> str:
    """Which open question a held follow-up belongs to (``None``: cancel)."""
    return f"dk:p:{form_id}:{ticket_id or 'x'}"


def send_answer(ticket_id: int, slug: str) -> str:
    """In the staff group: send the reviewed answer ``slug`` to the person of the ticket."""
    return f"dk:a:{ticket_id}:{slug}"


P_ASK = rf"^{ASK}$"
P_MINE = rf"^{MINE}$"
P_CONSENT = rf"^dk:f:{FORM_ID}:(go|no)$"
P_THANKS = rf"^dk:ok:{ID}$"
P_MORE = rf"^dk:mo:{ID}$"
P_CLOSE = rf"^dk:cl:{ID}$"
P_PICK = rf"^dk:p:{FORM_ID}:({ID[1:-1]}|x)$"
P_SEND_ANSWER = rf"^dk:a:{ID}:{SLUG}$"


def ticket_of(data: str) -> int:
    """The ticket number of a button matched by one of the ``P_*`` patterns that carry one."""
    return int(re.search(r":([1-9][0-9]{0,8})(?::|$)", data).group(1))


def answer_of(data: str) -> tuple[int, str]:
    match = re.match(P_SEND_ANSWER, data)
    return int(match.group(1)), match.group(2)


def pick_of(data: str) -> tuple[str, int | None]:
    match = re.match(P_PICK, data)
    return match.group(1), (None if match.group(2) == "x" else int(match.group(2)))
