"""Handling updates of different people at the same time, and each person's updates strictly in order.

PTB's default handles one update at a time, so one slow database call or Bot API reply holds up everyone. Its
simple concurrent processor would also run two taps of the same person at once, which breaks conversations
(the reminder form) and double-tap protection. This processor does both right: up to ``max_concurrent``
updates at once, but never two of the same user (or chat) together.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from telegram import Update
from telegram.ext import BaseUpdateProcessor

MAX_CONCURRENT_UPDATES = 32


class PerUserUpdateProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT_UPDATES) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[object, asyncio.Lock] = {}
        self._waiting: dict[object, int] = {}

    @staticmethod
    def _key(update: object) -> object:
        if isinstance(update, Update):
            if update.effective_user is not None:
                return ("user", update.effective_user.id)
            if update.effective_chat is not None:
                return ("chat", update.effective_chat.id)
        return None  # updates of nobody in particular still go one at a time among themselves

    async def do_process_update(self, update: object, coroutine: Awaitable) -> None:
        key = self._key(update)
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:  # forget idle people, so the dict does not grow with every user ever seen
                del self._waiting[key]
                del self._locks[key]

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass
