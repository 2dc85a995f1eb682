"""The reminder form's questions: each ``ask_*`` shows one step and returns the state that reads the answer."""

from __future__ import annotations

from datetime import date, datetime

from telegram import Update
from telegram.ext import ConversationHandler

from bot.context import NavContext
from bot.i18n import N_, translator
from bot.reminders import buttons, deadlines, schedule, service
from bot.reminders.courts import SUBSCRIBER_TIMEZONES, US_TIMEZONES
from bot.reminders.messages import KIND_NAMES, LEAD_NAMES, deadline_lines, event_lines, title, when
from bot.reminders.models import HEARING_KINDS
from handlers.ui import ack, button, keyboard, show

# DECISION asks the day a deadline counts from (a decision, an order, a move, an arrival); the numbers are stored
# with an open form (bot.persistence), so new states go at the end.
KIND, DATE, AMBIGUOUS, TIME, COURT, ZONE, DECISION, LABEL, LEADS, MY_ZONE, CONFIRM, DAYS = range(12)
FORM = "reminder_form"  # the user_data key of the open form's draft

# The question that asks each deadline's start date, as it is written on the person's papers.
START_QUESTIONS = {
    "bia": N_("What is the date of the judge's decision? It is on the decision paper. For example 2.12.2026."),
    "pfr": N_("What is the date of the BIA's decision? It is on the decision itself. For example 2.12.2026."),
    "reopen_90": N_("What is the date of the final order: the judge's decision, or the BIA's if you appealed? "
                    "For example 2.12.2026."),
    "reopen_180": N_("What is the date of the removal order made in your absence (in absentia)? "
                     "For example 2.12.2026."),
    "vd": N_("On what date did the judge grant voluntary departure? It is on the order. For example 2.12.2026."),
    "address": N_("On what date did you move? Today or a past day, for example 2.12.2026."),
    "one_year": N_("On what date did you last arrive in the US? For example 2.12.2026."),
}


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
        "future_move": context._("A move date cannot be in the future: set this reminder once you have moved. "
                                 "Please type the day you moved."),
        "deadline_gone": context._("That deadline ended while the form was open. Please type the date again."),
        "future_arrival": context._("An arrival date cannot be in the future. Please type the day you last arrived "
                                    "in the US."),
    }
    return "⚠️ " + messages[code]


async def ask_kind(update: Update, context: NavContext, draft: service.Draft) -> int:
    rows = [[button(context._(KIND_NAMES[k]), cb(draft, f"k:{k}"))] for k in HEARING_KINDS]
    rows.append([button("⏳ " + context._("A deadline: appeal, motion, leaving, address…"), cb(draft, "kd"))])
    rows.append([button(context._(KIND_NAMES["other"]), cb(draft, "k:other"))])
    rows.append(cancel_row(context, draft))
    await show(update, "🔔 <b>" + context._("New reminder") + "</b>\n" + context._("What is it?") + "\n\n<i>"
               + context._("Nothing is saved until you confirm at the end. /cancel stops the form.") + "</i>",
               keyboard(rows))
    return KIND


async def ask_deadline_kind(update: Update, context: NavContext, draft: service.Draft) -> int:
    rows = [[button(context._(KIND_NAMES[k]), cb(draft, f"k:{k}"))] for k in deadlines.DEADLINE_KINDS]
    rows.append([button("⬅️ " + context._("Back"), cb(draft, "kh"))])
    rows.append(cancel_row(context, draft))
    await show(update, "⏳ <b>" + context._("Which deadline?") + "</b>\n" + context._(
        "I count the last day from the date you give and show how I counted it.") + "\n\n<i>" + context._(
        "Nothing is saved until you confirm at the end. /cancel stops the form.") + "</i>", keyboard(rows))
    return KIND


async def ask_date(update: Update, context: NavContext, draft: service.Draft, prefix: str = "") -> int:
    await show(update, prefix + "📅 " + context._("What is the date? For example 3.12.2026 or 3 December."),
               keyboard([cancel_row(context, draft)]), new=update.callback_query is None)
    return DATE


async def ask_start(update: Update, context: NavContext, draft: service.Draft, prefix: str = "") -> int:
    """A deadline's first question: the day it counts from."""
    await show(update, prefix + "📅 " + context._(START_QUESTIONS[draft.kind]),
               keyboard([cancel_row(context, draft)]), new=update.callback_query is None)
    return DECISION


async def ask_days(update: Update, context: NavContext, draft: service.Draft, prefix: str = "") -> int:
    """Voluntary departure: how many days the judge gave."""
    rows = [[button(context.ngettext("{n} day", "{n} days", n), cb(draft, f"n:{n}"))
             for n in deadlines.VD_DAYS_OFFERED], cancel_row(context, draft)]
    await show(update, prefix + "⏳ " + context._(
        "How many days did the judge give you to leave? It is on the order: at most 120 if asked for early, at most "
        "60 at the end of the case. Tap or type the number."), keyboard(rows), new=update.callback_query is None)
    return DAYS


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
    lines = ["<b>" + title(sub, context.locale) + "</b>"]
    if draft.is_deadline():
        lines += deadline_lines(draft.deadline(), translator(context.locale))
    else:
        lines += event_lines(sub, context.locale, subscriber_tz)
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
