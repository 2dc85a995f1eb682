"""Hearing and deadline reminders: the /remind form, /reminders to manage them, and the follow-up buttons.

The form is a ConversationHandler kept in memory: nothing is stored until "Confirm", a double tap on "Confirm"
stores one subscription (the form id is unique in the database), and /cancel leaves nothing behind. Every button
of a form carries that form's id, so a button from an older form is recognised and answered, not obeyed.

```mermaid
stateDiagram-v2
    [*] --> KIND: /remind, or 🔔 under an answer
    KIND --> DATE: a hearing or interview
    KIND --> DECISION: BIA appeal deadline
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
    note right of DATE: "the date moved" re-enters here with the subscription's court and time zone
```
"""

from __future__ import annotations

import re
import secrets
import warnings
from datetime import date, datetime, time

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.context import NavContext
from bot.reminders import schedule, service
from bot.reminders.courts import SUBSCRIBER_TIMEZONES, US_TIMEZONES, court_by_id, search_courts
from bot.reminders.dates import Ambiguous, DateError, check_range, parse_date, parse_time
from bot.reminders.messages import KIND_NAMES, LEAD_NAMES, event_lines, title, when
from bot.reminders.models import KINDS, PAUSED
from handlers.topics import main_menu_button
from handlers.ui import ack, button, form_button, keyboard, show

# Our form buttons carry the form id, so per-message tracking is not needed; PTB warns about it regardless.
warnings.filterwarnings("ignore", message=r"If 'per_message=False'", module="handlers.reminders")

KIND, DATE, AMBIGUOUS, TIME, COURT, ZONE, DECISION, LABEL, LEADS, MY_ZONE, CONFIRM = range(11)
FORM = "reminder_form"
LABEL_MAX = 32
_LONG_NUMBER = re.compile(r"\d[\d\s-]{4,}")

def _today(context: NavContext, tz: str | None = None) -> date:
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(tz or "America/New_York")).date()


def _draft(context: NavContext) -> service.Draft | None:
    return context.user_data.get(FORM)


def _cb(draft: service.Draft, action: str) -> str:
    return f"rf:{draft.form_id}:{action}"


def _cancel_row(context: NavContext, draft: service.Draft):
    return [button("✖️ " + context._("Cancel"), _cb(draft, "cancel"))]


def _date_error(context: NavContext, code: str) -> str:
    messages = {
        "format": context._("I could not read that date. Type it like 3.12.2026, 2026-12-03 or 3 December."),
        "impossible": context._("There is no such date. Please check the day and the month."),
        "past": context._("That date has already passed. Please type the date of the coming event."),
        "too_far": context._("That is more than 3 years ahead. Please check the year."),
        "future_decision": context._("A decision date cannot be in the future. Please type the date on the decision."),
    }
    return "⚠️ " + messages[code]


# ---- asking each question ------------------------------------------------------------------------------------

async def ask_kind(update: Update, context: NavContext, draft: service.Draft) -> int:
    rows = [[button(context._(KIND_NAMES[k]), _cb(draft, f"k:{k}"))] for k in KINDS]
    rows.append(_cancel_row(context, draft))
    await show(update, "🔔 <b>" + context._("New reminder") + "</b>\n" + context._("What is it?") + "\n\n<i>"
               + context._("Nothing is saved until you confirm at the end. /cancel stops the form.") + "</i>",
               keyboard(rows))
    return KIND


async def ask_date(update: Update, context: NavContext, draft: service.Draft, prefix: str = "") -> int:
    await show(update, prefix + "📅 " + context._("What is the date? For example 3.12.2026 or 3 December."),
               keyboard([_cancel_row(context, draft)]), new=update.callback_query is None)
    return DATE


async def ask_decision(update: Update, context: NavContext, draft: service.Draft, prefix: str = "") -> int:
    await show(update, prefix + "📅 " + context._(
        "What is the date of the judge's decision? It is on the decision paper. For example 2.12.2026."),
        keyboard([_cancel_row(context, draft)]), new=update.callback_query is None)
    return DECISION


async def ask_time(update: Update, context: NavContext, draft: service.Draft, prefix: str = "") -> int:
    await show(update, prefix + "🕘 " + context._(
        "What time does it start, in the court's local time? For example 9:00 or 13:30."),
        keyboard([_cancel_row(context, draft)]), new=update.callback_query is None)
    return TIME


