"""The reminder form's questions: each ``ask_*`` shows one step and returns the state that reads the answer."""

from __future__ import annotations

from datetime import date, datetime, time

from telegram import Update
from telegram.ext import ConversationHandler

from bot.context import NavContext
from bot.reminders import buttons, schedule, service
from bot.reminders.courts import SUBSCRIBER_TIMEZONES, US_TIMEZONES
from bot.reminders.messages import KIND_NAMES, LEAD_NAMES, event_lines, title, when
from bot.reminders.models import KINDS
from handlers.ui import ack, button, keyboard, show

KIND, DATE, AMBIGUOUS, TIME, COURT, ZONE, DECISION, LABEL, LEADS, MY_ZONE, CONFIRM = range(11)
FORM = "reminder_form"  # the user_data key of the open form's draft


def today_in(context: NavContext, tz: str | None = None) -> date:
    from zoneinfo import ZoneInfo

    return context.app.clock().astimezone(ZoneInfo(tz or "America/New_York")).date()


def draft_of(context: NavContext) -> service.Draft | None:
    return context.user_data.get(FORM)


def cb(draft: service.Draft, action: str) -> str:
    return buttons.form(draft.form_id, action)


def cancel_row(context: NavContext, draft: service.Draft):
    return [button("✖️ " + context._("Cancel"), cb(draft, "cancel"))]


def date_error(context: NavContext, code: str) -> str:
    messages = {
        "format": context._("I could not read that date. Type it like 3.12.2026, 2026-12-03 or 3 December."),
        "impossible": context._("There is no such date. Please check the day and the month."),
        "past": context._("That date has already passed. Please type the date of the coming event."),
        "too_far": context._("That is more than 3 years ahead. Please check the year."),
        "future_decision": context._("A decision date cannot be in the future. Please type the date on the decision."),
    }
    return "⚠️ " + messages[code]


async def ask_kind(update: Update, context: NavContext, draft: service.Draft) -> int:
    rows = [[button(context._(KIND_NAMES[k]), cb(draft, f"k:{k}"))] for k in KINDS]
    rows.append(cancel_row(context, draft))
    await show(update, "🔔 <b>" + context._("New reminder") + "</b>\n" + context._("What is it?") + "\n\n<i>"
               + context._("Nothing is saved until you confirm at the end. /cancel stops the form.") + "</i>",
               keyboard(rows))
    return KIND


async def ask_date(update: Update, context: NavContext, draft: service.Draft, prefix: str = "") -> int:
    await show(update, prefix + "📅 " + context._("What is the date? For example 3.12.2026 or 3 December."),
               keyboard([cancel_row(context, draft)]), new=update.callback_query is None)
    return DATE


async def ask_decision(update: Update, context: NavContext, draft: service.Draft, prefix: str = "") -> int:
    await show(update, prefix + "📅 " + context._(
        "What is the date of the judge's decision? It is on the decision paper. For example 2.12.2026."),
        keyboard([cancel_row(context, draft)]), new=update.callback_query is None)
    return DECISION


async def ask_time(update: Update, context: NavContext, draft: service.Draft, prefix: str = "") -> int:
    await show(update, prefix + "🕘 " + context._(
        "What time does it start, in the court's local time? For example 9:00 or 13:30."),
        keyboard([cancel_row(context, draft)]), new=update.callback_query is None)
    return TIME


async def ask_court(update: Update, context: NavContext, draft: service.Draft, prefix: str = "") -> int:
    rows = [[button("🏢 " + context._("Detention centre / other: choose a time zone"), cb(draft, "other"))],
            cancel_row(context, draft)]
    await show(update, prefix + "🏛 " + context._(
        "Which immigration court? Type a city or a state, for example Miami or Texas."), keyboard(rows),
        new=update.callback_query is None)
    return COURT


