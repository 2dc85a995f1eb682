"""Messages to the person as an outbox feed (``bot.outbox`` sends them): a volunteer's reply signed "Asylum
Navigator volunteer", a reviewed answer a volunteer chose, and "your question was closed / reopened".

Nothing is sent for a ticket that was withdrawn or whose texts are gone. Once a row is settled, the desk notes
the outcome (👍 on the volunteer's message, or a reply saying why not) and the row is deleted: the outbox table
does not become a lasting second link from a ticket to a person.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.helpdesk import posts
from bot.helpdesk.models import REPLY, REVIEWED, WITHDRAWN, DeskDelivery, DeskMessage, Ticket
from bot.i18n import locale_for
from bot.knowledge import service as knowledge
from bot.models import User
from bot.outbox import Envelope, FeedBase, Outcome, Skip

if TYPE_CHECKING:
    from bot.helpdesk.desk import Desk


class DeskFeed(FeedBase):
    name: ClassVar[str] = "helpdesk"
    model: ClassVar[type] = DeskDelivery

    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    async def compose(self, session: AsyncSession, row: DeskDelivery, user: User, now: datetime,
                      late: bool) -> Envelope | Skip:
        ticket = await session.get(Ticket, row.ticket_id)
        if ticket is None or ticket.status == WITHDRAWN or ticket.purged:
            return Skip("withdrawn")
        locale = locale_for(user.locale, None, ticket.locale)
        if row.kind in (REPLY, REVIEWED):
            message = await session.get(DeskMessage, row.message_id) if row.message_id else None
            if message is None or message.text is None:
                return Skip("purged")
            if row.kind == REPLY:
                return Envelope(*posts.volunteer_reply(ticket.id, message.text, locale))
            topic = await knowledge.topic_by_slug(session, message.text)
            text = await knowledge.text_for(session, topic, locale) if topic is not None else None
            if text is None:
                return Skip("no_answer")
            return Envelope(*posts.reviewed_answer(ticket.id, message.text, text.title, locale))
        return Envelope(*posts.person_notice(row.kind, ticket.id, locale))

    async def settled(self, session: AsyncSession, row: DeskDelivery, outcome: Outcome) -> None:
        if outcome == Outcome.RETRY:
            return
        blocked = await session.scalar(select(User.blocked).where(User.id == row.user_id))
        await session.execute(delete(DeskDelivery).where(DeskDelivery.id == row.id))
        await session.commit()
        person = "gone" if blocked is None else "blocked" if blocked else "here"
        await self.desk.delivery_settled(session, row.ticket_id, row.message_id, outcome, person)
