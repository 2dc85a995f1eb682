"""Moderation from Telegram: edit answers safely, history and rollback, review dates, roles, audit, topics,
broadcasts — one module per feature. Only admins (ADMIN_IDS) and moderators see any of it (see ``access``).
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler

import handlers.fallback as fallback
from bot.context import NavContext
from handlers.moderation import broadcast, edit, history, team, topics
from handlers.moderation.access import requires
from handlers.moderation.team import publish_team_menus


@requires()
async def on_orphan_button(update: Update, context: NavContext) -> None:
    await fallback.on_stale_button(update, context)


def handlers() -> list[BaseHandler]:
    return [
        edit.conversation(),
        broadcast.conversation(),
        *team.handlers(),
        *history.handlers(),
        *topics.handlers(),
        # A moderation button outside its form: audited for outsiders, "out of date" for everyone.
        CallbackQueryHandler(on_orphan_button, pattern=r"^(me|mb|mr|ma):"),
    ]


__all__ = ["handlers", "publish_team_menus"]