async def ask_court(update: Update, context: NavContext, draft: service.Draft, prefix: str = "") -> int:
    rows = [[button("🏢 " + context._("Detention centre / other: choose a time zone"), _cb(draft, "other"))],
            _cancel_row(context, draft)]
    await show(update, prefix + "🏛 " + context._(
        "Which immigration court? Type a city or a state, for example Miami or Texas."), keyboard(rows),
        new=update.callback_query is None)
    return COURT


async def ask_zone(update: Update, context: NavContext, draft: service.Draft) -> int:
    rows = [[button(c.label_ru if context.locale == "ru" else c.label_en, _cb(draft, f"z:{i}"))]
            for i, c in enumerate(US_TIMEZONES)]
    rows.append(_cancel_row(context, draft))
    await show(update, "🕘 " + context._("Which time zone is the place in?"), keyboard(rows))
    return ZONE


async def ask_label(update: Update, context: NavContext, draft: service.Draft, prefix: str = "") -> int:
    rows = [[button("➡️ " + context._("Skip"), _cb(draft, "nolabel"))], _cancel_row(context, draft)]
    await show(update, prefix + "👤 " + context._(
        "Who is it for? A short label such as «Mom» or «me» — optional.") + "\n⚠️ " + context._(
        "Never an A-number and never a full name: this label is stored."), keyboard(rows),
        new=update.callback_query is None)
    return LABEL


async def ask_leads(update: Update, context: NavContext, draft: service.Draft) -> int:
    rows = [[button(("✅ " if lead in draft.leads else "▫️ ") + context._(LEAD_NAMES[lead]), _cb(draft, f"l:{lead}"))]
            for lead in schedule.available_leads(draft.kind)]
    rows.append([button("➡️ " + context._("Done"), _cb(draft, "leads"))])
    rows.append(_cancel_row(context, draft))
    await show(update, "⏰ " + context._("When should I remind you? Tap to switch on or off."), keyboard(rows),
               new=update.callback_query is None)
    return LEADS


async def ask_my_zone(update: Update, context: NavContext, draft: service.Draft) -> int:
    rows = [[button(c.label_ru if context.locale == "ru" else c.label_en, _cb(draft, f"my:{i}"))]
            for i, c in enumerate(SUBSCRIBER_TIMEZONES)]
    rows.append(_cancel_row(context, draft))
    await show(update, "🌍 " + context._(
        "Where are you? I will also show the time in your own time zone. (Asked once.)"), keyboard(rows))
    return MY_ZONE


def _summary(context: NavContext, draft: service.Draft, subscriber_tz: str | None) -> str:
    sub = service.Subscription(kind=draft.kind, event_at=draft.event_at(), tz=draft.event_tz(),
                               court_id=draft.court_id, label=draft.label)
    now = datetime.now(schedule.UTC)
    planned = schedule.plan(sub.event_at, sub.tz, draft.leads, now, followup=False)
    lines = ["<b>" + title(sub, context.locale) + "</b>", *event_lines(sub, context.locale, subscriber_tz)]
    if draft.kind == "bia":
        lines.append(context._("Decision date: {day}", day=when(datetime.combine(draft.decision_on, time(12)),
                                                                 schedule.BIA_TZ, context.locale, with_time=False)))
    lines.append("")
    lines.append(context._("Reminders:"))
    for lead, due in planned:
        lines.append("• " + context._(LEAD_NAMES[lead]) + " — "
                     + when(due, subscriber_tz or sub.tz, context.locale))
    skipped = [lead for lead in draft.leads if lead not in {p[0] for p in planned}]
    if skipped:
        lines.append("<i>" + context._("Already past, will not be sent: {leads}",
                                       leads=", ".join(context._(LEAD_NAMES[s]) for s in skipped)) + "</i>")
    return "\n".join(lines)


async def ask_confirm(update: Update, context: NavContext, draft: service.Draft) -> int:
    subscriber_tz = draft.subscriber_tz or await service.user_timezone(context.session, update.effective_user.id)
    text = "📋 " + context._("Please check:") + "\n\n" + _summary(context, draft, subscriber_tz)
    rows = [[button("✅ " + context._("Confirm"), _cb(draft, "ok"))], _cancel_row(context, draft)]
    await show(update, text, keyboard(rows), new=update.callback_query is None)
    return CONFIRM


# ---- entry points ------------------------------------------------------------------------------------------

async def start_form(update: Update, context: NavContext) -> int:
    await ack(update)
    draft = service.Draft(form_id=secrets.token_hex(4), locale=context.locale)
    context.user_data[FORM] = draft
    data = update.callback_query.data if update.callback_query else ""
    if data.endswith(":bia"):
        draft.kind = "bia"
        draft.leads = list(schedule.BIA_LEADS)
        return await ask_decision(update, context, draft)
    return await ask_kind(update, context, draft)


