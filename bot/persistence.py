"""Forms that survive a restart and a takeover: PTB persistence over the bot's own database.

Only what an open form needs is kept: each conversation's state (``form_states``) and the form's draft in
``user_data`` (``form_drafts``) — the same fields the form holds in memory and nothing else; no message texts
beyond what a form already holds, no names. Rows carry the ``user_id``, so ``/delete_me`` removes them with
everything else, and rows of forms abandoned for longer than :data:`MAX_AGE` are swept away.

Writes happen right after each update that touched a form (``NavigatorApplication`` calls
``update_persistence``, then :meth:`DatabasePersistence.commit`), the step and the draft in one transaction, so a
process killed mid-form loses at most the update in flight. Reads happen once, at
start; within a process the in-memory copy is the truth (``refresh_*`` are no-ops, so an ordinary update costs no
extra query).

Drafts are dataclasses; each one a form keeps is registered with :func:`form_draft` and stored as JSON with its
type name, so nothing is unpickled from the database.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import BigInteger, Integer, String, Text, UniqueConstraint, delete, select
from sqlalchemy.orm import Mapped, mapped_column
from telegram.ext import BasePersistence, PersistenceInput

from bot.db import Base, Database, UTCDateTime, utcnow

log = logging.getLogger(__name__)

MAX_AGE = timedelta(days=2)  # a form untouched this long is gone (its own timeout is 30 minutes)

T = TypeVar("T")
_DRAFTS: dict[str, type] = {}


def form_draft(name: str):
    """Register a dataclass a form keeps in ``user_data`` under a stable ``name``."""

    def register(cls: type[T]) -> type[T]:
        assert dataclasses.is_dataclass(cls), cls
        _DRAFTS[name] = cls
        cls.__form_draft__ = name  # type: ignore[attr-defined]
        return cls

    return register


class FormState(Base):
    """The state of one open conversation (a form), per conversation handler and key (chat, user)."""

    __tablename__ = "form_states"
    __table_args__ = (UniqueConstraint("name", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(64))  # JSON of PTB's conversation key, e.g. "[123, 123]"
    user_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    state: Mapped[str] = mapped_column(Text)  # JSON
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FormDraft(Base):
    """The drafts of one person's open forms (their ``user_data``), as JSON."""

    __tablename__ = "form_drafts"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    data: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        name = getattr(type(value), "__form_draft__", None)
        if name is None:
            raise TypeError(f"{type(value).__name__} is not a registered form draft")
        return {"__draft__": name, **{f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    if isinstance(value, datetime):
        return {"__datetime__": value.isoformat()}
    if isinstance(value, date):
        return {"__date__": value.isoformat()}
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "__date__" in value:
        return date.fromisoformat(value["__date__"])
    if "__datetime__" in value:
        return datetime.fromisoformat(value["__datetime__"])
    fields = {k: _decode(v) for k, v in value.items() if k != "__draft__"}
    if "__draft__" in value:
        cls = _DRAFTS.get(value["__draft__"])
        if cls is None:
            raise ValueError("unknown form draft")
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in fields.items() if k in known})
    return fields


def dumps(value: Any) -> str:
    return json.dumps(_encode(value), ensure_ascii=False, separators=(",", ":"))


def loads(text: str) -> Any:
    return _decode(json.loads(text))


class DatabasePersistence(BasePersistence):
    """Conversation states and form drafts in the database; nothing else (no bot_data, chat_data, callback data)."""

    def __init__(self, database: Database, update_interval: float = 60) -> None:
        super().__init__(store_data=PersistenceInput(bot_data=False, chat_data=False, user_data=True,
                                                     callback_data=False), update_interval=update_interval)
        self.database = database
        # The JSON last written per person: PTB offers every person's user_data after every update, and most of
        # them hold no form; only a real change reaches the database.
        self._written: dict[int, str] = {}
        self._pending_states: dict[tuple[str, str], tuple[str | None, int | None]] = {}
        self._pending_drafts: dict[int, str | None] = {}
        self._commit_lock = asyncio.Lock()

    # ---- reads, once at start -------------------------------------------------------------------------------

    async def get_user_data(self) -> dict[int, dict[Any, Any]]:
        async with self.database.session() as session:
            await session.execute(delete(FormDraft).where(FormDraft.updated_at < utcnow() - MAX_AGE))
            await session.commit()
            rows = (await session.execute(select(FormDraft.user_id, FormDraft.data))).all()
        result: dict[int, dict] = {}
        for user_id, data in rows:
            try:
                result[user_id] = loads(data)
                self._written[user_id] = data
            except (ValueError, TypeError):  # a draft of a form that no longer exists: start afresh
                log.warning("dropped an unreadable form draft")
        return result

    async def get_conversations(self, name: str) -> dict:
        async with self.database.session() as session:
            await session.execute(delete(FormState).where(FormState.updated_at < utcnow() - MAX_AGE))
            await session.commit()
            rows = (await session.execute(select(FormState.key, FormState.state).where(FormState.name == name))).all()
        return {tuple(json.loads(key)): json.loads(state) for key, state in rows}

    async def get_chat_data(self) -> dict[int, dict[Any, Any]]:
        return {}

    async def get_bot_data(self) -> dict[Any, Any]:
        return {}

    async def get_callback_data(self) -> None:
        return None

    # ---- writes, after each update that touched a form ------------------------------------------------------
    # PTB offers the new step and the new draft as separate calls; they are collected here and written together in
    # one transaction by ``commit`` (called right after ``Application.update_persistence``), so a process killed
    # in between never leaves a step without its draft.

    async def update_conversation(self, name: str, key: tuple[int | str, ...], new_state: object | None) -> None:
        self._pending_states[(name, json.dumps(list(key)))] = (
            None if new_state is None else json.dumps(new_state),
            key[-1] if key and isinstance(key[-1], int) else None,
        )

    async def update_user_data(self, user_id: int, data: dict[Any, Any]) -> None:
        encoded = dumps(data) if data else None
        if self._written.get(user_id) != encoded:
            self._pending_drafts[user_id] = encoded

    async def drop_user_data(self, user_id: int) -> None:
        await self.update_user_data(user_id, {})

    async def commit(self) -> None:
        """Write what the last updates changed, in one transaction."""
        async with self._commit_lock:
            states, self._pending_states = self._pending_states, {}
            drafts, self._pending_drafts = self._pending_drafts, {}
            if not states and not drafts:
                return
            now = utcnow()
            async with self.database.session() as session:
                for (name, key), (state, user_id) in states.items():
                    await session.execute(delete(FormState).where(FormState.name == name, FormState.key == key))
                    if state is not None:
                        session.add(FormState(name=name, key=key, user_id=user_id, state=state, updated_at=now))
                for user_id, encoded in drafts.items():
                    await session.execute(delete(FormDraft).where(FormDraft.user_id == user_id))
                    if encoded is not None:
                        session.add(FormDraft(user_id=user_id, data=encoded, updated_at=now))
                await session.commit()
            for user_id, encoded in drafts.items():
                if encoded is None:
                    self._written.pop(user_id, None)
                else:
                    self._written[user_id] = encoded

    async def update_chat_data(self, chat_id: int, data: dict[Any, Any]) -> None:
        return None

    async def update_bot_data(self, data: dict[Any, Any]) -> None:
        return None

    async def update_callback_data(self, data: Any) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        return None

    async def refresh_user_data(self, user_id: int, user_data: dict[Any, Any]) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[Any, Any]) -> None:
        return None

    async def refresh_bot_data(self, bot_data: dict[Any, Any]) -> None:
        return None

    async def flush(self) -> None:
        await self.commit()
