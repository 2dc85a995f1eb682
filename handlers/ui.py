"""Small helpers every handler uses to answer: show a screen (edit on a button press, send otherwise)."""

from __future__ import annotations

import functools
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

log = logging.getLogger(__name__)


def button(text: str, data: str) -> InlineKeyboardButton:
    assert len(data.encode()) <= 64, "callback data over Telegram's 64-byte limit"
    return InlineKeyboardButton(text, callback_data=data)


def keyboard(rows: list[list[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([row for row in rows if row])


async def show(
    update: Update, text: str, markup: InlineKeyboardMarkup | None = None, *, new: bool = False
) -> Message | None:
    """Replace the pressed message's screen, or send a new message when there is no button press.

    Editing keeps a shared tablet's chat short. An edit that changes nothing (a double tap) is not an error.
    """
    query = update.callback_query
    if query is not None and query.message is not None and not new:
        try:
            result = await query.edit_message_text(
                text, parse_mode=ParseMode.HTML, reply_markup=markup, disable_web_page_preview=True
            )
            return result if isinstance(result, Message) else None
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return None
            if "message to edit not found" not in str(exc).lower():
                raise
    chat = update.effective_chat
    if chat is None:
        return None
    return await chat.send_message(text, parse_mode=ParseMode.HTML, reply_markup=markup,
                                   disable_web_page_preview=True)


async def ack(update: Update, text: str | None = None, *, alert: bool = False) -> None:
    """Answer the button press so Telegram stops its spinner; a too-old query is not worth an error."""
    query = update.callback_query
    if query is None:
        return
    try:
        await query.answer(text, show_alert=alert)
    except BadRequest:
        log.debug("callback query too old to answer")


def form_button(store_key: str, on_stale, *, ack_first: bool = True):
    """For a button of a multi-step form (callback data ``ns:<form id>:<action>``): find the form's draft in
    ``user_data[store_key]`` and call ``callback(update, context, draft, action)``. A button of an older or closed
    form goes to ``on_stale`` instead — it is answered, never obeyed."""

    def wrap(callback):
        @functools.wraps(callback)
        async def step(update: Update, context):
            draft = context.user_data.get(store_key)
            _, form_id, action = update.callback_query.data.split(":", 2)
            if draft is None or draft.form_id != form_id:
                return await on_stale(update, context)
            if ack_first:
                await ack(update)
            return await callback(update, context, draft, action)

        return step

    return wrap
