"""Confirming updates to Telegram only once they are handled, so that a crash or a takeover loses none."""

from __future__ import annotations

import asyncio
import json
import time

from telegram import Update

from bot.ops.metrics import Metrics


class ConfirmGate:
    """Confirms updates to Telegram only once they are handled (bounded), so a crash loses none.

    Telegram keeps an update until a later ``getUpdates`` with a higher offset confirms it. Stock PTB asks for the
    next batch as soon as the previous one is queued, so a process killed mid-handling has already confirmed
    updates it never answered. Here the next ``getUpdates`` waits until every update of the previous batches has
    been handled — at most ``wait_s`` seconds, so one slow update cannot hold everyone up for longer.
    """

    def __init__(self, wait_s: float, metrics: Metrics | None = None) -> None:
        self.wait_s = wait_s
        self.metrics = metrics
        self.pending: set[int] = set()
        self.last_poll: float | None = None  # time.monotonic() of the last answered getUpdates
        self._idle: asyncio.Event | None = None

    def _event(self) -> asyncio.Event:
        if self._idle is None:
            self._idle = asyncio.Event()
            if not self.pending:
                self._idle.set()
        return self._idle

    async def before_poll(self) -> None:
        if not self.pending or self.wait_s <= 0:
            return
        try:
            await asyncio.wait_for(self._event().wait(), self.wait_s)
        except TimeoutError:
            # This poll confirms them anyway; waiting for them again would slow everyone down on every poll.
            self.pending.clear()
            self._event().set()
            if self.metrics:
                self.metrics.confirm_waits_expired.inc()
                self.metrics.in_flight.set(0)

    def polled(self, payload: bytes) -> None:
        self.last_poll = time.monotonic()
        if self.wait_s <= 0 or len(payload) < 30:  # '{"ok":true,"result":[]}' holds no update
            return
        try:
            ids = [u["update_id"] for u in json.loads(payload).get("result", ())]
        except (ValueError, TypeError, KeyError, AttributeError):
            return
        if ids:
            self.pending.update(ids)
            self._event().clear()
            if self.metrics:
                self.metrics.in_flight.set(len(self.pending))

    def handled(self, update: object) -> None:
        if not self.pending or not isinstance(update, Update):
            return
        self.pending.discard(update.update_id)
        if self.metrics:
            self.metrics.in_flight.set(len(self.pending))
        if not self.pending:
            self._event().set()
