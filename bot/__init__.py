"""Asylum Navigator: a Telegram bot that walks Russian speakers through the US asylum process.

The package holds the core (configuration, database, i18n, knowledge base, reminders, the local Bot API);
Telegram handlers live in the top-level ``handlers`` package.
"""

__version__ = "0.1.0"