async def ask_zone(update: Update, context: NavContext, draft: service.Draft) -> int:
    rows = [[button(c.label_ru if context.locale == "ru" else c.label_en, cb(draft, f"z:{i}"))]
            for i, c in enumerate(US_TIMEZONES)]
    rows.append(cancel_row(context, draft))
    await show(update, "🕘 " + context._("Which time zone is the place in?"), keyboard(rows))
    return ZONE


async def ask_label(update: Update, context: NavContext, draft: service.Draft, prefix: str = "") -> int:
    rows = [[button("➡️ " + context._("Skip"), cb(draft, "nolabel"))], cancel_row(context, draft)]
    await show(update, prefix + "👤 " + context._(
        "Who is it for? A short label such as «Mom» or «me» — optional.") + "\n⚠️ " + context._(
        "Never an A-number and never a full name: this label is stored."), keyboard(rows),
        new=update.callback_query is None)
    return LABEL


async def ask_leads(update: Update, context: NavContext, draft: service.Draft) -> int:
    rows = [[button(("✅ " if lead in draft.leads else "▫️ ") + context._(LEAD_NAMES[lead]), cb(draft, f"l:{lead}"))]
            for lead in schedule.available_leads(draft.kind)]
    rows.append([button("➡️ " + context._("Done"), cb(draft, "leads"))])
    rows.append(cancel_row(context, draft))
    await show(update, "⏰ " + context._("When should I remind you? Tap to switch on or off."), keyboard(rows),
               new=update.callback_query is None)
    return LEADS


async def ask_my_zone(update: Update, context: NavContext, draft: service.Draft) -> int:
    rows = [[button(c.label_ru if context.locale == "ru" else c.label_en, cb(draft, f"my:{i}"))]
            for i, c in enumerate(SUBSCRIBER_TIMEZONES)]
    rows.append(cancel_row(context, draft))
    await show(update, "🌍 " + context._(
        "Where are you? I will also show the time in your own time zone. (Asked once.)"), keyboard(rows))
    return MY_ZONE


def summary(context: NavContext, draft: service.Draft, subscriber_tz: str | None) -> str:
    """What the form would store: the event in court time (and the person's), and the reminders it plans."""
    sub = service.Subscription(kind=draft.kind, event_at=draft.event_at(), tz=draft.event_tz(),
                               court_id=draft.court_id, label=draft.label)
    plan = service.preview(draft, datetime.now(schedule.UTC))
    lines = ["<b>" + title(sub, context.locale) + "</b>", *event_lines(sub, context.locale, subscriber_tz)]
    if draft.kind == "bia":
        lines.append(context._("Decision date: {day}", day=when(datetime.combine(draft.decision_on, time(12)),
                                                                 schedule.BIA_TZ, context.locale, with_time=False)))
    lines.append("")
    lines.append(context._("Reminders:"))
    for lead, due in plan.planned:
        lines.append("• " + context._(LEAD_NAMES[lead]) + " — "
                     + when(due, subscriber_tz or sub.tz, context.locale))
    if plan.skipped:
        lines.append("<i>" + context._("Already past, will not be sent: {leads}",
                                       leads=", ".join(context._(LEAD_NAMES[s]) for s in plan.skipped)) + "</i>")
    return "\n".join(lines)


async def ask_confirm(update: Update, context: NavContext, draft: service.Draft) -> int:
    subscriber_tz = draft.subscriber_tz or await service.user_timezone(context.session, update.effective_user.id)
    text = "📋 " + context._("Please check:") + "\n\n" + summary(context, draft, subscriber_tz)
    rows = [[button("✅ " + context._("Confirm"), cb(draft, "ok"))], cancel_row(context, draft)]
    await show(update, text, keyboard(rows), new=update.callback_query is None)
    return CONFIRM


async def on_stale_form_button(update: Update, context: NavContext) -> int | None:
    await ack(update, context._("This button is from an older form."))
    draft = draft_of(context)
    if draft is None:
        await show(update, context._("That reminder form is closed. /remind starts a new one."), new=True)
        return ConversationHandler.END
    return None
