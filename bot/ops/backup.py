"""``python -m bot backup DIR`` and ``python -m bot restore FILE [--force]``.

SQLite: SQLite's online backup API copies a consistent snapshot while the bot keeps writing, into a temporary file
in DIR; ``PRAGMA integrity_check`` must say ok; then an atomic rename gives it its final name. PostgreSQL:
``pg_dump -Fc`` (a consistent snapshot too) into a temporary file, checked with ``pg_restore --list``, then renamed.
Only the newest ``--keep`` backups are kept. Backups hold personal data (Telegram ids, reminder dates): the files
are created readable by their owner only; encrypt them when they leave the machine, and keep them no longer than
the data itself (README, "Operations").

Restore refuses to replace a database that holds data unless ``--force`` is given, and refuses always while a bot
process runs on it (it holds the standby lock).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.ops.standby import LOCK_CLASS, LockHeld, SqliteLock, sqlite_path

SQLITE_SUFFIX, PG_SUFFIX = ".sqlite3", ".pgdump"
PREFIX = "navigator-"
SQLITE_MAGIC, PG_MAGIC = b"SQLite format 3\x00", b"PGDMP"


class BackupError(Exception):
    """A backup or restore cannot go ahead. ``str()`` is one line for the operator."""


@dataclass
class BackupResult:
    path: Path
    size: int
    removed: list[Path]


# -- helpers -----------------------------------------------------------------------------------------------------
def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):  # not every filesystem lets a directory be opened for fsync
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _final_path(directory: Path, suffix: str) -> Path:
    base = f"{PREFIX}{_stamp()}"
    path, n = directory / f"{base}{suffix}", 1
    while path.exists():
        n += 1
        path = directory / f"{base}-{n}{suffix}"
    return path


def _prune(directory: Path, suffix: str, keep: int) -> list[Path]:
    backups = sorted(directory.glob(f"{PREFIX}*{suffix}"), key=lambda p: (p.stat().st_mtime, p.name))
    removed = backups[:-keep] if keep > 0 else []
    for path in removed:
        path.unlink()
    return removed


def _prepare_dir(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not os.access(directory, os.W_OK):
        raise BackupError(f"cannot write to {directory}")


def _publish(tmp: Path, directory: Path, suffix: str, keep: int) -> BackupResult:
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    final = _final_path(directory, suffix)
    os.replace(tmp, final)  # atomic: a half-written backup never carries a backup's name
    _fsync_dir(directory)
    return BackupResult(final, final.stat().st_size, _prune(directory, suffix, keep))


# -- SQLite ------------------------------------------------------------------------------------------------------
def _integrity(path: Path) -> str:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = conn.execute("PRAGMA integrity_check").fetchall()
        return "ok" if rows == [("ok",)] else "; ".join(str(r[0]) for r in rows[:3])
    finally:
        conn.close()


def backup_sqlite(database: Path, directory: Path, keep: int) -> BackupResult:
    if not database.is_file():
        raise BackupError(f"no SQLite database at {database}")
    _prepare_dir(directory)
    tmp = directory / f".{PREFIX}{_stamp()}.{os.getpid()}.tmp"
    old_umask = os.umask(0o077)
    try:
        source = sqlite3.connect(database, timeout=30)
        target = sqlite3.connect(tmp)
        try:
            source.backup(target)  # one consistent snapshot; the bot's writers are not blocked (WAL)
            target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        finally:
            target.close()
            source.close()
        problem = _integrity(tmp)
        if problem != "ok":
            raise BackupError(f"integrity check of the copy failed: {problem}")
        return _publish(tmp, directory, SQLITE_SUFFIX, keep)
    finally:
        os.umask(old_umask)
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _sqlite_revision(path: Path) -> str | None:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    except sqlite3.Error:
        return None
    finally:
        conn.close()


def _sqlite_tables(path: Path) -> list[str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' "
                                           "AND name NOT LIKE 'sqlite_%'")]
    finally:
        conn.close()


def restore_sqlite(backup: Path, database: Path, force: bool) -> str:
    problem = _integrity(backup)
    if problem != "ok":
        raise BackupError(f"{backup} fails its integrity check: {problem}")
    revision = _sqlite_revision(backup)
    if revision is None:
        raise BackupError(f"{backup} is not a backup of this bot (no alembic_version table)")
    lock = SqliteLock(database)
    try:
        lock.acquire()  # no bot may start on it while we replace it
    except LockHeld:
        raise BackupError(f"a bot process is running on {database}; stop it before restoring") from None
    try:
        if database.exists() and database.stat().st_size and _sqlite_tables(database) and not force:
            raise BackupError(f"{database} already holds a database; add --force to replace it with the backup")
        tmp = database.with_name(f".{database.name}.restore.tmp")
        old_umask = os.umask(0o077)
        try:
            source = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
            target = sqlite3.connect(tmp)
            try:
                source.backup(target)
            finally:
                target.close()
                source.close()
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            for stale in (database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm")):
                with contextlib.suppress(FileNotFoundError):
                    stale.unlink()  # a WAL of the replaced database would be replayed into the restored one
            os.replace(tmp, database)
            _fsync_dir(database.parent)
        finally:
            os.umask(old_umask)
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
    finally:
        lock.release()
    return revision


# -- PostgreSQL --------------------------------------------------------------------------------------------------
def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not on the PATH: install the PostgreSQL client tools of your server's major "
                          "version (Debian/Ubuntu: apt-get install postgresql-client) and run this again")
    return path


def _pg_args_env(database_url: str) -> tuple[list[str], dict[str, str]]:
    """Connection arguments for the client tools; the password goes through the environment, never argv."""
    url = make_url(database_url)
    args = ["-d", url.database or "postgres"]
    if url.host:
        args += ["-h", url.host]
    if url.port:
        args += ["-p", str(url.port)]
    if url.username:
        args += ["-U", url.username]
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    sslmode = url.query.get("sslmode") or url.query.get("ssl")
    if isinstance(sslmode, str):
        env["PGSSLMODE"] = sslmode
    return args, env


def _run(args: list[str], env: dict[str, str], what: str, **kw) -> subprocess.CompletedProcess:
    result = subprocess.run(args, env=env, capture_output=True, **kw)
    if result.returncode != 0:
        err = result.stderr.decode("utf-8", "replace").strip().splitlines() if isinstance(result.stderr, bytes) \
            else (result.stderr or "").strip().splitlines()
        raise BackupError(f"{what} failed: {err[0] if err else f'exit code {result.returncode}'}")
    return result


def _check_dump(path: Path, env: dict[str, str]) -> list[str]:
    listing = _run([_tool("pg_restore"), "--list", str(path)], env, "pg_restore --list").stdout.decode()
    tables = [line.split()[-2] for line in listing.splitlines() if " TABLE DATA " in line and not line.startswith(";")]
    if "alembic_version" not in tables:
        raise BackupError(f"{path} is not a backup of this bot (no alembic_version table)")
    return tables


def backup_postgres(database_url: str, directory: Path, keep: int) -> BackupResult:
    pg_dump = _tool("pg_dump")
    _prepare_dir(directory)
    args, env = _pg_args_env(database_url)
    tmp = directory / f".{PREFIX}{_stamp()}.{os.getpid()}.tmp"
    old_umask = os.umask(0o077)
    try:
        _run([pg_dump, "-Fc", "--no-password", "-f", str(tmp), *args], env, "pg_dump")
        _check_dump(tmp, env)
        return _publish(tmp, directory, PG_SUFFIX, keep)
    finally:
        os.umask(old_umask)
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


async def _pg_state(database_url: str) -> tuple[list[str], int]:
    """(tables in the public schema, bot processes holding the standby lock)."""
    import asyncpg

    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        tables = [r[0] for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        holders = await conn.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = $1::int::oid AND granted "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())", LOCK_CLASS)
        return tables, holders
    finally:
        await conn.close()


# Empties the public schema inside the restore's own transaction, so a failed restore changes nothing.
_EMPTY_PUBLIC = b"""
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
    EXECUTE 'DROP TABLE IF EXISTS public.' || quote_ident(r.tablename) || ' CASCADE';
  END LOOP;
  FOR r IN SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = 'public' LOOP
    EXECUTE 'DROP SEQUENCE IF EXISTS public.' || quote_ident(r.sequence_name) || ' CASCADE';
  END LOOP;
