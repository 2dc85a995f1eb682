"""/topic_add, /topic_hide, /topic_show, /topic_move: the shape of the topic tree."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot.context import NavContext
from bot.knowledge.models import Topic
from bot.moderation import service as moderation
from bot.moderation.service import Invalid
from handlers.moderation.access import reasons, requires
from handlers.ui import show


@requires()
async def on_topic_admin(update: Update, context: NavContext) -> None:
    """/topic_add PARENT SLUG [menu|answer], /topic_hide SLUG, /topic_show SLUG, /topic_move SLUG PARENT."""
    command = update.effective_message.text.split()[0].lstrip("/").split("@")[0]
    args = [a.lower() for a in context.args]

    async def by_slug(slug: str) -> Topic | None:
        return await moderation.topic_any(context.session, slug)

    try:
        if command == "topic_add" and len(args) >= 2 and (parent := await by_slug(args[0])):
            topic = await moderation.create_topic(context.session, parent, args[1], (args[2:] or ["answer"])[0],
                                                  update.effective_user.id)
            text = context._("Created {slug} (hidden). Write both languages with /edit {slug}, then /topic_show "
                             "{slug}.", slug=topic.slug)
        elif command in ("topic_hide", "topic_show") and args and (topic := await by_slug(args[0])):
            await moderation.set_hidden(context.session, topic, command == "topic_hide", update.effective_user.id)
            text = context._("Done.")
        elif command == "topic_move" and len(args) == 2 and (topic := await by_slug(args[0])) and \
                (parent := await by_slug(args[1])):
            await moderation.move_topic(context.session, topic, parent, update.effective_user.id)
            text = context._("Done.")
        else:
            text = context._("Usage: /topic_add PARENT SLUG [menu|answer] · /topic_hide SLUG · /topic_show SLUG · "
                             "/topic_move SLUG PARENT")
    except Invalid as invalid:
        await context.session.rollback()
        text = reasons(context, invalid.problems)
    await show(update, text, new=True)


def handlers() -> list[BaseHandler]:
    return [CommandHandler(["topic_add", "topic_hide", "topic_show", "topic_move"], on_topic_admin)]
