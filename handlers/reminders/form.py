"""Hearing and deadline reminders: the /remind form, /reminders to manage them, and the follow-up buttons.

The form is a ConversationHandler kept in memory: nothing is stored until "Confirm", a double tap on "Confirm"
stores one subscription (the form id is unique in the database), and /cancel leaves nothing behind. Every button
of a form carries that form's id, so a button from an older form is recognised and answered, not obeyed.

```mermaid
stateDiagram-v2
    [*] --> KIND: /remind, or 🔔 under an answer
    KIND --> KIND: ⏳ the deadlines / back
    KIND --> DATE: a hearing or interview
    KIND --> DECISION: a deadline (appeal, petition, motion, leaving, address, one year)
    DECISION --> DAYS: voluntary departure
    DAYS --> LABEL: the deadline, counted and explained
    DATE --> AMBIGUOUS: 03/12/2026
    AMBIGUOUS --> TIME
    DATE --> TIME
    TIME --> COURT: type a city or state
    COURT --> ZONE: detention centre / other
    COURT --> LABEL
    ZONE --> LABEL
    DECISION --> LABEL
    LABEL --> LEADS: optional «Mom»
    LEADS --> MY_ZONE: asked once
    LEADS --> CONFIRM
    MY_ZONE --> CONFIRM
    CONFIRM --> [*]: stored, reminders planned
    note right of DATE: "the date moved" re-enters here (a deadline: at DECISION) with the subscription's place
```
"""

from __future__ import annotations

import secrets
import warnings
from datetime import date, datetime, time

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from bot.context import NavContext
from bot.reminders import buttons, schedule, service
from bot.reminders.courts import US_TIMEZONES, court_by_id, search_courts
from bot.reminders.dates import Ambiguous, DateError, check_range, parse_date, parse_time
from bot.reminders.messages import title, when
from handlers.reminders.ask import (
    AMBIGUOUS,
    CONFIRM,
    COURT,
    DATE,
    DAYS,
    DECISION,
    FORM,
    KIND,
    LABEL,
    LEADS,
    MY_ZONE,
    TIME,
    ZONE,
    ask_confirm,
    ask_court,
    ask_date,
    ask_kind,
    ask_label,
    ask_start,
    ask_time,
    ask_zone,
    cancel_row,
    cb,
    date_error,
    draft_of,
    on_stale_form_button,
    today_in,
)
from handlers.reminders.deadline import ask_when_again, on_days_button, on_days_text, on_kind_menu, on_start_text
from handlers.reminders.finish import (
    on_cancel,
    on_cancel_button,
    on_confirm,
    on_label_skip,
    on_label_text,
    on_leads,
    on_my_zone,
    on_other_command,
    on_timeout,
    on_wrong_input,
)
from handlers.ui import ack, button, form_button, keyboard, show

# Our form buttons carry the form id, so per-message tracking is not needed; PTB warns about it regardless.
warnings.filterwarnings("ignore", message=r"If 'per_message=False'", module="handlers.reminders")


async def start_form(update: Update, context: NavContext) -> int:
    await ack(update)
    draft = service.Draft(form_id=secrets.token_hex(4), locale=context.locale)
    context.user_data[FORM] = draft
    entry = buttons.entry_kind(update.callback_query.data) if update.callback_query else None
    if entry is not None and draft.choose_kind(entry):  # an answer's "remind me": start at that deadline
        return await ask_start(update, context, draft)
    return await ask_kind(update, context, draft)


async def start_move(update: Update, context: NavContext) -> int:
    await ack(update)
    sub = await service.owned(context.session, update.effective_user.id, buttons.sub_id(update.callback_query.data))
    if sub is None:
        await show(update, context._("This reminder no longer exists."), new=True)
        return ConversationHandler.END
    draft = service.Draft(form_id=secrets.token_hex(4), kind=sub.kind, court_id=sub.court_id, tz=sub.tz,
                          label=sub.label, leads=list(sub.leads), move_id=sub.id)
    context.user_data[FORM] = draft
    prefix = context._("New date for: {what}", what=title(sub, context.locale)) + "\n\n"
    if draft.is_deadline():
        return await ask_start(update, context, draft, prefix)
    return await ask_date(update, context, draft, prefix)