async def start_move(update: Update, context: NavContext) -> int:
    await ack(update)
    sub_id = int(update.callback_query.data.split(":")[2])
    sub = await service.owned(context.session, update.effective_user.id, sub_id)
    if sub is None:
        await show(update, context._("This reminder no longer exists."), new=True)
        return ConversationHandler.END
    draft = service.Draft(form_id=secrets.token_hex(4), kind=sub.kind, court_id=sub.court_id, tz=sub.tz,
                          label=sub.label, leads=list(sub.leads), move_id=sub.id)
    context.user_data[FORM] = draft
    prefix = context._("New date for: {what}", what=title(sub, context.locale)) + "\n\n"
    if sub.kind == "bia":
        return await ask_decision(update, context, draft, prefix)
    return await ask_date(update, context, draft, prefix)


# ---- answers -----------------------------------------------------------------------------------------------

async def on_stale_form_button(update: Update, context: NavContext) -> int | None:
    await ack(update, context._("This button is from an older form."))
    draft = _draft(context)
    if draft is None:
        await show(update, context._("That reminder form is closed. /remind starts a new one."), new=True)
        return ConversationHandler.END
    return None


@form_button(FORM, on_stale_form_button)
async def on_kind(update: Update, context: NavContext, draft: service.Draft, action: str) -> int:
    draft.kind = action.removeprefix("k:")
    draft.leads = list(schedule.available_leads(draft.kind))
    if draft.kind == "bia":
        return await ask_decision(update, context, draft)
    return await ask_date(update, context, draft)


def _accept_date(context: NavContext, draft: service.Draft, day: date) -> str | None:
    try:
        check_range(day, _today(context))
    except DateError as exc:
        return exc.code
    draft.day = day
    return None


async def on_date_text(update: Update, context: NavContext) -> int:
    draft = _draft(context)
    try:
        parsed = parse_date(update.effective_message.text, _today(context))
    except DateError as exc:
        return await ask_date(update, context, draft, _date_error(context, exc.code) + "\n\n")
    if isinstance(parsed, Ambiguous):
        rows = [[button(when(datetime.combine(d, time(12)), "UTC", context.locale, with_time=False),
                        _cb(draft, f"d:{d.isoformat()}"))] for d in (parsed.day_first, parsed.month_first)]
        rows.append(_cancel_row(context, draft))
        await show(update, "❓ " + context._("Which date did you mean?"), keyboard(rows), new=True)
        return AMBIGUOUS
    error = _accept_date(context, draft, parsed)
    if error:
        return await ask_date(update, context, draft, _date_error(context, error) + "\n\n")
    return await ask_time(update, context, draft)


@form_button(FORM, on_stale_form_button)
async def on_date_choice(update: Update, context: NavContext, draft: service.Draft, action: str) -> int:
    error = _accept_date(context, draft, date.fromisoformat(action.removeprefix("d:")))
    if error:
        return await ask_date(update, context, draft, _date_error(context, error) + "\n\n")
    return await ask_time(update, context, draft)


async def on_time_text(update: Update, context: NavContext) -> int:
    draft = _draft(context)
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
    if draft.event_at() <= datetime.now(schedule.UTC):
        draft.day = None
        return await ask_date(update, context, draft, _date_error(context, "past") + "\n\n")
    return await ask_confirm(update, context, draft)


async def on_court_text(update: Update, context: NavContext) -> int:
    draft = _draft(context)
    courts = search_courts(update.effective_message.text[:100])
    if not courts:
        return await ask_court(update, context, draft, "⚠️ " + context._(
            "I found no immigration court for that. Try the city or the state, or choose a time zone.") + "\n\n")
    rows = [[button(c.name_ru if context.locale == "ru" else c.name_en, _cb(draft, f"c:{c.id}"))] for c in courts]
    rows.append([button("🏢 " + context._("Detention centre / other: choose a time zone"), _cb(draft, "other"))])
    rows.append(_cancel_row(context, draft))
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
    if draft.event_at() <= datetime.now(schedule.UTC):  # today, but the hour has passed in that time zone
        draft.day = None
        return await ask_date(update, context, draft, _date_error(context, "past") + "\n\n")
    return await ask_label(update, context, draft)