END $$;
"""


def restore_postgres(backup: Path, database_url: str, force: bool) -> str:
    import asyncio

    pg_restore, psql = _tool("pg_restore"), _tool("psql")
    args, env = _pg_args_env(database_url)
    _check_dump(backup, env)
    try:
        tables, holders = asyncio.run(_pg_state(database_url))
    except Exception as exc:
        raise BackupError(f"cannot connect to the target database ({type(exc).__name__}); create it first") from None
    if holders:
        raise BackupError("a bot process is running on this database (it holds the standby lock); stop every "
                          "bot process before restoring")
    if tables and not force:
        raise BackupError(f"the database already holds {len(tables)} tables; add --force to replace them with the "
                          "backup")
    # pg_restore writes SQL; psql runs it after emptying the schema, all in one transaction.
    sql = _run([pg_restore, "--no-owner", "--no-privileges", "-f", "-", str(backup)], env, "pg_restore").stdout
    _run([psql, "--no-psqlrc", "--quiet", "--single-transaction", "-v", "ON_ERROR_STOP=1", "-f", "-", *args], env,
         "psql", input=_EMPTY_PUBLIC + sql)
    return asyncio.run(_pg_revision(database_url))


async def _pg_revision(database_url: str) -> str:
    import asyncpg

    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        return await conn.fetchval("SELECT version_num FROM alembic_version")
    finally:
        await conn.close()


# -- entry points ------------------------------------------------------------------------------------------------
def backup(database_url: str, directory: Path, keep: int) -> BackupResult:
    path = sqlite_path(database_url)
    if path is not None:
        return backup_sqlite(path, directory, keep)
    if make_url(database_url).get_backend_name() == "postgresql":
        return backup_postgres(database_url, directory, keep)
    raise BackupError("an in-memory database has nothing to back up")


def restore(database_url: str, backup_file: Path, force: bool) -> str:
    """Restore ``backup_file`` into the database at ``database_url``; returns the restored migration revision."""
    if not backup_file.is_file():
        raise BackupError(f"no file at {backup_file}")
    with open(backup_file, "rb") as fh:
        magic = fh.read(16)
    path = sqlite_path(database_url)
    if path is not None:
        if not magic.startswith(SQLITE_MAGIC):
            raise BackupError(f"{backup_file} is not a SQLite backup, and DATABASE_URL is SQLite")
        return restore_sqlite(backup_file, path, force)
    if make_url(database_url).get_backend_name() == "postgresql":
        if not magic.startswith(PG_MAGIC):
            raise BackupError(f"{backup_file} is not a pg_dump -Fc backup, and DATABASE_URL is PostgreSQL")
        return restore_postgres(backup_file, database_url, force)
    raise BackupError("DATABASE_URL names no database to restore into")
