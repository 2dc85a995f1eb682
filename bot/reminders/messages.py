"""What a reminder says, in the subscriber's language: the event in court time and in their own time, the time
left, and what to do now (check ACIS, what to bring, what missing it means, plan the trip). A deadline's reminder
also shows how the deadline was counted, the rule it rests on, and "check the exact date with a lawyer"."""

from __future__ import annotations

import html
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import N_, Translator, locale_for, translator
from bot.models import User
from bot.reminders import buttons, deadlines
from bot.reminders.courts import SUBSCRIBER_TIMEZONES, US_TIMEZONES, court_by_id
from bot.reminders.models import FOLLOWUP, Reminder, Subscription
from bot.reminders.schedule import bond_due_at

KIND_NAMES = {
    "master": N_("Master calendar hearing"),
    "individual": N_("Individual (merits) hearing"),
    "cfi": N_("Credible fear interview"),
    "bond": N_("Bond hearing"),
    "checkin": N_("ICE check-in"),
    "bia": N_("BIA appeal deadline"),
    "pfr": N_("Petition for review (federal court)"),
    "reopen_90": N_("Motion to reopen: 90 days after a final order"),
    "reopen_180": N_("Motion to reopen: 180 days after an order in absentia"),
    "vd": N_("Voluntary departure: leaving and the bond"),
    "address": N_("Change of address: form EOIR-33"),
    "one_year": N_("One-year deadline to apply for asylum"),
    "other": N_("Other date"),
}
LEAD_NAMES = {
    "90d": N_("90 days before"), "60d": N_("60 days before"), "30d": N_("30 days before"),
    "20d": N_("20 days before"), "10d": N_("10 days before"), "7d": N_("7 days before"),
    "5d": N_("5 days before"), "2d": N_("2 days before"), "1d": N_("1 day before"),
    "morning": N_("the morning of the day"), "0d": N_("on the last day"),
    "next": N_("the day after the move"), "bond": N_("the bond: the working day before it is due"),
}
ACIS = "https://acis.eoir.justice.gov"
PRO_BONO = N_("A free lawyer: the EOIR pro bono list, in the bot: /start → «Free lawyers».")
CHECK_WITH_LAWYER = N_("Check the exact date with a lawyer.")

