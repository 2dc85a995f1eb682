"""Asking a volunteer: the consent screen, then the question, then a ticket number.

A persistent conversation (it survives a restart). Nothing is stored before the question itself passes the
checks: no A-number, phone or e-mail (it is not passed on; the person is asked to send it again without), text
only (photos, documents and voice get a refusal that says why), within the per-person limits.

```mermaid
stateDiagram-v2
    [*] --> CONSENT: /ask, 🙋 Ask a volunteer
    CONSENT --> QUESTION: Continue
    CONSENT --> [*]: Cancel
    QUESTION --> QUESTION: an A-number, phone or e-mail; a photo, voice, document; too long
    QUESTION --> [*]: text → ticket #N, topic in the staff forum
    note right of CONSENT: banned, 2 open or 5 today: a friendly refusal instead
```
"""

from __future__ import annotations

import logging
import secrets
import warnings
from dataclasses import dataclass

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from bot.context import NavContext
from bot.helpdesk import buttons, service
from bot.helpdesk.service import Refused
from bot.persistence import form_draft
from handlers.helpdesk.common import check, media_refusal, refusal, say
from handlers.topics import main_menu_button
from handlers.ui import ack, button, keyboard, show

log = logging.getLogger(__name__)
# The consent buttons carry the form's id, so per-message tracking is not needed; PTB warns about it regardless.
warnings.filterwarnings("ignore", message=r"If 'per_message=False'", module="handlers.helpdesk")

CONSENT, QUESTION = range(2)
FORM = "desk_form"  # user_data key of the open form's draft


@form_draft("desk_ask")
@dataclass
class AskDraft:
    form_id: str


async def _usual_time(context: NavContext) -> str:
    stats = await service.stats(context.session)
    month = stats.windows[-1]
    if month.answered >= 3 and month.median is not None:
        hours = max(1, round(month.median.total_seconds() / 3600))
        return context.ngettext("Lately the first answer came after about {n} hour (the median of the last 30 "
                                "days).", "Lately the first answer came after about {n} hours (the median of the "
                                "last 30 days).", hours)
    return context._("There is no fixed time: volunteers answer as soon as they can, usually within a day.")


async def consent_text(context: NavContext) -> str:
    return "\n\n".join([
        "🙋 <b>" + context._("Ask a volunteer") + "</b>",
        context._("Volunteers of Asylum Navigator will read your question and answer here. They are not "
                  "lawyers: they can explain how things usually go and where to get help, not decide your case. "
                  "General information, not legal advice."),
        "🔒 " + context._("They will not see your name, username or phone number, and you will not learn who "
                         "answered. Do not send A-numbers, full names, addresses or documents."),
        "⏱ " + await _usual_time(context),
        "🆘 " + context._(
            "In an emergency, call now:\n"
            "• abuse, a medical emergency or no access to a lawyer in ICE detention: ICE Detention Reporting and "
            "Information Line +1 888 351 4024 (Mon–Fri, 8:00–20:00 Eastern time);\n"
            "• a child separated at the border: ORR National Call Center +1 800 203 7001; from a detention phone "
            "dial 699#;\n"
            "• persecution in Russia: OVD-Info, legal@ovdinfo.org.\n"
            "US toll-free numbers may not work from outside the US."),
    ])


async def start(update: Update, context: NavContext) -> int:
    await ack(update)
    user_id = update.effective_user.id
    try:
        await service.check_new(context.session, context.desk.secret, user_id)
    except Refused as problem:
        await say(update, context, refusal(context, problem))
        return ConversationHandler.END
    draft = context.user_data[FORM] = AskDraft(form_id=secrets.token_hex(4))
    rows = [[button("✅ " + context._("Continue"), buttons.consent(draft.form_id, "go"))],
            [button("✖️ " + context._("Cancel"), buttons.consent(draft.form_id, "no"))]]
    await show(update, await consent_text(context), keyboard(rows), new=True)
    return CONSENT


def _prompt(context: NavContext) -> str:
    return "✍️ " + context._(
        "Type your question in one message: where you are now (for example in detention, in Mexico, released "
        "with a court date), what happened, and what you need to know. Text only, no names or numbers. "
        "/cancel stops.")


