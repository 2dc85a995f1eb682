"""The command menus: what each person sees under "/" in Telegram, and what /help lists.

Everyone gets :data:`COMMANDS`; moderators and admins additionally get their own commands in their own chat's
menu (nobody else ever sees them). ``/help`` is generated from the same list, so the two cannot drift apart.
"""

from __future__ import annotations

from telegram import BotCommand, BotCommandScopeChat
from telegram.error import TelegramError
from telegram.ext import Application

from bot.i18n import N_, RUSSIAN_FAMILY, translator
from bot.moderation.service import ADMIN

# The command menu, per language. Moderation commands are never listed here.
COMMANDS = (
    ("start", N_("Main menu: where are you now?")),
    ("topics", N_("All topics A–Z")),
    ("remind", N_("Set a hearing or deadline reminder")),
    ("reminders", N_("My reminders")),
    ("news", N_("News: subscribe or stop")),
    ("language", N_("Язык / Language")),
    ("privacy", N_("What we store; safety")),
    ("delete_me", N_("Delete everything about me")),
    ("help", N_("How to use the bot")),
)
# Only when the help desk is on (HELPDESK_CHAT_ID): otherwise nothing mentions it.
DESK_COMMANDS = (
    ("ask", N_("Ask a volunteer (anonymously)")),
    ("mytickets", N_("My questions to volunteers")),
)
MOD_COMMANDS = (
    ("edit", N_("Edit an answer (text, title, sources, still accurate)")),
    ("history", N_("Revisions of a topic: /history SLUG [ru|en]")),
    ("rollback", N_("Restore a revision: /rollback SLUG LANG N")),
    ("stale", N_("Texts not reviewed for a long time")),
    ("gaps", N_("What people asked that has no answer (30 days)")),
    ("broadcast", N_("News to people who opted in")),
    ("mod", N_("All moderation commands")),
)
ADMIN_COMMANDS = (
    ("mod_add", N_("Add a moderator: /mod_add ID")),
    ("mod_remove", N_("Remove a moderator: /mod_remove ID")),
    ("mods", N_("Admins and moderators")),
    ("audit", N_("Audit log")),
)
DESCRIPTION = N_(
    "Asylum Navigator: step-by-step help through the US asylum process — interviews, detention, court, "
    "removal — in Russian and English. General information, not legal advice. Do not send documents here."
)
SHORT_DESCRIPTION = N_("US asylum: where you are and your next step. General information, not legal advice.")


def user_commands(desk_on: bool) -> tuple:
    """Everyone's menu: with /ask and /mytickets after /topics when the help desk is on."""
    if not desk_on:
        return COMMANDS
    return COMMANDS[:2] + DESK_COMMANDS + COMMANDS[2:]


def command_lines(locale: str, commands=COMMANDS) -> str:
    """"/name — description" lines, for /help and /mod."""
    t = translator(locale)
    return "\n".join(f"/{name} — {t._(description)}" for name, description in commands)


async def publish_bot_profile(application: Application, default_locale: str) -> None:
    """setMyCommands / setMyDescription for Russian (and its family of languages) and English."""
    bot = application.bot
    menu = user_commands(getattr(application, "desk", None) is not None)
    for code, locale in [(None, default_locale), ("en", "en"), *((c, "ru") for c in sorted(RUSSIAN_FAMILY))]:
        t = translator(locale)
        commands = [BotCommand(name, t._(description)) for name, description in menu]
        await bot.set_my_commands(commands, language_code=code)
        await bot.set_my_description(t._(DESCRIPTION), language_code=code)
        await bot.set_my_short_description(t._(SHORT_DESCRIPTION), language_code=code)


async def publish_team_menu(bot, user_id: int, role: str | None) -> None:
    """Moderators and admins see their commands in their own chat's menu; nobody else ever does."""
    scope = BotCommandScopeChat(user_id)
    try:
        for code in (None, "ru", "en"):
            if role is None:
                await bot.delete_my_commands(scope=scope, language_code=code)
                continue
            t = translator(code or "ru")
            extra = MOD_COMMANDS + (ADMIN_COMMANDS if role == ADMIN else ())
            commands = [BotCommand(name, t._(text)) for name, text in (*COMMANDS, *extra)]
            await bot.set_my_commands(commands, scope=scope, language_code=code)
    except TelegramError:  # they have not opened the bot yet: the menu is set when they are added again
        pass
