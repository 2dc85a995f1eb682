"""Shared fixtures: a fresh, migrated database per test (SQLite file, or PostgreSQL when TEST_DATABASE_URL is
set), the local Bot API server, and the real Application polling it.

PostgreSQL isolation: one template database is migrated and loaded with the content pack once per run; every test
gets its own copy (CREATE DATABASE … TEMPLATE …), dropped afterwards. SQLite does the same with a file copy.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.config import Settings
from bot.db import Database
from bot.knowledge.pack import prepare_database
from bot.local_api import LocalBotApi
from bot.logs import apply_floors
from tests.helpers import Person

# Search's embedding signal stays off in every bot a test starts unless the test asks for it
# (tests/test_search_embed.py): with the embed extra installed, SEARCH_EMBED's default (auto) would have each
# `python -m bot ...` subprocess — their environments are made from this one — load the model and embed the pack in
# the background (a minute of CPU with a cold cache) and write ./data/search-embeddings.npz. In-process apps get
# search_embed=False from the ``settings`` fixture below.
os.environ["SEARCH_EMBED"] = "off"

PG_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
BACKEND = "postgresql" if PG_URL else "sqlite"
ADMIN_ID = 500_000_001


def pytest_report_header(config) -> str:
    return f"database backend: {BACKEND}" + (f" ({make_url(PG_URL).render_as_string(hide_password=True)})"
                                             if PG_URL else "")


async def _pg_admin(sql: str) -> None:
    import asyncpg

    url = make_url(PG_URL)
    conn = await asyncpg.connect(host=url.host or "127.0.0.1", port=url.port or 5432, user=url.username,
                                 password=url.password, database=url.database)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _pg_url(name: str) -> str:
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def template_database(tmp_path_factory) -> str:
    """Migrated and loaded once; the 'golden' copy tests start from."""
    if BACKEND == "postgresql":
        name = f"nav_tpl_{os.getpid()}"
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
        asyncio.run(prepare_database(_pg_url(name)))
        yield name
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    else:
        path = tmp_path_factory.mktemp("template") / "template.db"
        asyncio.run(prepare_database(f"sqlite+aiosqlite:///{path}"))
        yield str(path)


@pytest.fixture
async def database_url(template_database, tmp_path) -> AsyncIterator[str]:
    """A private database for this test, already migrated and holding the content pack."""
    if BACKEND == "postgresql":
        name = f"nav_t_{uuid.uuid4().hex[:12]}"
        await _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"')
        yield _pg_url(name)
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        path = tmp_path / "navigator.db"
        shutil.copy(template_database, path)
        yield f"sqlite+aiosqlite:///{path}"


@pytest.fixture
async def empty_database_url(tmp_path) -> AsyncIterator[str]:
    """A private database with nothing in it, not even migrations."""
    if BACKEND == "postgresql":
        name = f"nav_e_{uuid.uuid4().hex[:12]}"
        await _pg_admin(f'CREATE DATABASE "{name}"')
        yield _pg_url(name)
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"


@pytest.fixture
async def database(database_url) -> AsyncIterator[Database]:
    db = Database(database_url)
    yield db
    await db.dispose()


@pytest.fixture
async def api() -> AsyncIterator[LocalBotApi]:
    async with LocalBotApi(bot_username="asylum_navigator_test_bot") as server:
        yield server


@pytest.fixture
def settings(api, database_url) -> Settings:
    # A test drives a person far faster than anyone types: the flood limit is lifted here and tested on its own
    # (tests/test_flood.py) with the production value.
    return Settings(token=api.make_token(), database_url=database_url, api_url=api.url,
                    admin_ids=frozenset({ADMIN_ID}), dispatch_interval=0.2, flood_messages=10_000,
                    search_embed=False)


async def start_app(settings: Settings):
    from bot.app import build_application

    apply_floors()
    application = build_application(settings)
    await application.initialize()
    await application.post_init(application)  # run_polling would call it; we start the parts by hand
    await application.start()
    await application.updater.start_polling(poll_interval=0, timeout=1)
    return application


async def stop_app(application) -> None:
    if application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
    await application.shutdown()
    await application.post_shutdown(application)


@pytest.fixture
async def app(settings):
    application = await start_app(settings)
    yield application
    await stop_app(application)


@pytest.fixture
def make_person(api, app):
    def make(language_code: str | None = "ru", **kw) -> Person:
        return Person(api, app, language_code=language_code, **kw)
    return make


@pytest.fixture
def ru(make_person) -> Person:
    return make_person("ru")


@pytest.fixture
def en(make_person) -> Person:
    return make_person("en")


def with_settings(settings: Settings, **changes) -> Settings:
    return replace(settings, **changes)


ROOT = Path(__file__).resolve().parent.parent
