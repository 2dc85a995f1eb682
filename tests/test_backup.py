"""``python -m bot backup`` / ``restore`` as an operator runs them, while the real bot keeps writing.

The database holds people, reminders, topic revisions, moderators, the audit log and a broadcast; during the
backup, people keep changing their language through the bot (each change writes a row). The backup is restored into
a fresh database and every table is compared row by row with the source: identical, except for the writes that came
after the snapshot — and those form a clean cut (people 1..K present, K+1.. absent), as a consistent snapshot must.
"""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select, text

from bot import migrate, schema
from bot.db import Database, utcnow
from bot.moderation.models import AuditEntry, Broadcast, Delivery, Moderator
from tests.conftest import BACKEND, ROOT
from tests.helpers import Person, eventually
from tests.test_outbox import seed

TABLES = [t for t in schema.Base.metadata.sorted_tables]


def cli(*args: str, database_url: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_URL"))}
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={**base, "DATABASE_URL": database_url, **env})


async def dump(database: Database) -> dict[str, list[tuple]]:
    """Every row of every table (and the migration revision), in primary-key order."""
    out: dict[str, list[tuple]] = {}
    async with database.session() as session:
        for table in TABLES:
            rows = await session.execute(select(table).order_by(*table.primary_key.columns))
            out[table.name] = [tuple(r) for r in rows.all()]
        out["alembic_version"] = [tuple(r) for r in (await session.execute(
            text("SELECT version_num FROM alembic_version"))).all()]
    return out


async def fill(database: Database) -> None:
    """People with reminders (due later: the outbox leaves them alone), a moderator, audit entries, a broadcast."""
    ids = await seed(database, 25, per_user=2, due_in=timedelta(days=3))
    now = utcnow()
    async with database.session() as session:
        await session.execute(insert(Moderator), [{"moderator_id": ids[0], "added_by": 1, "added_at": now}])
        await session.execute(insert(AuditEntry), [{"actor_id": ids[0], "action": "publish", "target": f"acis/ru r{i}",
                                                    "created_at": now} for i in range(5)])
        await session.execute(insert(Broadcast), [{"id": 1, "author_id": ids[0], "text_ru": "Новости", "text_en": "News",
                                                   "locale": "ru", "status": "done", "total": 3, "created_at": now}])
        await session.execute(insert(Delivery), [{"broadcast_id": 1, "user_id": i, "status": "sent", "due_at": now,
                                                  "scheduled_for": now, "attempts": 1, "sent_at": now}
                                                 for i in ids[:3]])
        await session.commit()
    counts = {name: len(rows) for name, rows in (await dump(database)).items()}
    assert all(counts[t] for t in ("users", "subscriptions", "reminders", "topic_revisions", "audit_log",
                                   "moderators", "broadcast_deliveries")), counts


class Writers:
    """People who, one after another, pick English in /language: the bot writes a users row for each."""

    def __init__(self, api, app) -> None:
        self.api, self.app = api, app
        self.done: list[int] = []
        self.stop = asyncio.Event()

    async def run(self) -> None:
        user_id = 771_000_001
        while not self.stop.is_set():
            person = Person(self.api, self.app, user_id=user_id, language_code="ru")
            await person.send("/language")
            await person.press("English")
            self.done.append(user_id)
            user_id += 1


async def backup_while_writing(api, app, directory: Path, database_url: str) -> tuple[Path, Writers, int, int]:
    writers = Writers(api, app)
    task = asyncio.create_task(writers.run())
    await eventually(lambda: len(writers.done) >= 3, limit=30)
    before = len(writers.done)
    result = await asyncio.to_thread(cli, "backup", str(directory), database_url=database_url)
    after = len(writers.done)
    await eventually(lambda: len(writers.done) >= after + 2, limit=30)
    writers.stop.set()
    await task
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("backup written: ")
    path = Path(result.stdout.split("backup written: ", 1)[1].split(" (", 1)[0])
    return path, writers, before, after


