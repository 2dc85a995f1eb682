"""Bot API method implementations, one module per family; importing this package registers them all."""

from ..registry import METHODS
from . import inline, messages, profile, updates

__all__ = ["METHODS", "inline", "messages", "profile", "updates"]
