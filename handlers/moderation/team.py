"""The team: admins add and remove moderators, see who they are and read the audit log; /mod lists the tools."""

from __future__ import annotations

import html

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

import handlers.fallback as fallback
import handlers.search as search
from bot.context import NavContext
from bot.moderation import service as moderation
from bot.moderation.service import ADMIN
from bot.validate import user_id
from handlers.menu import publish_team_menu
from handlers.moderation.access import requires
from handlers.ui import ack, button, keyboard, show


@requires(ADMIN)
async def on_audit(update: Update, context: NavContext) -> None:
    entries = await moderation.recent_audit(context.session, 30)
    lines = ["<b>" + context._("Audit log (newest first)") + "</b>"]
    lines += [f"{e.created_at:%Y-%m-%d %H:%M} · {e.actor_id} · {html.escape(e.action)}"
              + (f" ×{e.count}" if e.count > 1 else "") + f" · {html.escape(e.target or '')}"
              for e in entries]
    await update.effective_chat.send_message("\n".join(lines)[:4000], parse_mode=ParseMode.HTML)


@requires(ADMIN)
async def on_mod_add(update: Update, context: NavContext) -> None:
    message = update.effective_message
    origin = getattr(message.reply_to_message, "forward_origin", None) if message.reply_to_message else None
    target = None
    if context.args and user_id(context.args[0]) is not None:
        target = user_id(context.args[0])
    elif origin is not None and getattr(origin, "sender_user", None) is not None:
        target = origin.sender_user.id
    if target is None:
        await show(update, context._("Send /mod_add with the person's numeric id, or forward me a message from "
                                     "them (I will add its sender)."), new=True)
        return
    added = await moderation.add_moderator(context.session, target, update.effective_user.id)
    await publish_team_menu(context.bot, target, "moderator")
    await show(update, ("✅ " + context._("{id} is now a moderator.", id=target)) if added
               else context._("{id} is already a moderator.", id=target), new=True)


async def on_forwarded(update: Update, context: NavContext) -> None:
    """An admin forwards a message from someone: offer to make its sender a moderator. For anyone else a
    forwarded text is just a question."""
    if await moderation.role(context.session, context.settings, update.effective_user.id) != ADMIN:
        if update.effective_message.text or update.effective_message.caption:
            await search.on_question(update, context)
        else:
            await fallback.on_media(update, context)
        return
    origin = update.effective_message.forward_origin
    sender = getattr(origin, "sender_user", None)
    if sender is None:
        await show(update, context._("That person hides their account in forwards. Ask them for their numeric id "
                                     "and use /mod_add ID."), new=True)
        return
    await show(update, context._("Make {id} a moderator?", id=sender.id),
               keyboard([[button("✅ " + context._("Yes"), f"ma:{sender.id}")]]), new=True)


@requires(ADMIN)
async def on_mod_add_button(update: Update, context: NavContext) -> None:
    await ack(update)
    target = user_id(update.callback_query.data.split(":")[1])
    if target is None:  # a forged button
        await fallback.on_stale_button(update, context)
        return
    added = await moderation.add_moderator(context.session, target, update.effective_user.id)
    await publish_team_menu(context.bot, target, "moderator")
    await show(update, ("✅ " + context._("{id} is now a moderator.", id=target)) if added
               else context._("{id} is already a moderator.", id=target))


@requires(ADMIN)
async def on_mod_remove(update: Update, context: NavContext) -> None:
    target = user_id(context.args[0]) if context.args else None
    if target is None:
        await show(update, context._("Use /mod_remove ID."), new=True)
        return
    removed = await moderation.remove_moderator(context.session, target, update.effective_user.id)
    if target not in context.settings.admin_ids:
        await publish_team_menu(context.bot, target, None)
    await show(update, context._("Removed.") if removed else context._("Not a moderator."), new=True)


@requires(ADMIN)
async def on_mods(update: Update, context: NavContext) -> None:
    ids = await moderation.moderators(context.session)
    admins = sorted(context.settings.admin_ids)
    await show(update, context._("Admins: {admins}\nModerators: {mods}", admins=", ".join(map(str, admins)) or "—",
                                 mods=", ".join(map(str, ids)) or "—"), new=True)


@requires()
async def on_mod_help(update: Update, context: NavContext) -> None:
    await update.effective_chat.send_message(context._(
        "Moderation:\n/edit [slug] — change a text, title or sources; or stamp «still accurate»\n"
        "/history SLUG [ru|en] · /rollback SLUG LANG N\n/stale [days] — texts to re-check\n"
        "/topic_add · /topic_hide · /topic_show · /topic_move\n/broadcast — news to people who opted in\n"
        "Admins: /mod_add ID (or forward a message) · /mod_remove ID · /mods · /audit"))


async def publish_team_menus(application) -> None:
    """On start: every moderator's and admin's own command menu."""
    async with application.db.session() as session:
        team = {uid: "moderator" for uid in await moderation.moderators(session)}
    team.update({uid: ADMIN for uid in application.settings.admin_ids})
    for member, role in team.items():
        await publish_team_menu(application.bot, member, role)


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler("mod", on_mod_help),
        CommandHandler("audit", on_audit),
        CommandHandler("mod_add", on_mod_add),
        CallbackQueryHandler(on_mod_add_button, pattern=r"^ma:[0-9]{1,19}$"),
        CommandHandler("mod_remove", on_mod_remove),
        CommandHandler("mods", on_mods),
        MessageHandler(filters.FORWARDED & filters.ChatType.PRIVATE, on_forwarded),
    ]