async def on_decision_text(update: Update, context: NavContext) -> int:
    draft = _draft(context)
    today = _today(context, schedule.BIA_TZ)
    try:
        parsed = parse_date(update.effective_message.text, today.replace(year=today.year - 1))
        if isinstance(parsed, Ambiguous):  # a decision is in the past: the future reading cannot be it
            options = [d for d in (parsed.day_first, parsed.month_first) if d <= today]
            if len(options) != 1:
                raise DateError("format")
            parsed = options[0]
        if parsed > today:
            raise DateError("future_decision")
    except DateError as exc:
        return await ask_decision(update, context, draft, _date_error(context, exc.code) + "\n\n")
    deadline = schedule.bia_deadline(parsed)
    deadline_text = when(datetime.combine(deadline, time(12)), schedule.BIA_TZ, context.locale, with_time=False)
    if deadline < today:
        await show(update, "⚠️ " + context._(
            "The 30 days have already passed: the deadline was {day}. A late appeal is accepted only in rare "
            "cases. Talk to a lawyer today.", day=deadline_text), keyboard([
                [button(context._("Appeal: what to do"), "t:appeal-bia")], [main_menu_button(context)]]), new=True)
        context.user_data.pop(FORM, None)
        return ConversationHandler.END
    draft.decision_on = parsed
    prefix = "⚖️ " + context._(
        "The appeal deadline is {day}. Form EOIR-26 must be RECEIVED by the Board by then (30 days; moved to the "
        "next business day when day 30 is a weekend or a federal holiday).", day=deadline_text) + "\n\n"
    if draft.move_id is not None:
        await show(update, prefix, None, new=True)
        return await ask_confirm(update, context, draft)
    return await ask_label(update, context, draft, prefix)


async def on_label_text(update: Update, context: NavContext) -> int:
    draft = _draft(context)
    label = " ".join(update.effective_message.text.split())
    if len(label) > LABEL_MAX:
        return await ask_label(update, context, draft, "⚠️ " + context.ngettext(
            "The label is too long: at most {n} character.", "The label is too long: at most {n} characters.",
            LABEL_MAX) + "\n\n")
    if _LONG_NUMBER.search(label):
        return await ask_label(update, context, draft, "⚠️ " + context._(
            "Please no numbers in the label: an A-number must never be stored here.") + "\n\n")
    draft.label = label
    return await ask_leads(update, context, draft)


@form_button(FORM, on_stale_form_button)
async def on_label_skip(update: Update, context: NavContext, draft: service.Draft, action: str) -> int:
    draft.label = None
    return await ask_leads(update, context, draft)


