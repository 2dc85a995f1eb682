"""The person's own questions: /mytickets, closing one, and the buttons under a volunteer's reply ("Thank you,
this helped" / "I have another question"). Every button names its ticket and is checked against the person's
own tickets; someone else's number is answered as an out-of-date button."""

from __future__ import annotations

import html
import logging

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot.context import NavContext
from bot.helpdesk import buttons, posts, service
from bot.helpdesk.models import OPEN
from bot.knowledge.render import human_date
from handlers.helpdesk.entry import ask_rows
from handlers.topics import main_menu_button
from handlers.ui import ack, button, keyboard, show

log = logging.getLogger(__name__)

TARGET = "desk_target"  # user_data: the open ticket the person's next message goes to ("I have another question")
PREVIEW = 80


def _preview(text: str | None) -> str:
    if not text:
        return ""
    flat = " ".join(text.split())
    return "«" + html.escape(flat[:PREVIEW] + ("…" if len(flat) > PREVIEW else "")) + "»"


async def on_mine(update: Update, context: NavContext) -> None:
    await ack(update)
    tickets = await service.open_tickets(context.session, update.effective_user.id)
    rows = []
    if not tickets:
        text = context._("You have no open questions to volunteers.")
    else:
        lines = ["📋 <b>" + context._("Your open questions") + "</b>"]
        for ticket in tickets:
            state = (context._("waiting for an answer") if ticket.waiting_since is not None
                     else context._("answered"))
            first = await service.question(context.session, ticket.id)
            lines.append(f"\n<b>#{ticket.id}</b> · {human_date(ticket.created_at.date(), context.locale)} · {state}"
                         + (f"\n{_preview(first)}" if first else ""))
            rows.append([button("✅ " + context._("Close #{n}", n=ticket.id), buttons.close(ticket.id))])
        lines.append("\n" + context._("To add to a question, just write here."))
        text = "\n".join(lines)
    if len(tickets) < service.MAX_OPEN:
        rows += ask_rows(context)
    rows.append([main_menu_button(context)])
    await show(update, text, keyboard(rows), new=update.callback_query is None)


async def _stale(update: Update, context: NavContext) -> None:
    await ack(update, context._("This button is out of date."))


async def on_close(update: Update, context: NavContext) -> None:
    ticket_id = buttons.ticket_of(update.callback_query.data)
    user_id = update.effective_user.id
    before = await service.owned(context.session, user_id, ticket_id)
    if before is None:
        return await _stale(update, context)
    was_open = before.status == OPEN
    ticket = await service.close_by_person(context.session, user_id, ticket_id)
    await ack(update)
    desk = context.desk
    await desk.refresh_person(context.session, user_id)
    if was_open:
        log.info("ticket %s closed by the person", ticket_id)
        await desk.post(posts.notice("person_closed", desk.locale), ticket.thread_id)
        await desk.sync([ticket_id])
        text = "✅ " + context._("Question #{n} is closed. Thank you for writing.", n=ticket_id)
    else:
        text = context._("Question #{n} is already closed.", n=ticket_id)
    await show(update, text, keyboard([*ask_rows(context), [main_menu_button(context)]]), new=True)


async def on_thanks(update: Update, context: NavContext) -> None:
    ticket_id = buttons.ticket_of(update.callback_query.data)
    before = await service.owned(context.session, update.effective_user.id, ticket_id)
    if before is None:
        return await _stale(update, context)
    already = before.helped
    ticket = await service.mark_helped(context.session, update.effective_user.id, ticket_id)
    await ack(update, context._("Thank you! The volunteers will see it."))
    desk = context.desk
    if not already and ticket.status == OPEN:
        await desk.post(posts.notice("helped", desk.locale), ticket.thread_id)
    rows = [[button("✍️ " + context._("I have another question"), buttons.more(ticket_id))]]
    if ticket.status == OPEN:
        rows.append([button("✅ " + context._("Close #{n}", n=ticket_id), buttons.close(ticket_id))])
    try:
        await update.callback_query.edit_message_reply_markup(keyboard(rows))
    except BadRequest as exc:  # a double tap: the buttons are already these
        log.debug("thanks buttons unchanged (%s)", type(exc).__name__)


async def on_more(update: Update, context: NavContext) -> None:
    ticket_id = buttons.ticket_of(update.callback_query.data)
    ticket = await service.owned(context.session, update.effective_user.id, ticket_id)
    if ticket is None:
        return await _stale(update, context)
    await ack(update)
    if ticket.status != OPEN:
        await show(update, context._("Question #{n} is closed. You can ask a new one.", n=ticket_id),
                   keyboard([*ask_rows(context), [main_menu_button(context)]]), new=True)
        return
    context.user_data[TARGET] = ticket_id
    await show(update, "✍️ " + context._("Write it here: it goes to the same volunteers (#{n}).", n=ticket_id),
               new=True)


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler("mytickets", on_mine, filters=filters.ChatType.PRIVATE),
        CallbackQueryHandler(on_mine, pattern=buttons.P_MINE),
        CallbackQueryHandler(on_close, pattern=buttons.P_CLOSE),
        CallbackQueryHandler(on_thanks, pattern=buttons.P_THANKS),
        CallbackQueryHandler(on_more, pattern=buttons.P_MORE),
    ]
