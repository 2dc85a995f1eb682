"""/broadcast: news to the people who opted in with /news, in both languages, sent by the outbox.

```mermaid
stateDiagram-v2
    [*] --> B_RU: /broadcast
    B_RU --> B_EN: the news in Russian (formatting allowed)
    B_EN --> B_PREVIEW: the news in English; preview of both, and how many people it reaches
    B_PREVIEW --> [*]: 📤 send (rows queued in the outbox; a progress line follows)
    B_PREVIEW --> [*]: ✖️ cancel (nothing sent)
```
The role is checked again at every step, so a moderator removed meanwhile cannot send.
"""

from __future__ import annotations

import secrets

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from bot.context import NavContext
from bot.moderation import broadcasts
from bot.moderation import service as moderation
from handlers.moderation.access import CAST, reasons, requires
from handlers.moderation.edit import on_cancel, on_wrong
from handlers.ui import ack, button, keyboard, show

B_RU, B_EN, B_PREVIEW = range(10, 13)


@requires()
async def cast_start(update: Update, context: NavContext) -> int:
    context.user_data[CAST] = {"id": secrets.token_hex(4)}
    await show(update, "📰 " + context._("The news in Russian, please (formatting allowed). /cancel stops."), new=True)
    return B_RU


@requires()
async def cast_ru(update: Update, context: NavContext) -> int:
    return await _cast_text(update, context, "ru", B_RU,
                            context._("Now the same news in English."), B_EN)


@requires()
async def cast_en(update: Update, context: NavContext) -> int:
    state = await _cast_text(update, context, "en", B_EN, None, B_PREVIEW)
    if state != B_PREVIEW:
        return state
    draft = context.user_data[CAST]
    recipients = await broadcasts.recipient_count(context.session)
    chat = update.effective_chat
    await chat.send_message("👁 " + context._("Preview:"))
    for locale in ("ru", "en"):
        await chat.send_message(draft[locale], parse_mode=ParseMode.HTML, disable_web_page_preview=True)
    rows = [[button("📤 " + context._("Send to {n} people", n=recipients), f"mb:{draft['id']}:go")],
            [button("✖️ " + context._("Cancel"), f"mb:{draft['id']}:x")]]
    await chat.send_message(context.ngettext("It goes to {n} person who opted in to news.",
                                             "It goes to {n} people who opted in to news.", recipients),
                            reply_markup=keyboard(rows))
    return B_PREVIEW


async def _cast_text(update: Update, context: NavContext, locale: str, state: int, next_prompt: str | None,
                     next_state: int) -> int:
    body = update.effective_message.text_html
    problems = moderation.validate("news", body, [])
    if problems:
        await show(update, reasons(context, problems), new=True)
        return state
    context.user_data[CAST][locale] = body
    if next_prompt:
        await show(update, next_prompt, new=True)
    return next_state


@requires()
async def cast_confirm(update: Update, context: NavContext) -> int:
    draft = context.user_data.get(CAST)
    _, form_id, action = update.callback_query.data.split(":")
    if draft is None or draft["id"] != form_id:
        await ack(update, context._("This button is from an older form."))
        return ConversationHandler.END
    await ack(update)
    context.user_data.pop(CAST, None)
    if action == "x":
        await show(update, context._("Cancelled. Nothing was sent."))
        return ConversationHandler.END
    author = update.effective_user.id
    broadcast = await broadcasts.create(context.session, author, draft["ru"], draft["en"], context.locale)
    await moderation.audit(context.session, author, "broadcast", f"#{broadcast.id} to {broadcast.total}")
    progress = await update.effective_chat.send_message(
        broadcasts.progress_text(broadcasts.Counts(broadcast.total, 0, 0, 0, broadcast.total), context.locale,
                                 done=False))
    broadcast.progress_message_id = progress.message_id
    await context.session.commit()
    await show(update, "📤 " + context._("Sending. The line below shows the progress."))
    return ConversationHandler.END


def conversation() -> ConversationHandler:
    text = filters.TEXT & ~filters.COMMAND
    wrong = ~filters.TEXT & ~filters.COMMAND & ~filters.StatusUpdate.ALL
    return ConversationHandler(
        entry_points=[CommandHandler("broadcast", cast_start)],
        states={B_RU: [MessageHandler(text, cast_ru)], B_EN: [MessageHandler(text, cast_en)],
                B_PREVIEW: [CallbackQueryHandler(cast_confirm, pattern=r"^mb:[0-9a-f]{8}:(go|x)$")]},
        fallbacks=[CommandHandler("cancel", on_cancel), MessageHandler(wrong, on_wrong)],
        conversation_timeout=30 * 60, name="moderation_broadcast", allow_reentry=True, persistent=True,
    )
