"""Bot API method implementations, one module per family; importing this package registers them all."""

from ..registry import METHODS
from . import chats, forum, inline, messages, profile, updates

__all__ = ["METHODS", "chats", "forum", "inline", "messages", "profile", "updates"]
