"""Handling updates of different people at the same time, each person's updates strictly in order, and one
person's flood never slowing anybody else.

PTB's default handles one update at a time, so one slow database call or Bot API reply holds up everyone. Its
simple concurrent processor would also run two taps of the same person at once, which breaks conversations
(the reminder form) and double-tap protection. This processor does both right: up to ``max_concurrent``
updates at once, but never two of the same user (or chat) together.

Three rules keep one person from holding up the others:

* An update takes one of the ``max_concurrent`` slots only once it holds its person's lock. PTB's
  ``BaseUpdateProcessor.process_update`` takes the slot first and then calls ``do_process_update``, so one
  person's queue of 300 messages waiting on their own lock held every slot and everyone else waited; here
  ``process_update`` is overridden to take the person's lock first, then the slot.
* A person's updates beyond ``flood_messages`` within ``flood_seconds`` are dropped unread, and the person gets
  one polite "slow down" message per burst (``on_flood``), not one per dropped message.
* An update that only waits — its chat was given a 429 and must sit out ``retry_after`` (``bot.transport``) — hands
  its slot back for the wait (:func:`slot_released`) and takes one again afterwards, so a few people's 429s can
  never hold every slot.

There are few slots (:data:`MAX_CONCURRENT_UPDATES`) on purpose: updates are short (a cached screen, a reply), the
process has one core's worth of Python, and the bot has as many Bot API connections (``bot.http``). More updates at
once than connections would only queue for them. Eight updates of ~0.2 s each against Telegram (two requests)
are about 40 updates a second, above the ~30 messages a second Telegram lets a bot send.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.http import CONNECTIONS
from bot.i18n import N_, locale_for, translator

log = logging.getLogger(__name__)

MAX_CONCURRENT_UPDATES = CONNECTIONS  # as many as the bot's Bot API connections
FLOOD_MESSAGES = 20  # a person's updates in FLOOD_SECONDS beyond which they are dropped
FLOOD_SECONDS = 10.0
_SWEEP_EVERY = 1024  # updates between sweeps of idle people's counters

FloodNotice = Callable[[Update], Awaitable[None]]


class _Slot:
    """The slot an update holds while it runs; it can be handed back during a wait (see :func:`slot_released`)."""

    __slots__ = ("_semaphore", "held")

    def __init__(self, semaphore: asyncio.BoundedSemaphore) -> None:
        self._semaphore, self.held = semaphore, False

    async def acquire(self) -> None:
        await self._semaphore.acquire()
        self.held = True

    def release(self) -> None:
        if self.held:
            self.held = False
            self._semaphore.release()


_current_slot: ContextVar[_Slot | None] = ContextVar("navigator_update_slot", default=None)


@asynccontextmanager
async def slot_released() -> AsyncIterator[None]:
    """Around a wait that is no work (a 429's retry_after): the update's slot is free for others meanwhile, and
    taken again before the update goes on. Outside an update (the outbox's own sends) it changes nothing."""
    slot = _current_slot.get()
    if slot is None or not slot.held:
        yield
        return
    slot.release()
    try:
        yield
    finally:
        await slot.acquire()


class PerUserUpdateProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT_UPDATES, *,
                 flood_messages: int = FLOOD_MESSAGES, flood_seconds: float = FLOOD_SECONDS,
                 on_flood: FloodNotice | None = None) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[object, asyncio.Lock] = {}
        self._waiting: dict[object, int] = {}
        self.flood_messages, self.flood_seconds = flood_messages, flood_seconds
        self.on_flood = on_flood
        self._recent: dict[object, deque[float]] = {}  # accepted updates' times, per person, within the window
        self._noticed: set[object] = set()  # people told to slow down in their current burst
        self._seen = 0
        self.dropped = 0  # updates dropped as a flood since start (for tests and benchmarks)
        self.in_progress = 0  # updates handed over and not finished yet, waiting for their turn included

    @staticmethod
    def _key(update: object) -> object:
        if isinstance(update, Update):
            if update.effective_user is not None:
                return ("user", update.effective_user.id)
            if update.effective_chat is not None:
                return ("chat", update.effective_chat.id)
        return None  # updates of nobody in particular still go one at a time among themselves

    def _flooding(self, key: object) -> bool:
        """Counts the update; True when it is beyond the person's allowance and must be dropped."""
        now = time.monotonic()
        self._seen += 1
        if self._seen % _SWEEP_EVERY == 0:
            self._sweep(now)
        recent = self._recent.setdefault(key, deque())
        while recent and now - recent[0] >= self.flood_seconds:
            recent.popleft()
        if len(recent) >= self.flood_messages:
            return True
        recent.append(now)
        self._noticed.discard(key)  # accepted again: the burst is over
        return False

    def _sweep(self, now: float) -> None:
        for key in [k for k, times in self._recent.items() if not times or now - times[-1] >= self.flood_seconds]:
            del self._recent[key]
            self._noticed.discard(key)

    async def process_update(self, update: object, coroutine: Awaitable) -> None:  # type: ignore[override]
        """Replaces PTB's (which takes a slot before the person's lock; see the module docstring)."""
        self.in_progress += 1
        try:
            key = self._key(update)
            if key is not None and self._flooding(key):
                self.dropped += 1
                if hasattr(coroutine, "close"):
                    coroutine.close()  # never run: nothing of this update is read or stored
                if key not in self._noticed:
                    self._noticed.add(key)
                    await self._notify(update)
                return
            await self.do_process_update(update, coroutine)
        finally:
            self.in_progress -= 1

    async def _notify(self, update: object) -> None:
        if self.on_flood is None or not isinstance(update, Update):
            return
        try:
            async with self._semaphore:
                await self.on_flood(update)
        except Exception as exc:  # the notice is a courtesy; failing it must not disturb anything else
            log.warning("could not send the slow-down notice (%s)", type(exc).__name__)

    async def do_process_update(self, update: object, coroutine: Awaitable) -> None:
        key = self._key(update)
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:  # the person's turn first, then one of the shared slots
                slot = _Slot(self._semaphore)
                await slot.acquire()
                token = _current_slot.set(slot)
                try:
                    await coroutine
                finally:
                    _current_slot.reset(token)
                    slot.release()
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:  # forget idle people, so the dict does not grow with every user ever seen
                del self._waiting[key]
                del self._locks[key]

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


# The polite reply to a flood, in the person's language. Marked for extraction here, translated when sent.
SLOW_DOWN = N_(
    "You are sending messages faster than I can read them, so I skipped the last few. Please wait about ten "
    "seconds, then send one message at a time."
)


def flood_notice(bot, database, default_locale: str) -> FloodNotice:
    """``on_flood`` for the Application: one message to the person in their language (private chats only;
    in a group it would only add to the noise)."""
    from sqlalchemy import select

    from bot.models import User

    async def notice(update: Update) -> None:
        chat, user = update.effective_chat, update.effective_user
        if chat is None or chat.type != "private":
            return
        stored = None
        if user is not None:
            try:  # read only: the person's own (dropped) updates are not "seen" activity
                async with database.session() as session:
                    stored = await session.scalar(select(User.locale).where(User.id == user.id))
            except Exception as exc:  # the database is busy or down: Telegram's language code will do
                log.warning("flood notice without the stored language (%s)", type(exc).__name__)
        locale = locale_for(stored, user.language_code if user else None, default_locale)
        await bot.send_message(chat.id, "⏳ " + translator(locale)._(SLOW_DOWN))

    return notice
