"""The way in to the help desk that other features show: "🙋 Ask a volunteer".

The main menu, every answer and search's "no answer" reply (``handlers/search.py: no_answer_buttons``) show
:func:`ask_rows`. When the desk is off (no ``HELPDESK_CHAT_ID``) it is empty: nothing mentions the desk, and the
"no answer" reply offers only the free-lawyers and hotline topics.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton

from bot.context import NavContext
from bot.helpdesk import buttons
from handlers.ui import button


def desk_on(context: NavContext) -> bool:
    return context.desk is not None


def ask_rows(context: NavContext) -> list[list[InlineKeyboardButton]]:
    """[[🙋 Ask a volunteer]] when the desk is on, else nothing."""
    return [[button("🙋 " + context._("Ask a volunteer"), buttons.ASK)]] if desk_on(context) else []
