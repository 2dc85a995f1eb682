"""The way in to the help desk that other features show: "🙋 Ask a volunteer".

Search's "no answer" reply calls :func:`no_answer_rows`; the main menu and every answer show
:func:`ask_rows`. When the desk is off (no ``HELPDESK_CHAT_ID``) nothing mentions it, and the "no answer" reply
offers the free-lawyers and hotline topics instead.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton

from bot.context import NavContext
from bot.helpdesk import buttons
from handlers.ui import button

# Where to turn when the desk is off: reviewed answers with people to call.
NO_DESK_TOPICS = (("free-lawyers", "⚖️"), ("ice-line", "☎️"))


def desk_on(context: NavContext) -> bool:
    return context.desk is not None


def ask_rows(context: NavContext) -> list[list[InlineKeyboardButton]]:
    """[[🙋 Ask a volunteer]] when the desk is on, else nothing."""
    return [[button("🙋 " + context._("Ask a volunteer"), buttons.ASK)]] if desk_on(context) else []


def no_answer_rows(context: NavContext) -> list[list[InlineKeyboardButton]]:
    """The rows for search's "I found no answer" reply: ask a volunteer when the desk is on; otherwise the
    free-lawyers and hotline topics."""
    if desk_on(context):
        return ask_rows(context)
    return [[button(icon + " " + (context._("Free and low-cost lawyers") if slug == "free-lawyers"
                                  else context._("Hotlines: ICE detention line")), f"t:{slug}")]
            for slug, icon in NO_DESK_TOPICS]