@form_button(FORM, on_stale_form_button)
async def on_kind(update: Update, context: NavContext, draft: service.Draft, action: str) -> int:
    if not draft.choose_kind(action.removeprefix("k:")):
        return await ask_kind(update, context, draft)
    if draft.is_deadline():
        return await ask_start(update, context, draft)
    return await ask_date(update, context, draft)


def _accept_date(context: NavContext, draft: service.Draft, day: date) -> str | None:
    try:
        check_range(day, today_in(context))
    except DateError as exc:
        return exc.code
    draft.day = day
    return None


async def on_date_text(update: Update, context: NavContext) -> int:
    draft = draft_of(context)
    try:
        parsed = parse_date(update.effective_message.text, today_in(context))
    except DateError as exc:
        return await ask_date(update, context, draft, date_error(context, exc.code) + "\n\n")
    if isinstance(parsed, Ambiguous):
        rows = [[button(when(datetime.combine(d, time(12)), "UTC", context.locale, with_time=False),
                        cb(draft, f"d:{d.isoformat()}"))] for d in (parsed.day_first, parsed.month_first)]
        rows.append(cancel_row(context, draft))
        await show(update, "❓ " + context._("Which date did you mean?"), keyboard(rows), new=True)
        return AMBIGUOUS
    error = _accept_date(context, draft, parsed)
    if error:
        return await ask_date(update, context, draft, date_error(context, error) + "\n\n")
    return await ask_time(update, context, draft)


@form_button(FORM, on_stale_form_button)
async def on_date_choice(update: Update, context: NavContext, draft: service.Draft, action: str) -> int:
    try:
        chosen = date.fromisoformat(action.removeprefix("d:"))
    except ValueError:  # a forged button: no such day
        return await ask_date(update, context, draft, date_error(context, "impossible") + "\n\n")
    error = _accept_date(context, draft, chosen)
    if error:
        return await ask_date(update, context, draft, date_error(context, error) + "\n\n")
    return await ask_time(update, context, draft)


async def on_time_text(update: Update, context: NavContext) -> int:
    draft = draft_of(context)
    try:
        at = parse_time(update.effective_message.text)
    except DateError as exc:
        message = (context._("There is no such time. Hours go from 0 to 23 and minutes from 0 to 59.")
                   if exc.code == "impossible" else context._("I could not read that time. Type it like 9:00 or 13:30."))
        return await ask_time(update, context, draft, "⚠️ " + message + "\n\n")
    draft.hour, draft.minute = at.hour, at.minute
    if draft.move_id is not None:
        return await _check_future_then_confirm(update, context, draft)
    return await ask_court(update, context, draft)


async def _check_future_then_confirm(update: Update, context: NavContext, draft: service.Draft) -> int:
    if draft.has_passed(datetime.now(schedule.UTC)):
        return await ask_when_again(update, context, draft)
    return await ask_confirm(update, context, draft)


async def on_court_text(update: Update, context: NavContext) -> int:
    draft = draft_of(context)
    courts = search_courts(update.effective_message.text[:100])
    if not courts:
        return await ask_court(update, context, draft, "⚠️ " + context._(
            "I found no immigration court for that. Try the city or the state, or choose a time zone.") + "\n\n")
    rows = [[button(c.name_ru if context.locale == "ru" else c.name_en, cb(draft, f"c:{c.id}"))] for c in courts]
    rows.append([button("🏢 " + context._("Detention centre / other: choose a time zone"), cb(draft, "other"))])
    rows.append(cancel_row(context, draft))
    await show(update, "🏛 " + context._("Choose the court (or type again):"), keyboard(rows), new=True)
    return COURT


