"""The reminder form's deadline steps: which deadline, the day it counts from, the days granted (voluntary
departure), and the computed deadline — how it was counted and its rule — shown before the label.

The counting itself is ``bot.reminders.deadlines`` (pure, tested without Telegram); this module reads the answers.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import ConversationHandler

from bot.context import NavContext
from bot.i18n import N_, translator
from bot.reminders import deadlines, service
from bot.reminders.dates import DateError, parse_days, read_decision_date
from bot.reminders.messages import deadline_lines, long_day
from handlers.reminders.ask import (
    FORM,
    ask_confirm,
    ask_date,
    ask_days,
    ask_deadline_kind,
    ask_kind,
    ask_label,
    ask_start,
    date_error,
    draft_of,
    on_stale_form_button,
    today_in,
)
from handlers.topics import main_menu_button
from handlers.ui import button, form_button, keyboard, show

# A date in the future is refused in the words of what the date is.
FUTURE_ERRORS = {"address": "future_move", "one_year": "future_arrival"}
# When the deadline has already passed: what that means and the next step, and the answer that explains more.
PASSED = {
    "bia": N_("The 30 days have already passed: the deadline was {day}. A late appeal is accepted only in rare "
              "cases. Talk to a lawyer today."),
    "pfr": N_("The 30 days have already passed: the deadline was {day}. Do not count on a late petition being "
              "accepted. Talk to a lawyer today."),
    "reopen_90": N_("The 90 days have already passed: the deadline was {day}. Some motions have no deadline, for "
                    "example one to apply for asylum because conditions in Russia have changed. Talk to a lawyer "
                    "today."),
    "reopen_180": N_("The 180 days have already passed: the deadline was {day}. If you never received the hearing "
                     "notice, or you were in custody, a motion to reopen has no deadline. Talk to a lawyer today."),
    "vd": N_("The time to leave ended on {day}. Staying longer brings a fine and 10 years without several kinds of "
             "relief. Talk to a lawyer today."),
    "address": N_("The 5 days ended on {day}. File form EOIR-33 today anyway: the court sends everything to the "
                  "last address it has."),
    "one_year": N_("One year passed on {day}. There are exceptions (changed or extraordinary circumstances), and "
                   "withholding of removal and CAT protection have no such deadline. Talk to a lawyer about filing "
                   "as soon as possible."),
}
PASSED_TOPICS = {"bia": ("t:appeal-bia", N_("Appeal: what to do")), "pfr": ("t:petition-review", N_("Read more")),
                 "reopen_180": ("t:missed-hearing", N_("Read more")), "vd": ("t:voluntary-departure", N_("Read more")),
                 "address": ("t:change-address", N_("Read more")), "one_year": ("t:one-year-deadline", N_("Read more")),
                 "reopen_90": ("t:free-lawyers", N_("Free lawyers"))}


def today(context: NavContext):
    return today_in(context, deadlines.DEADLINE_TZ)


@form_button(FORM, on_stale_form_button)
async def on_kind_menu(update: Update, context: NavContext, draft: service.Draft, action: str) -> int:
    """The kind list: "kd" shows the deadlines, "kh" goes back to hearings."""
    if action == "kd":
        return await ask_deadline_kind(update, context, draft)
    return await ask_kind(update, context, draft)


async def on_start_text(update: Update, context: NavContext) -> int:
    draft = draft_of(context)
    try:
        draft.decision_on = read_decision_date(update.effective_message.text, today(context))
    except DateError as exc:
        code = FUTURE_ERRORS.get(draft.kind, exc.code) if exc.code == "future_decision" else exc.code
        return await ask_start(update, context, draft, date_error(context, code) + "\n\n")
    if draft.needs_days():
        return await ask_days(update, context, draft)
    return await after_count(update, context, draft)


async def on_days_text(update: Update, context: NavContext) -> int:
    draft = draft_of(context)
    try:
        days = parse_days(update.effective_message.text)
    except DateError:
        return await ask_days(update, context, draft, "⚠️ " + context._(
            "I need the number of days written on the order, for example 60.") + "\n\n")
    return await _days(update, context, draft, days)


@form_button(FORM, on_stale_form_button)
async def on_days_button(update: Update, context: NavContext, draft: service.Draft, action: str) -> int:
    return await _days(update, context, draft, int(action.removeprefix("n:")))


async def _days(update: Update, context: NavContext, draft: service.Draft, days: int) -> int:
    if draft.decision_on is None:  # a days button from before the date was given: ask the date first
        return await ask_start(update, context, draft)
    if not draft.set_days(days):
        return await ask_days(update, context, draft, "⚠️ " + context._(
            "Voluntary departure is at most 120 days (at most 60 at the end of a case). Please check the number on "
            "the order.") + "\n\n")
    return await after_count(update, context, draft)


async def after_count(update: Update, context: NavContext, draft: service.Draft) -> int:
    """Show the computed deadline and how it was counted; a deadline already gone ends the form with what to do."""
    deadline = draft.deadline()
    t = translator(context.locale)
    if deadline.has_passed(today(context)):
        data, label = PASSED_TOPICS[draft.kind]
        await show(update, "⚠️ " + context._(PASSED[draft.kind], day=long_day(deadline.due, context.locale))
                   + "\n\n<i>" + context._("General information, not legal advice.") + "</i>",
                   keyboard([[button(context._(label), data)], [main_menu_button(context)]]), new=True)
        context.user_data.pop(FORM, None)
        return ConversationHandler.END
    if draft.move_id is not None:  # the summary to confirm shows the deadline and how it was counted
        return await ask_confirm(update, context, draft)
    lines = deadline_lines(deadline, t)
    if draft.kind == "vd" and deadlines.bond_deadline(draft.decision_on).has_passed(today(context)):
        lines.append("⚠️ " + context._("The 5 business days for the bond have passed. Ask a lawyer what that means "
                                       "for you; the date to leave stays."))
    return await ask_label(update, context, draft, "\n".join(lines) + "\n\n")


async def ask_when_again(update: Update, context: NavContext, draft: service.Draft) -> int:
    """The event passed while the form was open: ask its date again (a hearing's day, or a deadline's start)."""
    if draft.is_deadline():
        return await ask_start(update, context, draft, date_error(context, "deadline_gone") + "\n\n")
    draft.day = None
    return await ask_date(update, context, draft, date_error(context, "past") + "\n\n")