async def on_consent(update: Update, context: NavContext) -> int:
    draft = context.user_data.get(FORM)
    data = update.callback_query.data
    if not isinstance(draft, AskDraft) or data.split(":")[2] != draft.form_id:
        await ack(update, context._("This button is out of date."))
        return ConversationHandler.END if draft is None else CONSENT
    await ack(update)
    if data.endswith(":no"):
        return await _end(update, context, context._("Nothing was sent."))
    await show(update, _prompt(context), keyboard([[button("✖️ " + context._("Cancel"),
                                                             buttons.consent(draft.form_id, "no"))]]))
    return QUESTION


async def on_text_at_consent(update: Update, context: NavContext) -> int:
    await show(update, "👆 " + context._("Please press «Continue» first, then send your question."), new=True)
    return CONSENT


async def on_question(update: Update, context: NavContext) -> int:
    text = update.effective_message.text or ""
    problem = check(context, text)
    if problem is not None:
        await show(update, problem + "\n\n" + _prompt(context), new=True)
        return QUESTION
    desk = context.desk
    user_id = update.effective_user.id
    found = await context.search.search(context.session, text, context.locale)  # suggestions for volunteers
    try:
        ticket = await service.open_ticket(context.session, desk.secret, user_id, context.locale, text,
                                           [hit.slug for hit in found.hits])
    except Refused as problem:
        context.user_data.pop(FORM, None)
        await say(update, context, refusal(context, problem))
        return ConversationHandler.END
    desk.open_askers.add(user_id)
    log.info("ticket %s opened", ticket.id)
    context.user_data.pop(FORM, None)
    await confirm(update, context, ticket.id)
    await desk.sync([ticket.id])
    return ConversationHandler.END


async def confirm(update: Update, context: NavContext, ticket_id: int) -> None:
    text = "✅ " + context._("Your question is with the volunteers: <b>#{n}</b>.", n=ticket_id) + "\n\n" + context._(
        "The answer will come here, signed «Asylum Navigator volunteer». To add something, just write here. "
        "/mytickets shows your open questions.")
    await show(update, text, keyboard([[button("📋 " + context._("My questions"), buttons.MINE)],
                                       [main_menu_button(context)]]), new=True)


async def on_media(update: Update, context: NavContext) -> int:
    await show(update, media_refusal(context) + "\n\n" + _prompt(context), new=True)
    return QUESTION


async def _end(update: Update, context: NavContext, text: str) -> int:
    context.user_data.pop(FORM, None)
    await show(update, text, keyboard([[main_menu_button(context)]]), new=update.callback_query is None)
    return ConversationHandler.END


async def on_cancel(update: Update, context: NavContext) -> int:
    return await _end(update, context, context._("Nothing was sent."))


async def on_other_command(update: Update, context: NavContext) -> int:
    """Any other command closes the form (nothing sent) and then runs as usual."""
    context.user_data.pop(FORM, None)
    await context.application.update_queue.put(update)
    return ConversationHandler.END


async def on_timeout(update: Update, context: NavContext) -> None:
    context.user_data.pop(FORM, None)


def conversation() -> ConversationHandler:
    private = filters.ChatType.PRIVATE
    text = private & filters.TEXT & ~filters.COMMAND
    media = private & ~filters.TEXT & ~filters.COMMAND & ~filters.StatusUpdate.ALL
    return ConversationHandler(
        entry_points=[CommandHandler("ask", start, filters=private),
                      CallbackQueryHandler(start, pattern=buttons.P_ASK)],
        states={
            CONSENT: [CallbackQueryHandler(on_consent, pattern=buttons.P_CONSENT),
                      MessageHandler(text, on_text_at_consent)],
            QUESTION: [MessageHandler(text, on_question), MessageHandler(media, on_media),
                       CallbackQueryHandler(on_consent, pattern=buttons.P_CONSENT)],
            ConversationHandler.TIMEOUT: [MessageHandler(filters.ALL, on_timeout),
                                          CallbackQueryHandler(on_timeout)],
        },
        fallbacks=[CommandHandler("cancel", on_cancel), MessageHandler(private & filters.COMMAND, on_other_command)],
        conversation_timeout=30 * 60,
        name="desk_ask",
        allow_reentry=True,
        persistent=True,
    )
