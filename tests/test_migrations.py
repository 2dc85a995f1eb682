"""Alembic: upgrade → downgrade → upgrade on the test database (SQLite, or PostgreSQL with TEST_DATABASE_URL)."""

from __future__ import annotations

from sqlalchemy import inspect

from bot import migrate
from bot.db import Database, make_engine
from bot.schema import Base


async def tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


async def test_upgrade_downgrade_upgrade(empty_database_url):
    url = empty_database_url
    await migrate.upgrade(url)
    assert await migrate.current(url) == migrate.head()
    assert set(Base.metadata.tables) <= await tables(url)
    await migrate.downgrade(url, "base")
    assert await migrate.current(url) is None
    assert await tables(url) <= {"alembic_version"}
    await migrate.upgrade(url)
    assert await migrate.current(url) == migrate.head()


async def test_each_revision_downgrades_one_step(empty_database_url):
    url = empty_database_url
    await migrate.upgrade(url)
    history = migrate.revisions()
    assert history[0] == migrate.head() and len(history) == len(set(history))
    for expected in history[1:]:
        await migrate.downgrade(url, "-1")
        assert await migrate.current(url) == expected
    await migrate.upgrade(url)


async def test_models_match_the_migrations(empty_database_url):
    """Autogenerate finds nothing to do: no model change without a revision."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    await migrate.upgrade(empty_database_url)
    database = Database(empty_database_url)
    try:
        async with database.engine.connect() as connection:
            diff = await connection.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c, opts={"compare_type": False}), Base.metadata))
    finally:
        await database.dispose()
    assert diff == []
