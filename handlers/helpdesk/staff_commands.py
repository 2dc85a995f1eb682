"""The volunteers' commands that change a ticket: /close, /reopen, /ban REASON, /unban, and /desk (figures).

Each checks the role again, works on the ticket of the topic it is written in (``/unban N`` also outside), and
is written to the audit log as the moderator's id, the action and the ticket number; never who asked.
"""

from __future__ import annotations

import html
import logging
from datetime import timedelta

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot.context import NavContext
from bot.helpdesk import service
from bot.helpdesk.desk import Desk
from bot.helpdesk.models import Ticket
from bot.moderation import service as moderation
from handlers.helpdesk.staff import is_volunteer, refuse_command, reply, ticket_here

log = logging.getLogger(__name__)

REASON_LIMIT = 200


def number_arg(context: NavContext) -> int | None:
    """A ticket number given as the command's argument ("/reopen 12", "/reopen #12"): ASCII digits only."""
    raw = (context.args or [""])[0].lstrip("#")
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < len(raw) <= 9 else None


async def _ticket_or_say(update: Update, context: NavContext, *, by_number: bool = False):
    """The ticket of the topic; with ``by_number`` also "/cmd N" anywhere in the group (a closed topic takes
    posts only from administrators who manage topics, so a volunteer reopens from outside it)."""
    if not await is_volunteer(update, context):
        await refuse_command(update, context)
        return None
    ticket = await ticket_here(update, context)
    number = number_arg(context) if by_number else None
    if ticket is None and number is not None:
        ticket = await context.session.get(Ticket, number)
        if ticket is None or ticket.purged:
            await reply(update.effective_message, "ℹ️ " + context._("There is no ticket #{n}.", n=number))
            return None
    if ticket is None:
        await reply(update.effective_message, "ℹ️ " + (context._(
            "Use this inside a ticket's topic, or with the ticket's number: /reopen 12.") if by_number
            else context._("Use this inside a ticket's topic.")))
    return ticket


async def on_close(update: Update, context: NavContext) -> None:
    ticket = await _ticket_or_say(update, context)
    if ticket is None:
        return
    user_id = await service.asker_of(context.session, ticket.id)
    if not await service.close_by_volunteer(context.session, ticket):
        return await reply(update.effective_message, "ℹ️ " + context._("This ticket is already closed."))
    await moderation.audit(context.session, update.effective_user.id, "desk_close", f"#{ticket.id}")
    await context.desk.refresh_person(context.session, user_id)
    log.info("ticket %s closed by a volunteer", ticket.id)
    await reply(update.effective_message, "✅ " + context._("Closed. The person was told; /reopen opens it again."))
    await context.desk.sync([ticket.id])


async def on_reopen(update: Update, context: NavContext) -> None:
    ticket = await _ticket_or_say(update, context, by_number=True)
    if ticket is None:
        return
    problem = await service.reopen(context.session, ticket)
    if problem == "open":
        return await reply(update.effective_message, "ℹ️ " + context._("This ticket is open."))
    if problem == "gone":
        return await reply(update.effective_message, "🗑 " + context._(
            "This ticket cannot be reopened: the person withdrew it or its texts were deleted."))
    await moderation.audit(context.session, update.effective_user.id, "desk_reopen", f"#{ticket.id}")
    await context.desk.refresh_person(context.session, await service.asker_of(context.session, ticket.id))
    await context.desk.sync([ticket.id])
    await reply(update.effective_message, "🔄 " + context._("Reopened. The person was told they can write here."))


async def on_ban(update: Update, context: NavContext) -> None:
    ticket = await _ticket_or_say(update, context)
    if ticket is None:
        return
    reason = " ".join(context.args or []).strip()
    if not reason:
        return await reply(update.effective_message, context._(
            "Usage: /ban REASON — the person of this ticket can no longer write to the desk (you never learn "
            "who it is). /unban lifts it."))
    user_id = await service.asker_of(context.session, ticket.id)
    closed = await service.ban(context.session, context.desk.secret, ticket, reason[:REASON_LIMIT],
                               update.effective_user.id)
    if closed is None:
        return await reply(update.effective_message, "🗑 " + context._(
            "The person of this ticket deleted their data: there is nobody to ban."))
    await moderation.audit(context.session, update.effective_user.id, "desk_ban", f"#{ticket.id}")
    await context.desk.refresh_person(context.session, user_id)
    log.info("ticket %s: its person was banned from the desk (%d ticket(s) closed)", ticket.id, len(closed))
    await reply(update.effective_message, "🚫 " + context._(
        "The person of #{n} can no longer write to the desk. Reason: {reason}. Their open tickets were closed. "
        "/unban here lifts it.", n=ticket.id, reason=html.escape(reason[:REASON_LIMIT])))
    await context.desk.sync(closed)


async def on_unban(update: Update, context: NavContext) -> None:
    if not await is_volunteer(update, context):
        return await refuse_command(update, context)
    message = update.effective_message
    ticket_id = number_arg(context)
    if ticket_id is None:
        ticket = await ticket_here(update, context)
        ticket_id = ticket.id if ticket else None
    if ticket_id is None:
        return await reply(message, context._("Usage: /unban in the ticket's topic, or /unban NUMBER."))
    lifted = await service.unban(context.session, context.desk.secret, ticket_id)
    if lifted is None:
        return await reply(message, "ℹ️ " + context._("No ban was set from ticket #{n}.", n=ticket_id))
    await moderation.audit(context.session, update.effective_user.id, "desk_unban", f"#{ticket_id}")
    await reply(message, "✅ " + context._("Ban lifted: the person of #{n} can write to the desk again.", n=ticket_id))


def _duration(context: NavContext, value: timedelta | None) -> str:
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    if minutes < 60:
        return context._("{m} min", m=minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return context._("{h} h {m} min", h=hours, m=minutes)
    return context._("{d} d {h} h", d=hours // 24, h=hours % 24)


async def on_desk(update: Update, context: NavContext) -> None:
    if not await is_volunteer(update, context):
        return await refuse_command(update, context)
    stats = await service.stats(context.session)
    lines = ["📊 <b>" + context._("Help desk") + "</b>",
             context._("Open tickets: {open}; waiting for an answer: {waiting}.", open=stats.open,
                       waiting=stats.waiting)]
    if stats.oldest is not None:
        lines.append(context._("Waiting longest: #{n}, for {time}.", n=stats.oldest[0],
                               time=_duration(context, stats.oldest[1])))
    for window in stats.windows:
        lines.append(context._(
            "Last {days} days: {asked} asked, {answered} answered; median time to the first answer: {median}; "
            "marked helpful: {helped}.", days=window.days, asked=window.asked, answered=window.answered,
            median=_duration(context, window.median), helped=window.helped))
    await reply(update.effective_message, "\n".join(lines))


def handlers(desk: Desk) -> list[BaseHandler]:
    here = filters.Chat(chat_id=desk.chat_id) & filters.UpdateType.MESSAGE
    return [
        CommandHandler("close", on_close, filters=here),
        CommandHandler("reopen", on_reopen, filters=here),
        CommandHandler("ban", on_ban, filters=here),
        CommandHandler("unban", on_unban, filters=here),
        CommandHandler("desk", on_desk, filters=here),
    ]

