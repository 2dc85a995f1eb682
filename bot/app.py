"""Builds the Application: the one place where every feature's handlers are registered, in order.

Per update, :class:`NavigatorApplication` opens one database session, makes sure the user's row exists, picks
the user's language, and exposes all three to handlers through :class:`NavContext` (``context.session``,
``context.locale``, ``context._``). Nothing is committed unless a service commits it, so a handler that fails
half-way leaves nothing half-done behind.
"""

from __future__ import annotations

import logging
import time
from contextvars import ContextVar
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import BotCommand, Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackContext,
    ContextTypes,
    ExtBot,
)

from bot import users
from bot.config import Settings
from bot.db import Database
from bot.i18n import LOCALES, N_, RUSSIAN_FAMILY, Translator, locale_for, translator
from bot.models import User
from bot.ops import Ops
from bot.updates import PerUserUpdateProcessor

log = logging.getLogger(__name__)

SETTINGS = "settings"
DB = "db"


@dataclass
class UpdateScope:
    session: AsyncSession
    user: User | None
    locale: str


_scope: ContextVar[UpdateScope | None] = ContextVar("navigator_update_scope", default=None)


class NavContext(CallbackContext[ExtBot, dict, dict, dict]):
    """CallbackContext with the update's database session, the user's language and its translator."""

    @property
    def settings(self) -> Settings:
        return self.application.bot_data[SETTINGS]

    @property
    def db(self) -> Database:
        return self.application.bot_data[DB]

    @property
    def scope(self) -> UpdateScope:
        scope = _scope.get()
        if scope is None:
            raise RuntimeError("no update scope: this context was not created for an update")
        return scope

    @property
    def session(self) -> AsyncSession:
        return self.scope.session

    @property
    def locale(self) -> str:
        scope = _scope.get()
        return scope.locale if scope else self.settings.default_locale

    @locale.setter
    def locale(self, value: str) -> None:
        self.scope.locale = value

    @property
    def t(self) -> Translator:
        return translator(self.locale)

    def _(self, message: str, **params: object) -> str:
        return self.t._(message, **params)

    def ngettext(self, singular: str, plural: str, n: int, **params: object) -> str:
        return self.t.ngettext(singular, plural, n, **params)


class NavigatorApplication(Application):
    #: Updates fully handled so far; tests and benchmarks wait on it instead of sleeping.
    updates_done: int = 0
    #: Health, metrics, standby (bot/ops): set by build_application.
    ops: Ops

    async def process_update(self, update: object) -> None:
        started = time.perf_counter()
        try:
            await self._process_update(update)
        finally:
            self.updates_done += 1
            self.ops.observe_update(update, time.perf_counter() - started)

    async def process_error(self, update, error, job=None, coroutine=None) -> bool:
        self.ops.observe_error(error)
        return await super().process_error(update, error, job, coroutine)

    async def _process_update(self, update: object) -> None:
        if not isinstance(update, Update):
            await super().process_update(update)
            return
        settings: Settings = self.bot_data[SETTINGS]
        database: Database = self.bot_data[DB]
        async with database.session() as session:
            tg_user = update.effective_user
            scope = UpdateScope(session=session, user=None, locale=settings.default_locale)
            if tg_user is not None:
                try:
                    scope.user = await users.touch(session, tg_user.id)
                except Exception:
                    # The database is down or locked: still answer in the right language; handlers that
                    # need the database will fail and the error handler says so.
                    log.exception("could not load user row")
                    await session.rollback()
                scope.locale = locale_for(
                    scope.user.locale if scope.user else None, tg_user.language_code, settings.default_locale
                )
            token = _scope.set(scope)
            try:
                await super().process_update(update)
            finally:
                _scope.reset(token)


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
DESCRIPTION = N_(
    "Asylum Navigator: step-by-step help through the US asylum process — interviews, detention, court, "
    "removal — in Russian and English. General information, not legal advice. Do not send documents here."
)
SHORT_DESCRIPTION = N_("US asylum: where you are and your next step. General information, not legal advice.")


async def publish_bot_profile(application: Application) -> None:
    """setMyCommands / setMyDescription for Russian (and its family of languages) and English."""
    bot = application.bot
    default = application.bot_data[SETTINGS].default_locale
    for code, locale in [(None, default), ("en", "en"), *((c, "ru") for c in sorted(RUSSIAN_FAMILY))]:
        t = translator(locale)
        commands = [BotCommand(name, t._(description)) for name, description in COMMANDS]
        await bot.set_my_commands(commands, language_code=code)
        await bot.set_my_description(t._(DESCRIPTION), language_code=code)
        await bot.set_my_short_description(t._(SHORT_DESCRIPTION), language_code=code)


async def _post_init(application: Application) -> None:
    from handlers import post_init_hooks

    await application.ops.start(application)  # a standby waits here until it is the active process
    await publish_bot_profile(application)
    for hook in post_init_hooks():
        await hook(application)


async def _post_shutdown(application: Application) -> None:
    from handlers import post_shutdown_hooks

    for hook in post_shutdown_hooks():
        await hook(application)
    await application.ops.stop()
    await application.bot_data[DB].dispose()


def build_application(settings: Settings, database: Database | None = None) -> Application:
    """The configured Application with every handler registered. ``run``, ``try``, tests and benchmarks use it."""
    from handlers import register_all

    assert settings.token, "build_application needs a token"
    database = database or Database(settings.database_url)
    ops = Ops(settings, database)
    application = (
        ApplicationBuilder()
        .application_class(NavigatorApplication)
        .token(settings.token)
        .base_url(settings.bot_base_url)
        .base_file_url(settings.api_url.rstrip("/") + "/file/bot")
        .context_types(ContextTypes(context=NavContext))
        .concurrent_updates(PerUserUpdateProcessor())
        # Replies to one person are not paced (they answer that person's own tap); 429s are retried. The
        # reminder and broadcast outbox paces itself (bot/outbox.py) with its own Bot instance.
        .rate_limiter(AIORateLimiter(overall_max_rate=0, group_max_rate=0, max_retries=3))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .request(ops.request())
        .get_updates_request(ops.request(polling=True))
        .build()
    )
    application.ops = ops
    application.bot_data[SETTINGS] = settings
    application.bot_data[DB] = database
    register_all(application)
    return application


__all__ = ["DB", "LOCALES", "SETTINGS", "NavContext", "NavigatorApplication", "build_application"]
