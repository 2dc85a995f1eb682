"""Apply Alembic migrations from code (``run`` does this on start; ``migrate`` does only this)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db import make_engine

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


async def _run(url: str, action, engine: AsyncEngine | None = None) -> None:
    own = engine is None
    engine = engine or make_engine(url)
    try:
        async with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # Two processes starting together (an active and its standby) migrate one after the other.
                from sqlalchemy import text

                await connection.execute(text("SELECT pg_advisory_xact_lock(1312904777, 0)"))

            def go(sync_conn) -> None:
                cfg = alembic_config(url)
                cfg.attributes["connection"] = sync_conn
                action(cfg)

            await connection.run_sync(go)
    finally:
        if own:
            await engine.dispose()


async def upgrade(url: str, revision: str = "head", engine: AsyncEngine | None = None) -> None:
    await _run(url, lambda cfg: command.upgrade(cfg, revision), engine)


async def downgrade(url: str, revision: str, engine: AsyncEngine | None = None) -> None:
    await _run(url, lambda cfg: command.downgrade(cfg, revision), engine)


async def current(url: str, engine: AsyncEngine | None = None) -> str | None:
    from alembic.runtime.migration import MigrationContext

    own = engine is None
    engine = engine or make_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())
    finally:
        if own:
            await engine.dispose()


def head() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def revisions() -> list[str]:
    """Every revision, newest first (one linear history)."""
    from alembic.script import ScriptDirectory

    return [r.revision for r in ScriptDirectory.from_config(alembic_config("sqlite://")).walk_revisions()]
