"""What every handler gets for one update: the database session, the person's language, and the services.

Per update, :class:`NavigatorApplication` opens one database session, makes sure the user's row is known, picks
the user's language, and exposes them to handlers through :class:`NavContext` (``context.session``,
``context.locale``, ``context._``). Nothing is committed unless a service commits it, so a handler that fails
half-way leaves nothing half-done behind.

The long-lived services (settings, database, outbox, …) are typed attributes of the Application, set once where
it is built (``bot.app.build_application``); handlers reach them as ``context.settings``, ``context.db``,
``context.outbox``. Handlers import this module; only the composition root imports ``handlers``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING, cast

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from bot import schema, users
from bot.config import Settings
from bot.db import Database, LazySession
from bot.i18n import Translator, locale_for, translator
from bot.persistence import DatabasePersistence

if TYPE_CHECKING:
    from bot.helpdesk.desk import Desk
    from bot.ops import Ops
    from bot.outbox import Outbox
    from bot.search.service import Search

log = logging.getLogger(__name__)

assert schema.Base.metadata.tables  # every table registered before the first update (and /delete_me walks them)


class UpdateScope:
    """One update's database session (opened only if something needs it), its user and language."""

    __slots__ = ("lazy_session", "locale", "user")

    def __init__(self, db: Database, locale: str) -> None:
        self.lazy_session = LazySession(db)
        self.user: users.Known | None = None
        self.locale = locale

    @property
    def session(self) -> AsyncSession:
        return self.lazy_session()


_scope: ContextVar[UpdateScope | None] = ContextVar("navigator_update_scope", default=None)


class NavigatorApplication(Application):
    """The Application with the bot's services as typed attributes and one update scope per update."""

    settings: Settings
    db: Database
    outbox: Outbox
    search: Search
    desk: Desk | None = None  # the volunteers' help desk; None when HELPDESK_CHAT_ID is not set
    ops: Ops  # health, metrics, standby (bot/ops)
    #: Updates fully handled so far; tests and benchmarks wait on it instead of sleeping.
    updates_done: int = 0
    #: The wall clock forms read "today" from; tests set a fixed one to try calendar edges (29 February).
    clock: Callable[[], datetime] = staticmethod(lambda: datetime.now(UTC))

    async def update_persistence(self) -> None:
        await super().update_persistence()
        if isinstance(self.persistence, DatabasePersistence):
            await self.persistence.commit()  # the step and the draft together

    async def process_update(self, update: object) -> None:
        started = time.perf_counter()
        try:
            await self._process_update(update)
            if self.persistence is not None:  # an open form is saved before the next update: a restart keeps it
                await self.update_persistence()
        finally:
            self.updates_done += 1
            self.ops.observe_update(update, time.perf_counter() - started)

    async def process_error(self, update, error, job=None, coroutine=None) -> bool:
        self.ops.observe_error(error)  # errors by class, for /metrics
        return await super().process_error(update, error, job, coroutine)

    async def _process_update(self, update: object) -> None:
        if not isinstance(update, Update):
            await super().process_update(update)
            return
        settings = self.settings
        scope = UpdateScope(self.db, settings.default_locale)
        try:
            tg_user = update.effective_user
            if tg_user is not None:
                try:
                    scope.user = await users.touch(scope.lazy_session, tg_user.id)
                except Exception:
                    # The database is down or locked: still answer in the right language; handlers that
                    # need the database will fail and the error handler says so.
                    log.exception("could not load user row")
                    await scope.session.rollback()
                scope.locale = locale_for(
                    scope.user.locale if scope.user else None, tg_user.language_code, settings.default_locale
                )
                if scope.user is not None and scope.user.returned:
                    await self._welcome_back(scope.session, tg_user.id, scope.locale)
            token = _scope.set(scope)
            try:
                await super().process_update(update)
            finally:
                _scope.reset(token)
        finally:
            await scope.lazy_session.close()

    async def _welcome_back(self, session: AsyncSession, user_id: int, locale: str) -> None:
        """The person had blocked the bot and writes again: what the block paused resumes, and they are told once
        (in their private chat, wherever they wrote)."""
        try:
            lines = await self.outbox.welcome_back(session, user_id, translator(locale))
            if lines:
                await self.bot.send_message(user_id, "\n\n".join(lines))
        except Exception as exc:  # the reminder outbox resumes them anyway when their next reminder is due
            log.warning("could not welcome back user %s (%s)", user_id, type(exc).__name__)
            await session.rollback()


class NavContext(CallbackContext[ExtBot, dict, dict, dict]):
    """CallbackContext with the update's database session, the user's language, its translator and the services."""

    @property
    def app(self) -> NavigatorApplication:
        return cast(NavigatorApplication, self.application)

    @property
    def settings(self) -> Settings:
        return self.app.settings

    @property
    def db(self) -> Database:
        return self.app.db

    @property
    def outbox(self) -> Outbox:
        return self.app.outbox

    @property
    def search(self) -> Search:
        return self.app.search

    @property
    def desk(self) -> Desk | None:
        return self.app.desk

    @property
    def scope(self) -> UpdateScope:
        scope = _scope.get()
        if scope is None:
            raise RuntimeError("no update scope: this context was not created for an update")
        return scope

    @property
    def session(self) -> AsyncSession:
        """The update's session (opened now if it was not yet)."""
        return self.scope.session

    @property
    def lazy_session(self) -> LazySession:
        """The update's session, for services that open it only when they must query."""
        return self.scope.lazy_session

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
