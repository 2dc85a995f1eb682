"""Strict local Telegram Bot API server used by end-to-end tests, the `try` mode and benchmarks.

Modules: ``validation`` (Telegram's rules), ``state`` (what the server remembers), ``registry`` and ``methods``
(the Bot API methods by family), ``server`` (HTTP), ``driver`` (acting as users, inspecting, fault injection).
"""

from .api import LocalBotApi
from .driver import WaitTimeout
from .state import BotMessage, InlineAnswer

__all__ = ["BotMessage", "InlineAnswer", "LocalBotApi", "WaitTimeout"]
