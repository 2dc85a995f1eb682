"""``LocalBotApi``: the HTTP server and the test driver over one shared state."""

from __future__ import annotations

from .group_driver import GroupDriver
from .server import BotApiServer

__all__ = ["LocalBotApi"]


class LocalBotApi(BotApiServer, GroupDriver):
    """A strict, in-process Telegram Bot API for end-to-end tests, ``python -m bot try`` and benchmarks.

    The bot talks to it over real HTTP (PTB ``base_url=api.base_url``) while a test, in the same event loop,
    acts as people in private chats (:class:`~bot.local_api.driver.Driver`) and in groups and forum topics
    (:class:`~bot.local_api.group_driver.GroupDriver`), and inspects what the bot did. Validation follows the
    real API closely (:mod:`bot.local_api.validation`), so what Telegram would reject fails here too.
    """

    async def start(self) -> LocalBotApi:
        await super().start()
        return self

    async def __aenter__(self) -> LocalBotApi:
        return await self.start()