# The last day of each deadline, as the person must act on it.
DUE_LINES = {
    "bia": N_("Must be RECEIVED by: {day} (Virginia time)"),
    "pfr": N_("File the petition with the court of appeals by: {day}"),
    "reopen_90": N_("The motion must reach the court by: {day}"),
    "reopen_180": N_("The motion must reach the court by: {day}"),
    "vd": N_("Leave the US by: {day}"),
    "address": N_("Form EOIR-33 must reach the court by: {day}"),
    "one_year": N_("Form I-589 must be received by: {day}"),
}
BOND_LINE = N_("Voluntary departure bond (at least $500) paid to ICE by: {day}")
# What each count starts from, as it is written on the person's papers.
START_NAMES = {
    "bia": N_("decision {day}"),
    "pfr": N_("BIA decision {day}"),
    "reopen_90": N_("final order {day}"),
    "reopen_180": N_("order in absentia {day}"),
    "vd": N_("voluntary departure granted {day}"),
    "vd_bond": N_("judge's order {day}"),
    "address": N_("move {day}"),
    "one_year": N_("last arrival {day}"),
}
CLOSED_NAMES = {"saturday": N_("a Saturday"), "sunday": N_("a Sunday"), "holiday": N_("a US federal holiday")}
# What to do now, per deadline (in the reminders).
TODO = {
    "bia": (
        N_("Form EOIR-26 must be received by the Board by that day; mailing it on the day is too late."),
        N_("Send it early, with tracking, and keep a full copy."),
        N_("The fee is $900 (since July 2025). If you cannot pay, file on time anyway, with a fee-waiver request."),
        N_("A timely appeal stops removal while the Board decides."),
    ),
    "pfr": (
        N_("The petition goes to the federal court of appeals for the region of the immigration court that decided "
           "your case, not to the BIA. Do not count on a late petition being accepted."),
        N_("Filing it does NOT stop removal: a separate request for a stay is needed, as early as possible."),
        N_("Filing a petition for review ends voluntary departure, if you have it."),
    ),
    "reopen_90": (
        N_("A motion to reopen asks the court to look at the case again, usually because of new facts or "
           "evidence. The court's date stamp counts, not the postmark."),
        N_("Filing it does not stop removal by itself: ask a lawyer about a stay."),
        N_("A motion to apply for asylum because conditions in Russia have changed has no 90-day limit."),
        N_("Filing a motion to reopen ends voluntary departure, if you have it."),
    ),
    "reopen_180": (
        N_("For exceptional circumstances (serious illness, a death in the family and the like) the motion must "
           "reach the court within 180 days of the order. Attach proof: medical papers, certificates."),
        N_("While the judge decides such a motion, removal is stopped."),
        N_("If you never received the hearing notice, or you were in custody, there is no deadline, and filing "
           "stops removal while the judge decides."),
    ),
    "vd": (
        N_("You need a valid passport or travel document, and a ticket. Keep proof that you left in time."),
        N_("Leaving on time is not a removal. Not leaving on time: a fine and 10 years without several kinds of "
           "relief."),
        N_("A motion to reopen or a petition for review ends voluntary departure at once: talk to a lawyer before "
           "filing one."),
    ),
    "address": (
        N_("File form EOIR-33 with the immigration court that has your case (online through the EOIR Respondent "
           "Access portal if you have an account, or on paper), and give ICE the new address too."),
        N_("Court letters, including a new hearing date, go to the last address the court has: a missed letter "
           "can mean a removal order in your absence."),
        N_("Keep a copy and proof that you sent it."),
    ),
    "one_year": (
        N_("Form I-589 must be received by then: by the immigration court if you have a court case (usually at a "
           "master hearing), otherwise by USCIS. If your next hearing is later, ask a lawyer how to file in time."),
        N_("Each adult should consider their own application: a spouse listed only as a family member loses "
           "protection if the main case fails."),
        N_("The fee is $100 and cannot be waived. Withholding of removal and CAT protection have no one-year "
           "deadline."),
    ),
}
BOND_TODO = (
    N_("The judge's order says the amount (at least $500); the bond is paid to ICE within 5 business days of the "
       "order."),
    N_("Not paying it on time does not free you from leaving on time. If you appeal to the BIA, the Board needs "
       "proof of the bond within 30 days of the appeal."),
)


def zone_label(tz: str, locale: str) -> str:
    for choice in (*US_TIMEZONES, *SUBSCRIBER_TIMEZONES):
        if choice.tz == tz:
            return choice.label_ru if locale == "ru" else choice.label_en
    return tz.split("/")[-1].replace("_", " ")


def place_label(sub: Subscription, locale: str) -> str:
    court = court_by_id(sub.court_id) if sub.court_id else None
    if court is not None:
        return court.name_ru if locale == "ru" else court.name_en
    return zone_label(sub.tz, locale)


def when(moment: datetime, tz: str, locale: str, *, with_time: bool = True) -> str:
    pattern = "EEEE, d MMMM y, HH:mm" if with_time else "EEEE, d MMMM y"
    return format_datetime(moment.astimezone(ZoneInfo(tz)), pattern, locale=locale)