def compare(source: dict, restored: dict, writers: Writers, before: int, after: int) -> None:
    present = {row[0] for row in restored["users"]} & set(writers.done)
    k = len(present)
    assert present == set(writers.done[:k]), "the backup is not a clean cut of the writes"
    assert before <= k <= after, (before, k, after)  # the snapshot fell while the bot was writing
    later = set(writers.done[k:])
    assert later, "some writes came after the snapshot"
    assert restored.keys() == source.keys()
    for table, rows in source.items():
        expected = [r for r in rows if not (table == "users" and r[0] in later)]
        assert restored[table] == expected, f"table {table} differs"


async def test_backup_while_the_bot_writes_then_restore_into_a_fresh_database(
        api, app, database, database_url, empty_database_url, tmp_path):
    await fill(database)
    directory = tmp_path / "backups"
    path, writers, before, after = await backup_while_writing(api, app, directory, database_url)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # personal data: readable by its owner only
    assert not list(directory.glob(".*.tmp")), "no temporary file is left behind"

    restored_url = empty_database_url
    result = await asyncio.to_thread(cli, "restore", str(path), database_url=restored_url)
    assert result.returncode == 0, result.stderr
    assert f"migration revision {migrate.head()}" in result.stdout

    restored = Database(restored_url)
    try:
        compare(await dump(database), await dump(restored), writers, before, after)
    finally:
        await restored.dispose()

    # The restored database now holds data: replacing it again needs --force.
    again = await asyncio.to_thread(cli, "restore", str(path), database_url=restored_url)
    assert again.returncode == 1 and "add --force" in again.stderr and len(again.stderr.strip().splitlines()) == 1
    forced = await asyncio.to_thread(cli, "restore", str(path), "--force", database_url=restored_url)
    assert forced.returncode == 0, forced.stderr
    restored = Database(restored_url)
    try:
        compare(await dump(database), await dump(restored), writers, before, after)
    finally:
        await restored.dispose()


async def test_restore_refuses_a_database_a_bot_is_running_on(app, database_url, tmp_path):
    result = await asyncio.to_thread(cli, "backup", str(tmp_path / "b"), database_url=database_url)
    assert result.returncode == 0, result.stderr
    [path] = [p for p in (tmp_path / "b").iterdir() if p.name.startswith("navigator-")]
    for args in ((), ("--force",)):
        refused = await asyncio.to_thread(cli, "restore", str(path), *args, database_url=database_url)
        assert refused.returncode == 1
        assert "a bot process is running" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1


async def test_backups_keep_only_the_newest(database_url, tmp_path):
    directory = tmp_path / "b"
    names = []
    for _ in range(3):
        result = await asyncio.to_thread(cli, "backup", str(directory), "--keep", "2", database_url=database_url)
        assert result.returncode == 0, result.stderr
        names.append(Path(result.stdout.split("backup written: ", 1)[1].split(" (", 1)[0]).name)
    assert sorted(p.name for p in directory.iterdir()) == sorted(names[1:])


async def test_a_file_that_is_not_a_backup_is_refused(empty_database_url, tmp_path):
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a database")
    result = await asyncio.to_thread(cli, "restore", str(bogus), database_url=empty_database_url)
    assert result.returncode == 1 and "restore refused:" in result.stderr


@pytest.mark.skipif(BACKEND != "postgresql", reason="pg_dump is only needed for PostgreSQL")
async def test_backup_without_pg_dump_says_what_to_install(database_url, tmp_path):
    result = await asyncio.to_thread(cli, "backup", str(tmp_path / "b"), database_url=database_url,
                                     PATH=str(tmp_path / "empty-bin"))
    assert result.returncode == 1
    assert result.stderr.strip() == ("backup failed: pg_dump is not on the PATH: install the PostgreSQL client tools "
                                     "of your server's major version (Debian/Ubuntu: apt-get install "
                                     "postgresql-client) and run this again")
