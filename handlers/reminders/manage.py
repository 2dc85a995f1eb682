"""/reminders: the person's reminders — details, pause and resume, delete — and the buttons under a reminder
message (the date moved, stop, OK, how did it go)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.context import NavContext
from bot.i18n import translator
from bot.reminders import buttons, deadlines, service
from bot.reminders.messages import (
    KIND_NAMES,
    LEAD_NAMES,
    deadline_lines,
    event_lines,
    subscription_deadline,
    title,
    when,
)
from bot.reminders.models import PAUSED
from handlers.topics import main_menu_button
from handlers.ui import ack, button, keyboard, show


async def on_list(update: Update, context: NavContext) -> None:
    await ack(update)
    subs = await service.list_for(context.session, update.effective_user.id)
    rows = []
    for sub in subs:
        mark = "⏸ " if sub.status == PAUSED else "🔔 "
        day = when(sub.event_at, sub.tz, context.locale, with_time=not deadlines.is_deadline(sub.kind))
        rows.append([button(mark + day + " · " + context._(KIND_NAMES[sub.kind]), buttons.details(sub.id))])
    rows.append([button("➕ " + context._("New reminder"), buttons.NEW)])
    rows.append([main_menu_button(context)])
    text = "🔔 <b>" + context._("My reminders") + "</b>\n\n" + (
        context.ngettext("You have {n} reminder.", "You have {n} reminders.", len(subs)) if subs
        else context._("You have no reminders yet."))
    await show(update, text, keyboard(rows), new=update.callback_query is None)


async def _owned_or_gone(update: Update, context: NavContext, sub_id: int):
    sub = await service.owned(context.session, update.effective_user.id, sub_id)
    if sub is None:
        await show(update, context._("This reminder no longer exists."),
                   keyboard([[button("🔔 " + context._("My reminders"), buttons.LIST)]]))
    return sub


async def on_details(update: Update, context: NavContext) -> None:
    await ack(update)
    sub = await _owned_or_gone(update, context, buttons.sub_id(update.callback_query.data))
    if sub is None:
        return
    subscriber_tz = await service.user_timezone(context.session, update.effective_user.id)
    deadline = subscription_deadline(sub)
    if deadline is not None:
        moment = deadline_lines(deadline, translator(context.locale))
    else:
        moment = event_lines(sub, context.locale, subscriber_tz)
    lines = ["<b>" + title(sub, context.locale) + "</b>", *moment,
             "", ", ".join(context._(LEAD_NAMES[lead]) for lead in sub.leads)]
    if sub.status == PAUSED:
        lines.append("⏸ " + context._("Paused: no reminders are sent."))
    toggle = (button("▶️ " + context._("Resume"), buttons.resume(sub.id)) if sub.status == PAUSED
              else button("⏸ " + context._("Pause"), buttons.pause(sub.id)))
    rows = [[button("📅 " + context._("The date moved"), buttons.moved(sub.id))], [toggle],
            [button("🗑 " + context._("Delete"), buttons.delete(sub.id))],
            [button("⬅️ " + context._("My reminders"), buttons.LIST)]]
    await show(update, "\n".join(lines), keyboard(rows))


async def on_pause_resume(update: Update, context: NavContext) -> None:
    _, action, raw_id = update.callback_query.data.split(":")
    sub = await _owned_or_gone(update, context, int(raw_id))
    if sub is None:
        await ack(update)
        return
    if action in ("p", "stop"):
        await service.pause(context.session, sub)
        await ack(update, context._("Paused."))
        if action == "stop":
            await show(update, "⏸ " + context._("These reminders are paused. You can resume them in /reminders."),
                       new=True)
            return
    else:
        await service.resume(context.session, sub)
        await ack(update, context._("Resumed."))
    await on_details(update, context)


async def on_delete(update: Update, context: NavContext) -> None:
    await ack(update)
    _, action, raw_id = update.callback_query.data.split(":")
    sub = await _owned_or_gone(update, context, int(raw_id))
    if sub is None:
        return
    if action == "d":
        rows = [[button("🗑 " + context._("Yes, delete"), buttons.delete_confirmed(sub.id))],
                [button(context._("Cancel"), buttons.details(sub.id))]]
        await show(update, context._("Delete this reminder and all its planned messages?"), keyboard(rows))
        return
    await service.remove(context.session, sub)
    await show(update, "🗑 " + context._("Deleted."), keyboard([[button("🔔 " + context._("My reminders"), buttons.LIST)]]))


async def on_ok(update: Update, context: NavContext) -> None:
    await ack(update, "👍")
    try:
        await update.callback_query.edit_message_reply_markup(None)
    except Exception:  # already without buttons (a double tap)
        pass


async def on_followup(update: Update, context: NavContext) -> None:
    await ack(update)
    choice = update.callback_query.data.rsplit(":", 1)[1]
    if choice == "denied":
        text = context._("I am sorry. There are 30 days to appeal to the BIA, counted from the decision date, and "
                         "the form must be received by then. Set a reminder for the deadline now, and talk to a "
                         "lawyer this week.")
        rows = [[button("🔔 " + context._("Appeal deadline reminder"), buttons.new("bia"))],
                [button(context._("Appeal: what to do"), "t:appeal-bia")], [main_menu_button(context)]]
    elif choice == "granted":
        text = context._("Congratulations. Keep the decision paper safe, keep your address up to date with the "
                         "court (form EOIR-33), and ask a lawyer what comes next.")
        rows = [[main_menu_button(context)]]
    else:
        text = context._("Check the result and the next date on ACIS: 1-800-898-7180 or acis.eoir.justice.gov, "
                         "with the A-number (type it there, never here).")
        rows = [[button(context._("About ACIS"), "t:acis")], [main_menu_button(context)]]
    await show(update, text, keyboard(rows), new=True)


async def on_confirm_after_close(update: Update, context: NavContext) -> None:
    await ack(update, context._("Already saved."))


def handlers() -> list[BaseHandler]:
    return [
        CommandHandler("reminders", on_list),
        CallbackQueryHandler(on_list, pattern=buttons.P_LIST),
        CallbackQueryHandler(on_details, pattern=buttons.P_DETAILS),
        CallbackQueryHandler(on_pause_resume, pattern=buttons.P_PAUSE_RESUME),
        CallbackQueryHandler(on_delete, pattern=buttons.P_DELETE),
        CallbackQueryHandler(on_ok, pattern=buttons.P_OK),
        CallbackQueryHandler(on_followup, pattern=buttons.P_FOLLOWUP),
        CallbackQueryHandler(on_confirm_after_close, pattern=buttons.form_pattern("ok")),
    ]
