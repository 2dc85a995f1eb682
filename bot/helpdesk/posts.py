"""What the desk writes: posts in the staff forum (in the bot's default language) and messages to the person (in
theirs). Nothing here names the person: a post is built from the ticket number, its language, its category and
the person's own words, never from a Telegram id, name, username or language setting."""

from __future__ import annotations

import html
from datetime import timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.helpdesk import buttons
from bot.helpdesk.models import IDLE_CLOSE_DAYS, Ticket
from bot.i18n import translator
from bot.knowledge.pack import ROOT_SLUG

REACTION_DELIVERED = "👍"
MAX_TOPIC_NAME = 128


def topic_name(ticket: Ticket) -> str:
    """"#123 · ru · detention": the number, the language, the category the search suggested."""
    parts = [f"#{ticket.id}", ticket.locale] + ([ticket.category] if ticket.category else [])
    return " · ".join(parts)[:MAX_TOPIC_NAME]


def root_post(ticket: Ticket, question: str, suggestions: list[tuple[str, str]], locale: str,
              recreated: bool = False) -> tuple[str, InlineKeyboardMarkup | None]:
    """The topic's first post: the question, and the reviewed answers search suggested (buttons send one)."""
    t = translator(locale)
    lines = []
    if recreated:
        lines += ["♻️ " + t._("This topic was deleted, so it was created again: the person's messages follow "
                              "again. Earlier replies were delivered."), ""]
    lines += [f"❓ <b>{html.escape(topic_name(ticket))}</b>", "", html.escape(question)]
    if suggestions:
        lines += ["", "📖 " + t._("Reviewed answers that may fit (a button sends it to the person; so does "
                                 "/answer SLUG):")]
        lines += [f"• {html.escape(title)} — <code>{slug}</code>" for slug, title in suggestions]
    lines += ["", "<i>" + t._("Write in this topic to answer: the person gets your text signed «Asylum Navigator "
                             "volunteer». /note TEXT stays here. /close when done.") + "</i>"]
    rows = [[InlineKeyboardButton("📖 " + title[:60], callback_data=buttons.send_answer(ticket.id, slug))]
            for slug, title in suggestions]
    return "\n".join(lines), InlineKeyboardMarkup(rows) if rows else None


def follow_up(text: str) -> str:
    return "👤 " + html.escape(text)


def withdrawn(ticket_id: int, locale: str) -> str:
    return "🗑 " + translator(locale)._("Ticket #{n} withdrawn: the person deleted their data.", n=ticket_id)


def bump(ticket_id: int, waited: timedelta, locale: str) -> str:
    hours = max(1, int(waited.total_seconds() // 3600))
    return "⏰ " + translator(locale).ngettext(
        "#{ticket} has been waiting for an answer for {n} hour.",
        "#{ticket} has been waiting for an answer for {n} hours.", hours, ticket=ticket_id)


def notice(kind: str, locale: str) -> str:
    """Short notes in a topic about what happened on the person's side or by the clock."""
    t = translator(locale)
    return {
        "person_closed": "ℹ️ " + t._("The person closed this ticket."),
        "helped": "🙏 " + t._("The person says the answer helped."),
        "idle": "ℹ️ " + t._("Closed automatically: no new messages for {n} days after the answer. The person "
                           "was told.", n=IDLE_CLOSE_DAYS),
        "blocked": "⚠️ " + t._("Not delivered: the person has blocked the bot."),
        "gone": "⚠️ " + t._("Not delivered: the person deleted their data or left."),
        "failed": "⚠️ " + t._("Not delivered: Telegram refused the message. Try again, shorter or plainer."),
    }[kind]


# ---- to the person --------------------------------------------------------------------------------------------

def _main_menu(locale: str) -> InlineKeyboardButton:
    return InlineKeyboardButton("🏠 " + translator(locale)._("Main menu"), callback_data=f"t:{ROOT_SLUG}")


def ask_button(locale: str) -> InlineKeyboardButton:
    return InlineKeyboardButton("🙋 " + translator(locale)._("Ask a volunteer"), callback_data=buttons.ASK)


def reply_buttons(ticket_id: int, locale: str) -> list[list[InlineKeyboardButton]]:
    t = translator(locale)
    return [[InlineKeyboardButton("👍 " + t._("Thank you, this helped"), callback_data=buttons.thanks(ticket_id))],
            [InlineKeyboardButton("✍️ " + t._("I have another question"), callback_data=buttons.more(ticket_id))]]


def signature(ticket_id: int, locale: str) -> str:
    return "<b>" + translator(locale)._("Asylum Navigator volunteer") + f"</b> · #{ticket_id}"


def volunteer_reply(ticket_id: int, body_html: str, locale: str) -> tuple[str, InlineKeyboardMarkup]:
    return "💬 " + signature(ticket_id, locale) + "\n\n" + body_html, InlineKeyboardMarkup(
        reply_buttons(ticket_id, locale))


def reviewed_answer(ticket_id: int, slug: str, title: str, locale: str) -> tuple[str, InlineKeyboardMarkup]:
    t = translator(locale)
    text = "📖 " + signature(ticket_id, locale) + "\n\n" + t._(
        "A volunteer suggests this reviewed answer: <b>{title}</b>. It names its sources and the date it was "
        "checked.", title=html.escape(title))
    rows = [[InlineKeyboardButton("📖 " + title[:60], callback_data=f"t:{slug}")], *reply_buttons(ticket_id, locale)]
    return text, InlineKeyboardMarkup(rows)


def person_notice(kind: str, ticket_id: int, locale: str) -> tuple[str, InlineKeyboardMarkup]:
    t = translator(locale)
    if kind == "reopened":
        text = "🔄 " + t._("Volunteers reopened your question #{n}. Write here to add to it.", n=ticket_id)
        return text, InlineKeyboardMarkup([[InlineKeyboardButton("📋 " + t._("My questions"),
                                                                  callback_data=buttons.MINE)]])
    if kind == "idle":
        text = "✅ " + t._("Your question #{n} was closed: there were no new messages for {days} days after the "
                          "answer.", n=ticket_id, days=IDLE_CLOSE_DAYS)
    else:
        text = "✅ " + t._("Volunteers closed your question #{n}.", n=ticket_id)
    text += " " + t._("If you need more help, ask again.")
    return text, InlineKeyboardMarkup([[ask_button(locale)], [_main_menu(locale)]])