@form_button(FORM, on_stale_form_button, ack_first=False)
async def on_leads(update: Update, context: NavContext, draft: service.Draft, action: str) -> int:
    if action.startswith("l:"):
        lead = action.removeprefix("l:")
        if lead in schedule.available_leads(draft.kind):
            if lead in draft.leads:
                draft.leads.remove(lead)
            else:
                draft.leads.append(lead)
            order = schedule.available_leads(draft.kind)
            draft.leads.sort(key=order.index)
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
    if draft.event_at() <= datetime.now(schedule.UTC):
        draft.day = None
        return await ask_date(update, context, draft, _date_error(context, "past") + "\n\n")
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
            summary = _summary(context, draft, subscriber_tz)
            await service.create(context.session, user_id, draft)
            text = summary + "\n\n✅ " + context._("Saved. I will remind you at these times.")
    except service.AlreadySaved:
        text = context._("Already saved.")
    except service.TooMany:
        text = "⚠️ " + context._("You have too many reminders. Delete old ones in /reminders first.")
    context.user_data.pop(FORM, None)
    await show(update, text, keyboard([[button("🔔 " + context._("My reminders"), "rem:list")],
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


# ---- managing reminders -------------------------------------------------------------------------------------

async def on_list(update: Update, context: NavContext) -> None:
    await ack(update)
    subs = await service.list_for(context.session, update.effective_user.id)
    rows = []
    for sub in subs:
        mark = "⏸ " if sub.status == PAUSED else "🔔 "
        day = when(sub.event_at, sub.tz, context.locale, with_time=sub.kind != "bia")
        rows.append([button(mark + day + " · " + context._(KIND_NAMES[sub.kind]), f"rem:s:{sub.id}")])
    rows.append([button("➕ " + context._("New reminder"), "rem:new")])
    rows.append([main_menu_button(context)])
    text = "🔔 <b>" + context._("My reminders") + "</b>\n\n" + (
        context.ngettext("You have {n} reminder.", "You have {n} reminders.", len(subs)) if subs
        else context._("You have no reminders yet."))
    await show(update, text, keyboard(rows), new=update.callback_query is None)


async def _owned_or_gone(update: Update, context: NavContext, sub_id: int):
    sub = await service.owned(context.session, update.effective_user.id, sub_id)
    if sub is None:
        await show(update, context._("This reminder no longer exists."),
                   keyboard([[button("🔔 " + context._("My reminders"), "rem:list")]]))
    return sub


async def on_details(update: Update, context: NavContext) -> None:
    await ack(update)
    sub = await _owned_or_gone(update, context, int(update.callback_query.data.split(":")[2]))
    if sub is None:
        return
    subscriber_tz = await service.user_timezone(context.session, update.effective_user.id)
    lines = ["<b>" + title(sub, context.locale) + "</b>", *event_lines(sub, context.locale, subscriber_tz),
             "", ", ".join(context._(LEAD_NAMES[lead]) for lead in sub.leads)]
    if sub.status == PAUSED:
        lines.append("⏸ " + context._("Paused: no reminders are sent."))
    toggle = (button("▶️ " + context._("Resume"), f"rem:r:{sub.id}") if sub.status == PAUSED
              else button("⏸ " + context._("Pause"), f"rem:p:{sub.id}"))
    rows = [[button("📅 " + context._("The date moved"), f"rem:mv:{sub.id}")], [toggle],
            [button("🗑 " + context._("Delete"), f"rem:d:{sub.id}")],
            [button("⬅️ " + context._("My reminders"), "rem:list")]]
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
        rows = [[button("🗑 " + context._("Yes, delete"), f"rem:dd:{sub.id}")],
                [button(context._("Cancel"), f"rem:s:{sub.id}")]]
        await show(update, context._("Delete this reminder and all its planned messages?"), keyboard(rows))
        return
    await service.remove(context.session, sub)
    await show(update, "🗑 " + context._("Deleted."), keyboard([[button("🔔 " + context._("My reminders"), "rem:list")]]))


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
        rows = [[button("🔔 " + context._("Appeal deadline reminder"), "rem:new:bia")],
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


# ---- wiring ----------------------------------------------------------------------------------------------------

def _form(pattern: str, callback) -> CallbackQueryHandler:
    return CallbackQueryHandler(callback, pattern=rf"^rf:[0-9a-f]{{8}}:{pattern}$")


def handlers() -> list[BaseHandler]:
    text = filters.TEXT & ~filters.COMMAND
    wrong = ~filters.TEXT & ~filters.COMMAND & ~filters.StatusUpdate.ALL
    stale = CallbackQueryHandler(on_stale_form_button, pattern=r"^rf:")
    cancel = _form("cancel", on_cancel_button)
    conversation = ConversationHandler(
        entry_points=[
            CommandHandler("remind", start_form),
            CallbackQueryHandler(start_form, pattern=r"^rem:new(:(hearing|bia))?$"),
            CallbackQueryHandler(start_move, pattern=r"^rem:mv:\d{1,12}$"),
            CallbackQueryHandler(start_move, pattern=r"^rem:fu:\d{1,12}:moved$"),
        ],
        states={
            KIND: [_form(r"k:[a-z]+", on_kind)],
            DATE: [MessageHandler(text, on_date_text)],
            AMBIGUOUS: [_form(r"d:\d{4}-\d{2}-\d{2}", on_date_choice), MessageHandler(text, on_date_text)],
            TIME: [MessageHandler(text, on_time_text)],
            COURT: [_form(r"(c:[a-z0-9-]+|other)", on_court_choice), MessageHandler(text, on_court_text)],
            ZONE: [_form(r"z:\d{1,2}", on_zone_choice)],
            DECISION: [MessageHandler(text, on_decision_text)],
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
    )
    return [
        conversation,
        CommandHandler("reminders", on_list),
        CallbackQueryHandler(on_list, pattern=r"^rem:list$"),
        CallbackQueryHandler(on_details, pattern=r"^rem:s:\d{1,12}$"),
        CallbackQueryHandler(on_pause_resume, pattern=r"^rem:(p|r|stop):\d{1,12}$"),
        CallbackQueryHandler(on_delete, pattern=r"^rem:(d|dd):\d{1,12}$"),
        CallbackQueryHandler(on_ok, pattern=r"^rem:ok$"),
        CallbackQueryHandler(on_followup, pattern=r"^rem:fu:\d{1,12}:(denied|granted|unknown)$"),
        CallbackQueryHandler(on_confirm_after_close, pattern=r"^rf:[0-9a-f]{8}:ok$"),
        CallbackQueryHandler(on_stale_form_button, pattern=r"^rf:"),
    ]


async def on_confirm_after_close(update: Update, context: NavContext) -> None:
    await ack(update, context._("Already saved."))
