"""The help desk service: carries a ticket between the person and the volunteers' forum, and keeps time.

Created in ``build_application`` when ``HELPDESK_CHAT_ID`` is set, started and stopped with the Application; it
schedules its own job. What goes *to the person* (a volunteer's reply, "your question was closed") is queued for
the outbox engine (``bot.helpdesk.feed``), which paces it and handles 429 and "blocked" as for every feed. What
goes *to the staff group* is written here, with the desk's own ``Bot`` (no shared rate limiter: a 429 from the
group pauses only the desk, never a reply to anyone).

The database is the truth and the group follows it (:meth:`Desk.sync`): the person's messages not yet posted are
posted (the first one opens the topic), the topic is closed or reopened to match the ticket, a volunteer's
message gets a 👍 once the person has it (or a reply saying why not), a withdrawn ticket's first post is replaced
with "ticket withdrawn" and the copies of the person's words are deleted. Whatever Telegram refuses for the
moment (429, a network error) is done by the next run of the job. A topic someone deleted is created again and
the person's messages are posted again.

The job also bumps tickets waiting longer than ``HELPDESK_REMIND_HOURS``, closes answered tickets idle for a week
(telling the person), and deletes texts and topics ``HELPDESK_RETENTION_DAYS`` after a ticket closed. One desk
runs per bot process (the one that receives the updates).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot, ReactionTypeEmoji, ReplyParameters
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.config import Settings
from bot.db import Database, utcnow
from bot.helpdesk import posts, service
from bot.helpdesk.models import (
    ANSWER,
    BLOCKED,
    BY_IDLE,
    DELIVERED,
    FAILED,
    GONE,
    OPEN,
    PERSON,
    QUEUED,
    VOLUNTEER,
    WITHDRAWN,
    DeskMessage,
    Ticket,
)
from bot.knowledge import service as knowledge
from bot.outbox import Outcome, retry_seconds

if TYPE_CHECKING:
    from telegram.ext import Application, CallbackContext

log = logging.getLogger(__name__)

TICK_SECONDS = 30.0
_GONE = ("thread not found", "topic_id_invalid", "topic_deleted")


class _Stop(Exception):
    """Stop this run: Telegram asked us to wait, the network failed, or the bot cannot write to the group."""


class _TopicGone(Exception):
    """The ticket's topic was deleted."""


def _is(exc: Exception, *needles: str) -> bool:
    text = str(exc).lower()
    return any(n.lower() in text for n in needles)


