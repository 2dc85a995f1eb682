"""How the bot's own requests (its replies) reach the Bot API: a 429 delays only its chat, a 5xx is tried again.

* :class:`PerChatRetry` — PTB's ``AIORateLimiter`` answers a 429 by pausing *every* request of the bot, so a
  ``retry_after=30`` on one person's reply held up everybody's for 30 seconds. Here a 429 pauses only requests
  to that chat: the request waits the time Telegram asked for and is tried again (a bounded number of times);
  other chats go on at once. Replies are not paced otherwise: each answers a person's own message. The reminder
  and broadcast outbox paces itself with its own Bot instance and is not affected.
* :class:`RetryingRequest` — a reply lost to a 5xx (or to a connection that never opened) is tried once more,
  here, for every request, instead of each handler apologising. A request that timed out is not repeated: it
  may well have arrived, and a duplicate is worse than a late answer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from aiohttp import ClientConnectorError
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter
from telegram.request import RequestData

from bot.http import AiohttpRequest
from bot.updates import slot_released

log = logging.getLogger(__name__)

MAX_RETRIES = 2  # tries after the first 429 of a request
MAX_WAIT = 120.0  # a longer retry_after is given up on: the person has long moved on
RETRY_5XX_AFTER = 0.3  # seconds before the one repeat of a request that met a 5xx


def retry_after_seconds(exc: RetryAfter) -> float:
    # PTB keeps a timedelta privately; its public ``retry_after`` warns that it will change type in PTB 23.
    value = getattr(exc, "_retry_after", None)
    if not isinstance(value, timedelta):
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class PerChatRetry(BaseRateLimiter[int]):
    """On RetryAfter, wait and retry that request, and hold back other requests to the same chat meanwhile."""

    def __init__(self, max_retries: int = MAX_RETRIES, max_wait: float = MAX_WAIT) -> None:
        self.max_retries, self.max_wait = max_retries, max_wait
        self._paused: dict[str, float] = {}  # chat id -> monotonic time until which it must wait

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        self._paused.clear()

    async def _wait_for_chat(self, chat: str | None) -> None:
        if chat is None:
            return
        until = self._paused.get(chat)
        if until is None:
            return
        delay = until - time.monotonic()
        if delay > 0:
            async with slot_released():  # waiting is no work: the update's slot serves others meanwhile
                await asyncio.sleep(delay)
        elif self._paused.get(chat) == until:
            del self._paused[chat]

    def _pause(self, chat: str | None, seconds: float) -> None:
        if chat is None:
            return
        now = time.monotonic()
        if len(self._paused) > 1024:  # forget chats whose pause is over
            for key in [k for k, until in self._paused.items() if until <= now]:
                del self._paused[key]
        self._paused[chat] = max(self._paused.get(chat, 0.0), now + seconds)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat = data.get("chat_id")
        chat = None if chat is None else str(chat)
        retries = self.max_retries if rate_limit_args is None else rate_limit_args
        attempt = 0
        while True:
            await self._wait_for_chat(chat)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                seconds = retry_after_seconds(exc)
                if attempt >= retries or seconds > self.max_wait:
                    log.warning("429 on %s: giving up after %d tries (retry_after %.0f s)", endpoint, attempt + 1,
                                seconds)
                    raise
                attempt += 1
                log.info("429 on %s: this chat waits %.0f s, other chats go on", endpoint, seconds)
                self._pause(chat, seconds)
                if chat is None:  # no chat to hold back: this request alone waits
                    async with slot_released():
                        await asyncio.sleep(seconds)


class RetryingRequest(AiohttpRequest):
    """The replies' transport (:mod:`bot.http`), repeating a request once after a 5xx or after a connection that
    could not be opened."""

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         **timeouts: Any) -> tuple[int, bytes]:
        from telegram.error import NetworkError, TimedOut

        # Uploads are not repeated: their streams are spent.
        repeatable = request_data is None or not request_data.multipart_data
        try:
            code, payload = await super().do_request(url, method, request_data, **timeouts)
        except TimedOut:
            raise  # it may have arrived: never send it twice
        except NetworkError as exc:
            if not repeatable or not isinstance(exc.__cause__, ClientConnectorError):
                raise
            log.debug("Bot API connection failed; trying once more")
        else:
            if code < 500 or not repeatable:
                return code, payload
            log.debug("Bot API answered %d; trying once more", code)
        await asyncio.sleep(RETRY_5XX_AFTER)
        return await super().do_request(url, method, request_data, **timeouts)
