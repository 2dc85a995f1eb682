"""Which process is the active one.

PostgreSQL: a hot standby. Every ``python -m bot run`` against one database asks for a session advisory lock on
a connection of its own (not from the pool: a pooled connection can be recycled, and the lock would go with it).
The holder is active: it polls (or sets the webhook) and runs the JobQueue. The others wait on the lock; when the
holder dies its connection closes, PostgreSQL frees the lock, and the next waiter has it at once. The holder
checks its connection every few seconds; if it loses it, it must stop handling at once (see ``bot.ops.service``),
because a waiter may already have the lock. Server-side TCP keepalives on that connection make PostgreSQL notice
a holder that vanished without closing its socket (a pulled cable) within about half of ``STANDBY_TAKEOVER_S``.

SQLite: no standby. A lock file beside the database (``navigator.db.lock``, ``flock``) lets one process run; a
second one refuses to start with a one-line reason. The kernel frees the lock when the process dies, however it
dies, so a stale file never blocks a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

# pg_advisory_lock(int, int): a fixed first key for this program, the bot's numeric id as the second, so two
# different bots sharing one database (a test bot and the real one) do not stand by for each other.
LOCK_CLASS = 0x4E415649  # "NAVI"
APPLICATION_NAME = "navigator-standby-lock"


class LockHeld(Exception):
    """Another process is the active one and this one cannot wait for it (SQLite). ``str()`` is one line."""


class LockLost(Exception):
    """The active process lost its lock connection: another process may be active now."""


def sqlite_path(database_url: str) -> Path | None:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).resolve()


class SqliteLock:
    """An exclusive ``flock`` on ``<database>.lock``, held for the life of the process."""

    def __init__(self, database: Path) -> None:
        self.database = database
        self.path = database.with_name(database.name + ".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        import fcntl

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except PermissionError:
            raise LockHeld("the database's directory is read-only: the bot must be able to write its SQLite file "
                           "and the lock file beside it") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip() or "?"
            os.close(fd)
            raise LockHeld(f"another bot process (pid {holder}) is already running on {self.database}; "
                           "SQLite allows one process — stop it first, or use PostgreSQL for a standby") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def check(self) -> None:
        """Raise :class:`LockHeld` if another process holds the lock now (the lock is not kept)."""
        self.acquire()
        self.release()

    def release(self) -> None:
        if self._fd is not None:
            import fcntl

            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def check_single_process(database_url: str) -> None:
    """On SQLite, raise :class:`LockHeld` at once if another process runs on the database (before migrations)."""
    path = sqlite_path(database_url)
    if path is not None:
        SqliteLock(path).check()


def _dsn(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


class PostgresLock:
    """A session advisory lock on a dedicated asyncpg connection, kept until :meth:`release` or the process ends."""

    def __init__(self, database_url: str, bot_id: int, takeover_s: float) -> None:
        self.dsn = _dsn(database_url)
        self.key = (LOCK_CLASS, bot_id & 0x7FFFFFFF)
        self.takeover_s = takeover_s
        self.conn = None  # asyncpg.Connection
        self.held = False
        self._watch: asyncio.Task | None = None

    @property
    def heartbeat_s(self) -> float:
        return max(0.2, self.takeover_s / 5)

    async def _connect(self):
        import asyncpg

        conn = await asyncpg.connect(self.dsn, timeout=max(5.0, self.takeover_s),
                                     server_settings={"application_name": APPLICATION_NAME})
        # Let PostgreSQL itself notice a holder that vanished without a FIN, within about half the takeover time.
        idle = max(1, int(self.takeover_s / 2))
        for setting, value in (("tcp_keepalives_idle", idle), ("tcp_keepalives_interval", 1),
                               ("tcp_keepalives_count", 2), ("tcp_user_timeout", idle * 1000)):
            with contextlib.suppress(Exception):  # unix sockets and old servers refuse some of these
                await conn.execute(f"SET {setting} = {int(value)}")
        return conn

    async def acquire(self, on_wait: Callable[[], None] | None = None) -> bool:
        """Wait until this process holds the lock. Returns whether it had to wait (it was a standby)."""
        import asyncpg

        waited = False
        while True:
            try:
                if self.conn is None or self.conn.is_closed():
                    self.conn = await self._connect()
                if await self.conn.fetchval("SELECT pg_try_advisory_lock($1, $2)", *self.key):
                    self.held = True
                    return waited
                if not waited and on_wait:
                    on_wait()
                waited = True
                # Queue on the lock: the moment the holder's connection closes, this returns. The timeout only
                # hands control back now and then, so a lost connection of our own is noticed and re-made.
                await self.conn.execute(f"SET lock_timeout = {int(max(1.0, self.takeover_s) * 1000)}")
                try:
                    await self.conn.execute("SELECT pg_advisory_lock($1, $2)", *self.key)
                    self.held = True
                    return waited
                except asyncpg.LockNotAvailableError:
                    continue
                finally:
                    with contextlib.suppress(Exception):
                        await self.conn.execute("SET lock_timeout = 0")
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
                if not waited and on_wait:
                    on_wait()
                waited = True
                log.warning("standby: cannot reach the database (%s); retrying", type(exc).__name__)
                await self._close()
                await asyncio.sleep(min(5.0, self.takeover_s / 2))

    def watch(self, on_lost: Callable[[str], None]) -> None:
        """Check the lock connection every ``takeover_s / 5`` seconds; call ``on_lost(reason)`` once if it fails."""
        fired = False

        def lost(reason: str) -> None:
            nonlocal fired
            if not fired and self.held:
                fired = True
                on_lost(reason)

        self.conn.add_termination_listener(lambda _conn: lost("connection closed"))

        async def heartbeat() -> None:
            while self.held:
                await asyncio.sleep(self.heartbeat_s)
                try:
                    await self.conn.fetchval("SELECT 1", timeout=self.heartbeat_s)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    lost(type(exc).__name__)
                    return

        self._watch = asyncio.create_task(heartbeat(), name="standby-heartbeat")

    async def _close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None and not conn.is_closed():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), 2)
        if conn is not None and not conn.is_closed():
            conn.terminate()

    async def release(self) -> None:
        self.held = False
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._watch
            self._watch = None
        await self._close()  # closing the session frees its advisory locks