class Desk:
    JOB_NAME = "helpdesk"

    def __init__(self, database: Database, settings: Settings, *, tick: float = TICK_SECONDS) -> None:
        assert settings.helpdesk_chat_id is not None and settings.token
        self.database, self.settings, self.tick = database, settings, tick
        self.chat_id: int = settings.helpdesk_chat_id
        self.locale = settings.default_locale  # the staff group's language
        self.remind_after = timedelta(hours=settings.helpdesk_remind_hours)
        self.retention = timedelta(days=settings.helpdesk_retention_days)
        # Bans are kept as codes keyed with a secret only this bot has (derived from its token).
        self.secret = hashlib.sha256(b"asylum-navigator desk bans\0" + settings.token.encode()).digest()
        self.bot: Bot | None = None
        self.open_askers: set[int] = set()  # who has an open ticket: their free text goes to it
        self.paused_until = 0.0  # monotonic time before which the group is not written to (after a 429)
        self._lock = asyncio.Lock()

    # ---- life cycle ------------------------------------------------------------------------------------------
    async def start(self, application: Application) -> None:
        self.bot = Bot(self.settings.token, base_url=self.settings.bot_base_url)
        await self.bot.initialize()
        async with self.database.session() as session:
            self.open_askers = await service.open_askers(session)
        assert application.job_queue is not None, "the help desk needs PTB's job-queue extra"
        application.job_queue.run_repeating(self._tick, interval=self.tick, first=1.0, name=self.JOB_NAME,
                                            job_kwargs={"max_instances": 1, "coalesce": True})

    async def stop(self) -> None:
        if self.bot is not None:
            await self.bot.shutdown()
            self.bot = None

    async def _tick(self, _context: CallbackContext) -> None:
        try:
            await self.housekeeping()
        except Exception:  # the next tick tries again; never let one bad row stop the clock
            log.exception("help desk housekeeping failed")

    # ---- who has an open ticket ------------------------------------------------------------------------------
    def has_open(self, user_id: int) -> bool:
        return user_id in self.open_askers

    async def refresh_person(self, session: AsyncSession, user_id: int | None) -> None:
        if user_id is None:
            return
        if await service.open_tickets(session, user_id):
            self.open_askers.add(user_id)
        else:
            self.open_askers.discard(user_id)

    def forget_person(self, user_id: int) -> None:
        self.open_askers.discard(user_id)

    # ---- Telegram calls to the group -------------------------------------------------------------------------
    async def _tg(self, method: str, **params: Any) -> Any:
        if time.monotonic() < self.paused_until:
            raise _Stop
        assert self.bot is not None, "the desk has not been started"
        try:
            return await getattr(self.bot, method)(chat_id=self.chat_id, **params)
        except RetryAfter as exc:
            self.paused_until = time.monotonic() + retry_seconds(exc)
            log.warning("staff group: Telegram asked to wait %.0f s", retry_seconds(exc))
            raise _Stop from None
        except Forbidden as exc:
            self.paused_until = time.monotonic() + 60
            log.error("staff group: the bot cannot write there (%s)", type(exc).__name__)
            raise _Stop from None
        except BadRequest as exc:
            if _is(exc, *_GONE):
                raise _TopicGone from None
            raise
        except (NetworkError, TelegramError) as exc:
            log.warning("staff group: %s", type(exc).__name__)
            raise _Stop from None

    async def post(self, text: str, thread_id: int | None, **params: Any) -> int | None:
        """Best effort: a short note in a topic (None if it could not be posted now)."""
        try:
            sent = await self._tg("send_message", text=text, message_thread_id=thread_id, parse_mode="HTML",
                                  disable_web_page_preview=True, **params)
            return sent.message_id
        except (_Stop, _TopicGone, BadRequest) as exc:
            log.info("staff group note not posted (%s)", type(exc).__name__)
            return None

    # ---- keeping the group in step with the database ---------------------------------------------------------
    async def sync(self, ticket_ids: Iterable[int] | None = None) -> bool:
        """Bring these tickets' topics (default: every ticket with something to do) in step; False when Telegram
        made us stop early (the job finishes later)."""
        async with self._lock, self.database.session() as session:
            ids = list(ticket_ids) if ticket_ids is not None else await self._pending(session)
            for ticket_id in ids:
                ticket = await session.get(Ticket, ticket_id)
                if ticket is None:
                    continue
                try:
                    await self._sync_ticket(session, ticket)
                except _Stop:
                    await session.rollback()
                    return False
                except BadRequest as exc:
                    log.error("ticket %s: Telegram refused a step (%s)", ticket_id, type(exc).__name__)
                    await session.rollback()
        return True

    async def _pending(self, session: AsyncSession) -> list[int]:
        unposted = select(DeskMessage.ticket_id).where(DeskMessage.author == PERSON, DeskMessage.text.is_not(None),
                                                       DeskMessage.group_message_id.is_(None))
        unacknowledged = select(DeskMessage.ticket_id).where(
            DeskMessage.author.in_((VOLUNTEER, ANSWER)), DeskMessage.state != QUEUED,
            DeskMessage.acknowledged.is_(False))
        rows = await session.scalars(select(Ticket.id).where(Ticket.purged.is_(False), or_(
            Ticket.id.in_(unposted) & ((Ticket.status == OPEN) | Ticket.thread_id.is_not(None)),
            Ticket.id.in_(unacknowledged),
            (Ticket.status == WITHDRAWN) & Ticket.scrubbed.is_(False),
            Ticket.thread_id.is_not(None) & (Ticket.topic_closed != (Ticket.status != OPEN)),
        )).order_by(Ticket.id))
        return list(rows.all())

    async def _sync_ticket(self, session: AsyncSession, ticket: Ticket) -> None:
        if ticket.purged:
            return
        if ticket.status == WITHDRAWN:
            if not ticket.scrubbed:
                await self._scrub(session, ticket)
            return
        await self._post_pending(session, ticket)
        await self._topic_state(session, ticket)
        await self._acknowledge(session, ticket)

    async def _person_messages(self, session: AsyncSession, ticket: Ticket) -> list[DeskMessage]:
        return list((await session.scalars(select(DeskMessage).where(
            DeskMessage.ticket_id == ticket.id, DeskMessage.author == PERSON).order_by(DeskMessage.id))).all())

    async def _post_pending(self, session: AsyncSession, ticket: Ticket) -> None:
        recreated = False
        for _attempt in range(2):
            if ticket.status != OPEN and ticket.thread_id is None:
                return  # a closed ticket whose topic is gone is not brought back
            messages = await self._person_messages(session, ticket)
            if not any(m.group_message_id is None and m.text is not None for m in messages):
                return
            try:
                if ticket.thread_id is None:
                    topic = await self._tg("create_forum_topic", name=posts.topic_name(ticket))
                    ticket.thread_id, ticket.root_message_id, ticket.topic_closed = topic.message_thread_id, None, False
                    await session.commit()
                for index, message in enumerate(messages):
                    if message.group_message_id is not None or message.text is None:
                        continue
                    if index == 0:
                        text, markup = posts.root_post(ticket, message.text, await self._titles(session, ticket),
                                                       self.locale, recreated)
                    else:
                        text, markup = posts.follow_up(message.text), None
                    sent = await self._tg("send_message", text=text, message_thread_id=ticket.thread_id,
                                          parse_mode="HTML", reply_markup=markup, disable_web_page_preview=True)
                    message.group_message_id = sent.message_id
                    if index == 0:
                        ticket.root_message_id = sent.message_id
                    await session.commit()
                return
            except _TopicGone:
                log.info("ticket %s: its topic was deleted; creating it again", ticket.id)
                await self._lost_topic(session, ticket)
                recreated = True

    async def _lost_topic(self, session: AsyncSession, ticket: Ticket) -> None:
        """Forget a deleted topic: the next post creates a new one and posts the person's messages again."""
        ticket.thread_id, ticket.root_message_id, ticket.topic_closed = None, None, False
        await session.execute(update(DeskMessage).where(DeskMessage.ticket_id == ticket.id,
                                                        DeskMessage.author == PERSON).values(group_message_id=None))
        await session.commit()

    async def _titles(self, session: AsyncSession, ticket: Ticket) -> list[tuple[str, str]]:
        """(slug, title) of the suggested reviewed answers that still exist, in the group's language."""
        found = []
        for slug in ticket.suggested or []:
            topic = await knowledge.topic_by_slug(session, slug)
            text = await knowledge.text_for(session, topic, self.locale) if topic is not None else None
            if text is not None and topic.kind == "answer":
                found.append((slug, text.title))
        return found

    async def _topic_state(self, session: AsyncSession, ticket: Ticket) -> None:
        want_closed = ticket.status != OPEN
        if ticket.thread_id is None or ticket.topic_closed == want_closed:
            return
        try:
            await self._tg("close_forum_topic" if want_closed else "reopen_forum_topic",
                           message_thread_id=ticket.thread_id)
        except _TopicGone:
            await self._lost_topic(session, ticket)
            return
        except BadRequest as exc:
            if not _is(exc, "not_modified", "not modified"):
                raise
        ticket.topic_closed = want_closed
        await session.commit()

    async def _acknowledge(self, session: AsyncSession, ticket: Ticket) -> None:
        """👍 on a volunteer's message the person received; a reply saying why, when they did not."""
        pending = (await session.scalars(select(DeskMessage).where(
            DeskMessage.ticket_id == ticket.id, DeskMessage.author.in_((VOLUNTEER, ANSWER)),
            DeskMessage.state != QUEUED, DeskMessage.acknowledged.is_(False)).order_by(DeskMessage.id))).all()
        for message in pending:
            try:
                if ticket.thread_id is None:
                    pass  # the topic was deleted, and the volunteer's message with it
                elif message.state == DELIVERED:
                    await self._tg("set_message_reaction", message_id=message.group_message_id,
                                   reaction=[ReactionTypeEmoji(posts.REACTION_DELIVERED)])
                else:
                    await self._tg("send_message", text=posts.notice(message.state, self.locale),
                                   message_thread_id=ticket.thread_id, parse_mode="HTML",
                                   reply_parameters=ReplyParameters(message.group_message_id,
                                                                                    allow_sending_without_reply=True))
            except _TopicGone:
                pass  # the topic is gone, and the message with it
            except BadRequest as exc:  # the volunteer's message was deleted meanwhile
                log.info("ticket %s: acknowledgement skipped (%s)", ticket.id, type(exc).__name__)
            message.acknowledged = True
            await session.commit()

    async def _scrub(self, session: AsyncSession, ticket: Ticket) -> None:
        """A withdrawn ticket: the first post says so, the copies of the person's other messages go, the topic
        closes. The texts are already gone from the database."""
        if ticket.thread_id is not None:
            try:
                for message in await self._person_messages(session, ticket):
                    if message.group_message_id is None:
                        continue
                    try:
                        if message.group_message_id == ticket.root_message_id:
                            await self._tg("edit_message_text", message_id=message.group_message_id,
                                           text=posts.withdrawn(ticket.id, self.locale), reply_markup=None)
                        else:
                            await self._tg("delete_message", message_id=message.group_message_id)
                    except BadRequest as exc:
                        if not _is(exc, "not found", "not modified", "can't be deleted"):
                            raise
                        if _is(exc, "can't be deleted"):
                            log.error("ticket %s: a copy of the person's message could not be deleted", ticket.id)
                    message.group_message_id = None
                    await session.commit()
                if not ticket.topic_closed:
                    try:
                        await self._tg("close_forum_topic", message_thread_id=ticket.thread_id)
                    except BadRequest as exc:
                        if not _is(exc, "not_modified", "not modified"):
                            raise
            except _TopicGone:
                pass  # nothing left to scrub
        await session.execute(DeskMessage.__table__.delete().where(DeskMessage.ticket_id == ticket.id))
        ticket.scrubbed, ticket.topic_closed = True, True
        await session.commit()

    # ---- events --------------------------------------------------------------------------------------------
    async def delivery_settled(self, session: AsyncSession, ticket_id: int, message_id: int | None,
                               outcome: Outcome, person: str) -> None:
        """The outbox finished a message to the person: note the outcome, then 👍 or say why not. ``person``:
        ``here``, ``blocked`` (they blocked the bot) or ``gone`` (they deleted their data)."""
        if message_id is not None:
            state = {Outcome.SENT: DELIVERED, Outcome.BLOCKED: BLOCKED, Outcome.FAILED: FAILED}.get(
                outcome, {"blocked": BLOCKED, "gone": GONE}.get(person, FAILED))
            await session.execute(update(DeskMessage).where(DeskMessage.id == message_id).values(state=state))
            await session.commit()
            await self.sync([ticket_id])

    async def withdraw(self, session: AsyncSession, user_id: int) -> list[int]:
        """/delete_me: see :func:`service.withdraw_person`; then the group is scrubbed."""
        ids = await service.withdraw_person(session, user_id)
        self.forget_person(user_id)
        if ids:
            log.info("withdrew %d ticket(s)", len(ids))
            await self.sync(ids)
        return ids

    # ---- the clock -----------------------------------------------------------------------------------------
    async def housekeeping(self, now: datetime | None = None) -> None:
        """Bumps, automatic closes, retention, then whatever the group still lacks."""
        now = now or utcnow()
        async with self.database.session() as session:
            for ticket in await service.due_bumps(session, self.remind_after, now):
                if ticket.thread_id is None:
                    continue  # not in the group yet: the sync below posts it
                if await self.post(posts.bump(ticket.id, now - ticket.waiting_since, self.locale),
                                   ticket.thread_id) is not None:
                    ticket.bumped_at = now
                    await session.commit()
            for ticket in await service.due_idle(session, now):
                user_id = await service.asker_of(session, ticket.id)
                await service.close_by_volunteer(session, ticket, now, by=BY_IDLE)
                await self.refresh_person(session, user_id)
                await self.post(posts.notice("idle", self.locale), ticket.thread_id)
                log.info("ticket %s closed after a week without messages", ticket.id)
            await self._retention(session, now)
        await self.sync()

    async def _retention(self, session: AsyncSession, now: datetime) -> None:
        for ticket in await service.due_purge(session, self.retention, now):
            await service.purge(session, ticket)
        # The topics of purged tickets (and those whose deletion failed before: a missing right, a network error).
        leftover = (await session.execute(select(Ticket.id, Ticket.thread_id).where(
            Ticket.purged.is_(True), Ticket.thread_id.is_not(None)))).all()
        for ticket_id, thread_id in leftover:
            await self._delete_topic(session, ticket_id, thread_id)

    async def _delete_topic(self, session: AsyncSession, ticket_id: int, thread_id: int) -> None:
        done = True
        try:
            await self._tg("delete_forum_topic", message_thread_id=thread_id)
        except _TopicGone:
            pass
        except (_Stop, BadRequest) as exc:
            log.error("ticket %s: its topic could not be deleted (%s)", ticket_id, type(exc).__name__)
            done = False
        if done:
            await session.execute(update(Ticket).where(Ticket.id == ticket_id)
                                  .values(thread_id=None, root_message_id=None))
            await session.commit()
            log.info("ticket %s: texts and topic deleted after retention", ticket_id)

