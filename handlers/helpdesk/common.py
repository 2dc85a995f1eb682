"""What the person's side of the desk says when it cannot take a message, and the check every text passes."""

from __future__ import annotations

from telegram import Update

from bot.context import NavContext
from bot.helpdesk import buttons, guard, service
from bot.helpdesk.service import Refused
from handlers.helpdesk.entry import ask_rows
from handlers.topics import main_menu_button
from handlers.ui import button, keyboard, show


def refusal(context: NavContext, problem: Refused) -> str:
    """A friendly sentence for each reason a message was not passed on (never silence)."""
    details = problem.details
    texts = {
        "banned": context._("Volunteers can no longer receive your messages here. The answers in the menu are "
                            "still for you."),
        "too_many_open": context.ngettext(
            "You already have {n} open question. Write here to add to it, or close it in /mytickets first.",
            "You already have {n} open questions. Write here to add to them, or close one in /mytickets first.",
            service.MAX_OPEN),
        "daily_limit": context.ngettext(
            "You have asked {n} new question today: that is the most for one day. Please write again tomorrow, "
            "or add to an open question.",
            "You have asked {n} new questions today: that is the most for one day. Please write again tomorrow, "
            "or add to an open question.", service.MAX_PER_DAY),
        "flood": context._("You have sent several messages in a row. Please wait {minutes} minutes: volunteers "
                           "will read everything you sent.", minutes=details.get("minutes", 10)),
        "too_long": context._("The message is too long: {length} characters, at most {limit}. Please shorten it "
                              "or send it in two parts.", length=details.get("length", 0),
                              limit=details.get("limit", service.TEXT_LIMIT)),
        "empty": context._("The message is empty. Please type your question."),
        "closed": context._("This question is closed. You can ask a new one."),
    }
    return "⚠️ " + texts.get(problem.reason, texts["closed"])


def identifier_warning(context: NavContext, kind: str) -> str | None:
    """If the text seems to hold an A-number, a phone number or an e-mail: what to tell the person."""
    what = {
        guard.A_NUMBER: context._("an A-number"),
        guard.PHONE: context._("a phone number or another long number (such as an A-number)"),
        guard.EMAIL: context._("an e-mail address"),
    }[kind]
    return "⚠️ " + context._(
        "Your message seems to contain {what}, so it was not passed on. Volunteers do not need it, and it could "
        "identify you. Please send it again without it (you can write «my A-number» instead of the number).",
        what=what)


def check(context: NavContext, text: str) -> str | None:
    """Why ``text`` must not go to volunteers, as a message for the person; None when it may."""
    kind = guard.find(text)
    if kind is not None:
        return identifier_warning(context, kind)
    try:
        service.check_text(text)
    except Refused as problem:
        return refusal(context, problem)
    return None


def media_refusal(context: NavContext) -> str:
    return "⚠️ " + context._(
        "Volunteers receive text only. Photos, documents and voice messages can show a face, a voice, a name or "
        "an A-number, and chats with bots are not end-to-end encrypted. Please describe it in words; delete "
        "the file from this chat if it shows your details.")


async def say(update: Update, context: NavContext, text: str, *, ask: bool = False) -> None:
    rows = [[button("📋 " + context._("My questions"), buttons.MINE)]]
    if ask:
        rows = ask_rows(context) + rows
    await show(update, text, keyboard([*rows, [main_menu_button(context)]]), new=True)