def time_left(delta_seconds: float, locale: str) -> str:
    t = translator(locale)
    hours = int(delta_seconds // 3600)
    if hours >= 48:
        days = round(hours / 24)
        return t.ngettext("in {n} day", "in {n} days", days)
    if hours >= 1:
        return t.ngettext("in {n} hour", "in {n} hours", hours)
    return t._("in less than an hour")


def short_day(day: date, locale: str, *, weekday: bool = False) -> str:
    return format_date(day, "EEE d MMM y" if weekday else "d MMM y", locale=locale)


def long_day(day: date, locale: str) -> str:
    return format_date(day, "EEEE, d MMMM y", locale=locale)


def explain(deadline: deadlines.Deadline, t: Translator) -> str:
    """How the deadline was counted, step by step: "decision 3 Dec 2026 + 30 days = 2 Jan 2027, a Saturday → next
    business day: Mon 4 Jan 2027"."""
    locale, rule = t.locale, deadline.rule
    if rule.unit == deadlines.YEARS:
        period = t.ngettext("{n} year", "{n} years", deadline.amount)
    elif rule.unit == deadlines.BUSINESS_DAYS:
        period = t.ngettext("{n} business day", "{n} business days", deadline.amount)
    else:
        period = t.ngettext("{n} day", "{n} days", deadline.amount)
    count = t._("{start} + {period} = {end}", start=t._(START_NAMES[deadline.kind], day=short_day(deadline.start, locale)),
                period=period, end=short_day(deadline.counted, locale, weekday=rule.unit == deadlines.BUSINESS_DAYS))
    if rule.unit == deadlines.BUSINESS_DAYS:
        return t._("{count} (weekends and federal holidays not counted)", count=count)
    if deadline.closed is None:
        return count
    reason = t._(CLOSED_NAMES[deadline.closed])
    due = short_day(deadline.due, locale, weekday=True)
    if rule.weekend == deadlines.NEXT:
        return t._("{count}, {reason} → next business day: {due}", count=count, reason=reason, due=due)
    later = short_day(deadline.legal, locale, weekday=True)
    if rule.weekend == deadlines.EARLIER:
        return t._("{count}, {reason}. Whether the deadline then moves to {later} is not settled, so count to the "
                   "business day before: {due}", count=count, reason=reason, later=later, due=due)
    return t._("{count}, {reason}. The law gives until {later}, but you can leave on any day: plan to leave by "
               "{due}", count=count, reason=reason, later=later, due=due)


def rule_line(deadline: deadlines.Deadline, t: Translator) -> str:
    rule = deadline.rule
    return t._("Rule: {source}", source=f'<a href="{html.escape(rule.url)}">{html.escape(rule.source)}</a>')


def deadline_lines(deadline: deadlines.Deadline, t: Translator, *, bond: bool = True) -> list[str]:
    """The last day, how it was counted and the rule; for voluntary departure also the bond (``bond=False`` leaves
    it out); and "check the exact date with a lawyer"."""
    lines = ["📅 <b>" + t._(DUE_LINES[deadline.kind], day=long_day(deadline.due, t.locale)) + "</b>",
             "🧮 " + explain(deadline, t), "📖 " + rule_line(deadline, t)]
    if deadline.kind == "vd" and bond:
        lines += bond_lines(deadlines.bond_deadline(deadline.start), t)
    lines.append("⚖️ " + t._(CHECK_WITH_LAWYER))
    return lines


def bond_lines(bond: deadlines.Deadline, t: Translator) -> list[str]:
    return ["💵 <b>" + t._(BOND_LINE, day=long_day(bond.due, t.locale)) + "</b>", "🧮 " + explain(bond, t),
            "📖 " + rule_line(bond, t)]


def subscription_deadline(sub: Subscription) -> deadlines.Deadline | None:
    """The deadline a stored subscription follows, recounted from its start date; None for a hearing, or for a row
    that cannot be recounted (then the reminder still goes, with the date alone)."""
    if not deadlines.is_deadline(sub.kind) or sub.decision_on is None:
        return None
    try:
        return deadlines.recover(sub.kind, sub.decision_on, sub.event_at.astimezone(ZoneInfo(sub.tz)).date())
    except (KeyError, ValueError):
        return None


def event_lines(sub: Subscription, locale: str, subscriber_tz: str | None) -> list[str]:
    """The event's time in court time, and in the subscriber's time when that differs."""
    t = translator(locale)
    if deadlines.is_deadline(sub.kind):  # a deadline's zone is New York (the BIA's "Virginia time")
        return ["📅 " + t._(DUE_LINES[sub.kind], day=when(sub.event_at, sub.tz, locale, with_time=False))]
    lines = ["📅 " + t._("{when} — court time ({place})", when=when(sub.event_at, sub.tz, locale),
                         place=html.escape(place_label(sub, locale)))]
    if subscriber_tz and subscriber_tz != sub.tz:
        lines.append("🕑 " + t._("{when} — your time ({zone})", when=when(sub.event_at, subscriber_tz, locale),
                                 zone=zone_label(subscriber_tz, locale)))
    return lines


def title(sub: Subscription, locale: str) -> str:
    t = translator(locale)
    name = t._(KIND_NAMES.get(sub.kind, KIND_NAMES["other"]))
    return name + (f" · {html.escape(sub.label)}" if sub.label else "")


def _deadline_body(row: Reminder, sub: Subscription, deadline: deadlines.Deadline | None, t: Translator,
                   now: datetime) -> list[str]:
    if deadline is None:  # cannot be recounted: the date, the time left and what to do, without the count
        lines = [*event_lines(sub, t.locale, None), "⏳ " + time_left((sub.event_at - now).total_seconds(), t.locale),
                 "⚖️ " + t._(CHECK_WITH_LAWYER), "", t._("What to do now:")]
        return [*lines, *("• " + t._(item) for item in TODO[sub.kind]), "• " + t._(PRO_BONO)]
    if row.lead == "bond":
        bond = deadlines.bond_deadline(sub.decision_on)
        lines = bond_lines(bond, t)
        lines.append("⏳ " + time_left((bond_due_at(sub.decision_on, sub.tz) - now).total_seconds(), t.locale))
        lines += ["⚖️ " + t._(CHECK_WITH_LAWYER), "", t._("What to do now:")]
        lines += ["• " + t._(item) for item in BOND_TODO]
        lines.append("• " + t._(DUE_LINES["vd"], day=long_day(deadline.due, t.locale)))
        return lines
    lines = deadline_lines(deadline, t, bond=False)
    lines.insert(3, "⏳ " + time_left((sub.event_at - now).total_seconds(), t.locale))
    lines += ["", t._("What to do now:")]
    lines += ["• " + t._(item) for item in TODO[sub.kind]]
    lines.append("• " + t._(PRO_BONO))
    return lines


def render(row: Reminder, sub: Subscription, user: User, now: datetime, late: bool):
    """(text, reply_markup) of one outbox row, in the subscriber's language."""
    locale = locale_for(user.locale, None, sub.locale)
    t = translator(locale)
    if row.kind == FOLLOWUP:
        return followup(sub, locale)
    lines = []
    if late:
        lines.append("⏰ <i>" + t._("Sent late: the bot was offline when this reminder was due.") + "</i>")
    lines.append("🔔 <b>" + title(sub, locale) + "</b>")
    if deadlines.is_deadline(sub.kind):
        lines += _deadline_body(row, sub, subscription_deadline(sub), t, now)
    else:
        lines += event_lines(sub, locale, user.timezone)
        lines.append("⏳ " + time_left((sub.event_at - now).total_seconds(), locale))
        lines.append("")
        lines += [
            t._("What to do now:"),
            "• " + t._("Check the date and time on ACIS — hearings move: 1-800-898-7180 or <a href=\"{url}\">"
                       "acis.eoir.justice.gov</a>.", url=ACIS),
            "• " + t._("Bring the hearing notice, your ID and your documents with their translations."),
            "• " + t._("If you miss it, the judge can order removal in your absence."),
            "• " + t._("Plan the trip: how you get there, and leave early."),
        ]
    lines.append("")
    lines.append("<i>" + t._("General information, not legal advice.") + "</i>")
    markup = InlineKeyboardMarkup([
        [InlineKeyboardButton("📅 " + t._("The date moved"), callback_data=buttons.moved(sub.id))],
        [InlineKeyboardButton("🔕 " + t._("Stop these reminders"), callback_data=buttons.stop(sub.id)),
         InlineKeyboardButton("👌 " + t._("OK"), callback_data=buttons.OK)],
    ])
    return "\n".join(lines), markup


def followup(sub: Subscription, locale: str):
    t = translator(locale)
    text = "\n".join([
        "📝 <b>" + title(sub, locale) + "</b>",
        event_lines(sub, locale, None)[0],
        "",
        t._("How did it go? Your answer is not stored; it only shows the next step."),
    ])
    rows = [
        [InlineKeyboardButton(t._("Postponed: new date"), callback_data=buttons.followup(sub.id, "moved"))],
        [InlineKeyboardButton(t._("Decision: denied"), callback_data=buttons.followup(sub.id, "denied"))],
        [InlineKeyboardButton(t._("Granted"), callback_data=buttons.followup(sub.id, "granted"))],
        [InlineKeyboardButton(t._("I don't know"), callback_data=buttons.followup(sub.id, "unknown"))],
    ]
    return text, InlineKeyboardMarkup(rows)
