"""The guided walk-throughs: the topic tree, shown screen by screen with buttons.

Navigation is stateless: every button names its target topic (``t:<slug>``), so it keeps working after a restart,
on a second device, or from a message a week old. A topic that no longer exists answers "this menu was updated"
and shows the main menu.

```mermaid
flowchart LR
    start[/start or t:start/] --> situation[situation menu]
    situation --> question[question: which interview?] --> answer
    situation --> answer[answer: text, sources, date]
    answer -- related / back / main menu --> situation
    answer -- share --> deeplink[t.me/bot?start=slug] --> answer
    answer -- ts:slug --> short[short version: a new plain message to forward or dictate]
    start --> az[Topics A–Z] --> answer
```
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.context import NavContext
from bot.knowledge import service
from bot.knowledge.pack import ROOT_SLUG
from bot.knowledge.render import render_answer, render_menu, render_short
from bot.reminders import buttons as reminder_buttons
from handlers.helpdesk.entry import ask_rows
from handlers.ui import ack, button, keyboard, show

log = logging.getLogger(__name__)

AZ_PAGE = 10


def main_menu_button(context: NavContext) -> InlineKeyboardButton:
    return button("🏠 " + context._("Main menu"), f"t:{ROOT_SLUG}")


def _root_extras(context: NavContext) -> list[list[InlineKeyboardButton]]:
    return [
        *ask_rows(context),
        [button("📚 " + context._("Topics A–Z"), "az:0")],
        [button("🔔 " + context._("Reminders"), reminder_buttons.LIST), button("📰 " + context._("News"), "news:menu")],
        [button("🌐 Язык / Language", "lang:menu")],
    ]


def share_url(bot_username: str, slug: str) -> str:
    link = f"https://t.me/{bot_username}?start={slug}"
    return f"https://t.me/share/url?url={quote(link, safe='')}"


def screen_markup(context: NavContext, screen: service.Screen) -> InlineKeyboardMarkup:
    rows: list[list[InlineKeyboardButton]] = []
    topic = screen.topic
    if topic.kind == "answer":
        rows += [[button("➡️ " + link.title, f"t:{link.slug}")] for link in screen.related]
        if topic.remind:
            rows.append([button("🔔 " + context._("Remind me about this date"), reminder_buttons.new(topic.remind))])
        if screen.text.short:
            rows.append([button("📋 " + context._("Short version / for a detainee's tablet"), f"ts:{topic.slug}")])
        rows += ask_rows(context)
    else:
        rows += [[button(link.title, f"t:{link.slug}")] for link in screen.children]
    if topic.slug == ROOT_SLUG:
        rows += _root_extras(context)
    else:
        back = screen.parent.slug if screen.parent else ROOT_SLUG
        nav = [button("⬅️ " + context._("Back"), f"t:{back}")]
        if back != ROOT_SLUG:
            nav.append(main_menu_button(context))
        rows.append(nav)
    if topic.kind == "answer" and context.bot.username:
        rows.append([InlineKeyboardButton("📤 " + context._("Share"), url=share_url(context.bot.username, topic.slug))])
    return keyboard(rows)


async def send_topic(update: Update, context: NavContext, slug: str, *, new: bool = False,
                     prefix: str = "") -> bool:
    """Show a topic; False if it does not exist (the caller decides what to say)."""
    screen = await service.screen(context.lazy_session, slug, context.locale)
    if screen is None:
        return False
    if screen.topic.kind == "answer":
        context.search.note_read(slug)  # an anonymous daily count, for inline mode's most-read list
    if screen.rendered is None:  # rendered once per cached screen: the content and the language are fixed
        text = screen.text
        if screen.topic.kind == "answer":
            parts = render_answer(text.title, text.body, text.sources, text.reviewed_on, context.locale)
        else:
            parts = [render_menu(None if screen.topic.slug == ROOT_SLUG else text.title, text.body)]
        screen.rendered = (tuple(parts), screen_markup(context, screen))
    rendered_parts, markup = screen.rendered
    parts = list(rendered_parts)
    parts[0] = prefix + parts[0]
    if len(parts) == 1:
        await show(update, parts[0], markup, new=new)
        return True
    # A long answer: the first part replaces the screen, the rest follow; the buttons go on the last part.
    await show(update, parts[0], None, new=new)
    chat = update.effective_chat
    for i, part in enumerate(parts[1:], start=1):
        await chat.send_message(part, parse_mode=ParseMode.HTML, disable_web_page_preview=True,
                                reply_markup=markup if i == len(parts) - 1 else None)
    return True


async def show_main_menu(update: Update, context: NavContext, *, new: bool = False, prefix: str = "") -> None:
    if not await send_topic(update, context, ROOT_SLUG, new=new, prefix=prefix):
        # The knowledge base is empty (the pack failed to load): still leave the person somewhere to go.
        await show(update, prefix + context._("The topics are being updated. Please try again in a few minutes."),
                   keyboard(_root_extras(context)), new=new)


async def on_topic_button(update: Update, context: NavContext) -> None:
    slug = update.callback_query.data.removeprefix("t:")
    await ack(update)
    if not await send_topic(update, context, slug):
        await show_main_menu(update, context, new=True,
                             prefix=context._("This menu was updated. Here is the current one.") + "\n\n")


async def on_short_button(update: Update, context: NavContext) -> None:
    """The answer's short version as a new plain message (no HTML, no buttons): easy to forward or dictate."""
    slug = update.callback_query.data.removeprefix("ts:")
    await ack(update)
    screen = await service.screen(context.lazy_session, slug, context.locale)
    if screen is None or screen.topic.kind != "answer" or not screen.text.short:
        await show_main_menu(update, context, new=True,
                             prefix=context._("This menu was updated. Here is the current one.") + "\n\n")
        return
    text = screen.text
    await update.effective_chat.send_message(
        render_short(text.title, text.short, text.reviewed_on, context.locale), disable_web_page_preview=True)


async def on_a_to_z(update: Update, context: NavContext) -> None:
    page = 0
    if update.callback_query:
        await ack(update)
        page = int(update.callback_query.data.removeprefix("az:") or 0)
    links = await service.answers_a_to_z(context.session, context.locale)
    pages = max(1, -(-len(links) // AZ_PAGE))
    page = min(max(page, 0), pages - 1)
    rows = [[button(link.title, f"t:{link.slug}")] for link in links[page * AZ_PAGE:(page + 1) * AZ_PAGE]]
    nav = []
    if page > 0:
        nav.append(button("◀️", f"az:{page - 1}"))
    if page < pages - 1:
        nav.append(button("▶️", f"az:{page + 1}"))
    rows += [nav, [main_menu_button(context)]]
    text = "<b>{}</b>\n{}".format(
        context._("Topics A–Z"), context._("Page {page} of {pages}", page=page + 1, pages=pages)
    )
    await show(update, text, keyboard(rows))


def handlers() -> list[BaseHandler]:
    return [
        CallbackQueryHandler(on_topic_button, pattern=r"^t:[a-z0-9-]{1,40}$"),
        CallbackQueryHandler(on_short_button, pattern=r"^ts:[a-z0-9-]{1,40}$"),
        CallbackQueryHandler(on_a_to_z, pattern=r"^az:\d{1,3}$"),
        CommandHandler("topics", on_a_to_z),
    ]
