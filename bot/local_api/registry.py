"""The table of Bot API methods: each family module registers its implementations with :func:`method`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from .state import BotState, World

Handler = Callable[[World, BotState, dict], Awaitable[Any]]
METHODS: dict[str, tuple[str, Handler]] = {}


def method(name: str) -> Callable[[Handler], Handler]:
    """Register a Bot API method; names are matched case-insensitively, as Telegram does."""

    def register(fn: Handler) -> Handler:
        METHODS[name.lower()] = (name, fn)
        return fn

    return register