@form_button(FORM, on_stale_form_button)
async def on_court_choice(update: Update, context: NavContext, draft: service.Draft, action: str) -> int:
    if action == "other":
        return await ask_zone(update, context, draft)
    court = court_by_id(action.removeprefix("c:"))
    if court is None:
        return await ask_court(update, context, draft)
    draft.court_id, draft.tz = court.id, court.tz
    return await _after_place(update, context, draft)


@form_button(FORM, on_stale_form_button)
async def on_zone_choice(update: Update, context: NavContext, draft: service.Draft, action: str) -> int:
    index = int(action.removeprefix("z:"))
    if not 0 <= index < len(US_TIMEZONES):
        return await ask_zone(update, context, draft)
    draft.court_id, draft.tz = None, US_TIMEZONES[index].tz
    return await _after_place(update, context, draft)


async def _after_place(update: Update, context: NavContext, draft: service.Draft) -> int:
    if draft.has_passed(datetime.now(schedule.UTC)):  # today, but the hour has passed in that time zone
        return await ask_when_again(update, context, draft)
    return await ask_label(update, context, draft)


# ---- wiring ----------------------------------------------------------------------------------------------------

def _form(pattern: str, callback) -> CallbackQueryHandler:
    return CallbackQueryHandler(callback, pattern=buttons.form_pattern(pattern))


def conversation() -> ConversationHandler:
    text = filters.TEXT & ~filters.COMMAND
    wrong = ~filters.TEXT & ~filters.COMMAND & ~filters.StatusUpdate.ALL
    stale = CallbackQueryHandler(on_stale_form_button, pattern=rf"^{buttons.FORM_PREFIX}:")
    cancel = _form("cancel", on_cancel_button)
    conversation = ConversationHandler(
        entry_points=[
            CommandHandler("remind", start_form),
            CallbackQueryHandler(start_form, pattern=buttons.P_NEW),
            CallbackQueryHandler(start_move, pattern=buttons.P_MOVED),
            CallbackQueryHandler(start_move, pattern=buttons.P_FOLLOWUP_MOVED),
        ],
        states={
            KIND: [_form(buttons.KIND_ACTION, on_kind), _form(buttons.KIND_MENU_ACTION, on_kind_menu)],
            DATE: [MessageHandler(text, on_date_text)],
            AMBIGUOUS: [_form(r"d:\d{4}-\d{2}-\d{2}", on_date_choice), MessageHandler(text, on_date_text)],
            TIME: [MessageHandler(text, on_time_text)],
            COURT: [_form(r"(c:[a-z0-9-]+|other)", on_court_choice), MessageHandler(text, on_court_text)],
            ZONE: [_form(r"z:\d{1,2}", on_zone_choice)],
            DECISION: [MessageHandler(text, on_start_text)],
            DAYS: [_form(buttons.DAYS_ACTION, on_days_button), MessageHandler(text, on_days_text)],
            LABEL: [_form("nolabel", on_label_skip), MessageHandler(text, on_label_text)],
            LEADS: [_form(r"(l:[a-z0-9]+|leads)", on_leads)],
            MY_ZONE: [_form(r"my:\d{1,2}", on_my_zone)],
            CONFIRM: [_form("ok", on_confirm)],
            ConversationHandler.TIMEOUT: [MessageHandler(filters.ALL, on_timeout),
                                          CallbackQueryHandler(on_timeout)],
        },
        fallbacks=[
            CommandHandler("cancel", on_cancel),
            cancel,
            MessageHandler(filters.COMMAND, on_other_command),
            MessageHandler(wrong, on_wrong_input),
            stale,
        ],
        conversation_timeout=30 * 60,
        name="reminder_form",
        allow_reentry=True,
        persistent=True,
    )
    return conversation
