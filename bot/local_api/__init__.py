"""Strict local Telegram Bot API server used by end-to-end tests, the `try` mode and benchmarks."""

from .server import BotMessage, LocalBotApi, WaitTimeout

__all__ = ["BotMessage", "LocalBotApi", "WaitTimeout"]
