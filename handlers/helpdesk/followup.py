"""A person's messages while they have an open question: each text goes to that ticket's topic.

With one open ticket the text goes there. With two, it goes to the one the person chose with "I have another
question"; otherwise the text is held (in the form's draft, nothing sent) and the person picks the ticket. The
same checks as for a new question apply: no A-number, phone or e-mail, text only, a flood limit per ticket.
Registered after the forms, so a reminder form that is open keeps its own text steps.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from telegram import Message, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, MessageHandler, filters

from bot.context import NavContext
from bot.helpdesk import buttons, service
from bot.helpdesk.desk import Desk
from bot.helpdesk.service import Refused
from bot.persistence import form_draft
from handlers.helpdesk.common import check, media_refusal, refusal, say
from handlers.helpdesk.mine import TARGET
from handlers.ui import ack, button, keyboard, show

HELD = "desk_followup"  # user_data: a follow-up waiting for the person to pick its ticket


@form_draft("desk_followup")
@dataclass
class HeldText:
    form_id: str
    text: str


class HasOpenTicket(filters.MessageFilter):
    """The sender has an open ticket (the desk keeps the set in memory, so no query per message)."""

    def __init__(self, desk: Desk) -> None:
        super().__init__(name="HasOpenTicket")
        self.desk = desk

    def filter(self, message: Message) -> bool:
        return message.from_user is not None and self.desk.has_open(message.from_user.id)


async def _add(update: Update, context: NavContext, ticket_id: int, text: str) -> None:
    try:
        await service.add_from_person(context.session, context.desk.secret, update.effective_user.id, ticket_id, text)
    except Refused as problem:
        await say(update, context, refusal(context, problem), ask=problem.reason == "closed")
        return
    await show(update, "✅ " + context._("Sent to the volunteers (#{n}).", n=ticket_id), new=True)
    await context.desk.sync([ticket_id])


async def on_text(update: Update, context: NavContext) -> None:
    text = update.effective_message.text or ""
    problem = check(context, text)
    if problem is not None:
        await show(update, problem, new=True)
        return
    user_id = update.effective_user.id
    tickets = await service.open_tickets(context.session, user_id)
    if not tickets:  # closed meanwhile (by a volunteer, or in another process)
        await context.desk.refresh_person(context.session, user_id)
        await say(update, context, refusal(context, Refused("closed")), ask=True)
        return
    ids = [t.id for t in tickets]
    target = context.user_data.get(TARGET)
    if len(ids) == 1 or target in ids:
        await _add(update, context, ids[0] if len(ids) == 1 else target, text)
        return
    held = context.user_data[HELD] = HeldText(form_id=secrets.token_hex(4), text=text)
    rows = [[button(f"#{ticket_id}", buttons.pick(held.form_id, ticket_id))] for ticket_id in ids]
    rows.append([button("✖️ " + context._("Do not send"), buttons.pick(held.form_id, None))])
    await show(update, context._("You have two open questions. Which one is this message about?"), keyboard(rows),
               new=True)


async def on_pick(update: Update, context: NavContext) -> None:
    form_id, ticket_id = buttons.pick_of(update.callback_query.data)
    held = context.user_data.get(HELD)
    if not isinstance(held, HeldText) or held.form_id != form_id:
        await ack(update, context._("This button is out of date."))
        return
    await ack(update)
    context.user_data.pop(HELD, None)
    if ticket_id is None:
        await show(update, context._("Nothing was sent."))
        return
    context.user_data[TARGET] = ticket_id
    await _add(update, context, ticket_id, held.text)


async def on_media(update: Update, context: NavContext) -> None:
    await show(update, media_refusal(context), new=True)


async def on_edit(update: Update, context: NavContext) -> None:
    await show(update, "✏️ " + context._("Edits do not reach the volunteers. Please send the correction as a new "
                                        "message."), new=True)


def handlers(desk: Desk) -> list[BaseHandler]:
    mine = filters.ChatType.PRIVATE & HasOpenTicket(desk)
    return [
        MessageHandler(mine & filters.UpdateType.EDITED_MESSAGE & filters.TEXT, on_edit),
        MessageHandler(mine & filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND, on_text),
        MessageHandler(mine & filters.UpdateType.MESSAGE & ~filters.TEXT & ~filters.COMMAND
                       & ~filters.StatusUpdate.ALL, on_media),
        CallbackQueryHandler(on_pick, pattern=buttons.P_PICK),
    ]
