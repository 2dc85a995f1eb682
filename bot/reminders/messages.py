"""What a reminder says, in the subscriber's language: the event in court time and in their own time, the time
left, and what to do now (check ACIS, what to bring, what missing it means, plan the trip)."""

from __future__ import annotations

import html
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import N_, locale_for, translator
from bot.models import User
from bot.reminders import buttons
from bot.reminders.courts import SUBSCRIBER_TIMEZONES, US_TIMEZONES, court_by_id
from bot.reminders.models import FOLLOWUP, Reminder, Subscription
from bot.reminders.schedule import BIA_TZ

KIND_NAMES = {
    "master": N_("Master calendar hearing"),
    "individual": N_("Individual (merits) hearing"),
    "cfi": N_("Credible fear interview"),
    "bond": N_("Bond hearing"),
    "checkin": N_("ICE check-in"),
    "bia": N_("BIA appeal deadline"),
    "other": N_("Other date"),
}
LEAD_NAMES = {
    "20d": N_("20 days before"), "10d": N_("10 days before"), "7d": N_("7 days before"),
    "5d": N_("5 days before"), "2d": N_("2 days before"), "1d": N_("1 day before"),
    "morning": N_("the morning of the day"),
}
ACIS = "https://acis.eoir.justice.gov"


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


def event_lines(sub: Subscription, locale: str, subscriber_tz: str | None) -> list[str]:
    """The event's time in court time, and in the subscriber's time when that differs."""
    t = translator(locale)
    if sub.kind == "bia":
        lines = ["📅 " + t._("Must be RECEIVED by: {day} (Virginia time)",
                             day=when(sub.event_at, BIA_TZ, locale, with_time=False))]
    else:
        lines = ["📅 " + t._("{when} — court time ({place})", when=when(sub.event_at, sub.tz, locale),
                             place=html.escape(place_label(sub, locale)))]
    if subscriber_tz and subscriber_tz != sub.tz and sub.kind != "bia":
        lines.append("🕑 " + t._("{when} — your time ({zone})", when=when(sub.event_at, subscriber_tz, locale),
                                 zone=zone_label(subscriber_tz, locale)))
    return lines


def title(sub: Subscription, locale: str) -> str:
    t = translator(locale)
    name = t._(KIND_NAMES.get(sub.kind, KIND_NAMES["other"]))
    return name + (f" · {html.escape(sub.label)}" if sub.label else "")


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
    lines += event_lines(sub, locale, user.timezone)
    lines.append("⏳ " + time_left((sub.event_at - now).total_seconds(), locale))
    lines.append("")
    if sub.kind == "bia":
        lines += [
            t._("What to do now:"),
            "• " + t._("Form EOIR-26 must be received by the Board by that day; mailing it on the day is too late."),
            "• " + t._("Send it early, with tracking, and keep a full copy."),
            "• " + t._("The fee is $900 (since July 2025); ask a lawyer about a waiver."),
            "• " + t._("A free lawyer: the EOIR pro bono list, in the bot: /start → «Free lawyers»."),
        ]
    else:
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
