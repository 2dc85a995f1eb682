"""The reminder form's last steps: the label, which reminders, the person's own time zone, confirm, and the ways
out (cancel, another command, a sticker or voice message, the form timing out)."""

from __future__ import annotations

from datetime import datetime

from telegram import Update
from telegram.ext import ConversationHandler

from bot.context import NavContext
from bot.reminders import buttons, schedule, service
from bot.reminders.courts import SUBSCRIBER_TIMEZONES
from handlers.reminders.ask import (
    FORM,
    LEADS,
    ask_confirm,
    ask_label,
    ask_leads,
    ask_my_zone,
    draft_of,
    on_stale_form_button,
    summary,
)
from handlers.reminders.deadline import ask_when_again
from handlers.topics import main_menu_button
from handlers.ui import ack, button, form_button, keyboard, show


async def on_label_text(update: Update, context: NavContext) -> int:
    draft = draft_of(context)
    problem = draft.set_label(update.effective_message.text)
    if problem == "too_long":
        return await ask_label(update, context, draft, "⚠️ " + context.ngettext(
            "The label is too long: at most {n} character.", "The label is too long: at most {n} characters.",
            service.LABEL_MAX) + "\n\n")
    if problem is not None:  # a long number (an A-number, a phone), or invisible control characters
        return await ask_label(update, context, draft, "⚠️ " + context._(
            "Please no numbers in the label: an A-number must never be stored here.") + "\n\n")
    return await ask_leads(update, context, draft)


@form_button(FORM, on_stale_form_button)
async def on_label_skip(update: Update, context: NavContext, draft: service.Draft, action: str) -> int:
    draft.label = None
    return await ask_leads(update, context, draft)


@form_button(FORM, on_stale_form_button, ack_first=False)
async def on_leads(update: Update, context: NavContext, draft: service.Draft, action: str) -> int:
    if action.startswith("l:"):
        draft.toggle_lead(action.removeprefix("l:"))
        await ack(update)
        return await ask_leads(update, context, draft)
    if not draft.leads:
        await ack(update, context._("Choose at least one reminder."), alert=True)
        return LEADS
    await ack(update)
    if await service.user_timezone(context.session, update.effective_user.id) is None and not draft.subscriber_tz:
        return await ask_my_zone(update, context, draft)
    return await ask_confirm(update, context, draft)


@form_button(FORM, on_stale_form_button)
async def on_my_zone(update: Update, context: NavContext, draft: service.Draft, action: str) -> int:
    index = int(action.removeprefix("my:"))
    if not 0 <= index < len(SUBSCRIBER_TIMEZONES):
        return await ask_my_zone(update, context, draft)
    draft.subscriber_tz = SUBSCRIBER_TIMEZONES[index].tz
    return await ask_confirm(update, context, draft)


async def _already_saved(update: Update, context: NavContext) -> int:
    # A second tap on "Confirm" after saving: the form is gone, the subscription exists once.
    await ack(update, context._("Already saved."))
    return ConversationHandler.END


@form_button(FORM, _already_saved)
async def on_confirm(update: Update, context: NavContext, draft: service.Draft, _action: str) -> int:
    user_id = update.effective_user.id
    if draft.has_passed(datetime.now(schedule.UTC)):
        return await ask_when_again(update, context, draft)
    try:
        if draft.move_id is not None:
            sub = await service.owned(context.session, user_id, draft.move_id)
            if sub is None:
                await show(update, context._("This reminder no longer exists."))
                context.user_data.pop(FORM, None)
                return ConversationHandler.END
            await service.move(context.session, sub, draft)
            text = "✅ " + context._("Moved. The reminders now follow the new date.")
        else:
            subscriber_tz = draft.subscriber_tz or await service.user_timezone(context.session, user_id)
            planned = summary(context, draft, subscriber_tz)
            await service.create(context.session, user_id, draft)
            text = planned + "\n\n✅ " + context._("Saved. I will remind you at these times.")
    except service.AlreadySaved:
        text = context._("Already saved.")
    except service.TooMany:
        text = "⚠️ " + context._("You have too many reminders. Delete old ones in /reminders first.")
    context.user_data.pop(FORM, None)
    await show(update, text, keyboard([[button("🔔 " + context._("My reminders"), buttons.LIST)],
                                       [main_menu_button(context)]]))
    return ConversationHandler.END


async def on_cancel(update: Update, context: NavContext) -> int:
    """/cancel, or the form's own ✖️ button (routed through ``on_cancel_button``)."""
    context.user_data.pop(FORM, None)
    await show(update, context._("The form was closed. Nothing was saved."),
               keyboard([[main_menu_button(context)]]), new=update.callback_query is None)
    return ConversationHandler.END


@form_button(FORM, on_stale_form_button)
async def on_cancel_button(update: Update, context: NavContext, _draft: service.Draft, _action: str) -> int:
    return await on_cancel(update, context)


async def on_other_command(update: Update, context: NavContext) -> int:
    """Any other command closes the form (nothing saved) and then runs as usual."""
    context.user_data.pop(FORM, None)
    # Queued, so it is handled after this update, when the form has already ended.
    await context.application.update_queue.put(update)
    return ConversationHandler.END


async def on_wrong_input(update: Update, context: NavContext) -> None:
    """A sticker, a voice message or a photo in the middle of the form: say what is expected; stay put."""
    await show(update, "⚠️ " + context._(
        "I need text here, or a button. The form is still open; /cancel closes it."), new=True)


async def on_timeout(update: Update, context: NavContext) -> None:
    context.user_data.pop(FORM, None)
