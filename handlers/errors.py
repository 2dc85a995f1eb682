"""The error handler: log the failure without personal data, and tell the user in their language."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden, TimedOut

from bot.context import NavContext

log = logging.getLogger(__name__)


async def on_error(update: object, context: NavContext) -> None:
    error = context.error
    kind = type(update).__name__
    update_id = update.update_id if isinstance(update, Update) else None
    # The exception and the update id only: never the update itself, which holds names and text.
    log.error("error while handling %s %s", kind, update_id, exc_info=error)
    if not isinstance(update, Update) or update.effective_chat is None or isinstance(error, Forbidden):
        return
    if isinstance(error, TimedOut):
        # The Bot API did not answer in time, but the reply may well have arrived: an apology after it would
        # be wrong, and another request into the same slow API would only time out too.
        return
    try:
        await update.effective_chat.send_message(
            "⚠️ " + context._("Sorry, something went wrong on our side. Please try again, or press /start.")
        )
    except Exception:
        log.warning("could not tell the user about the error (update %s)", update_id)
