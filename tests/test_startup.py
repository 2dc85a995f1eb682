"""Start-up failures, as an operator sees them: `python -m bot run` in a subprocess.

Whatever stops the start — a revoked token (Telegram's 401 on getMe), a Bot API or a database that cannot be
reached, a read-only SQLite file — ends with exactly one line on stderr, exit code 2 for configuration and 1 for
anything else, no traceback, and never the token or the database password.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import BACKEND, PG_URL, ROOT

PASSWORD = "pw-Secret-4242"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once the socket is closed


async def run_bot(env: dict[str, str], timeout: float = 60) -> tuple[int, str]:  # noqa: ASYNC109
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_URL", "WEBHOOK_"))}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=ROOT, env={**base, "LOG_LEVEL": "INFO", **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        _, stderr = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise AssertionError("the bot kept running instead of stopping at start-up") from None
    return process.returncode, stderr.decode()


def assert_one_clean_line(stderr: str, *secrets: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr[-3000:]
    assert "Traceback" not in stderr and "Error:" not in lines[0].split("failed:")[0]
    for secret in secrets:
        assert secret not in stderr
    return lines[0]


async def test_a_revoked_token_is_one_line_exit_2_and_never_printed(api, database_url):
    token = api.make_token(424242)
    api.fail_next("getMe", 401, description="Unauthorized", count=5)  # what Telegram answers a revoked token
    code, stderr = await run_bot({"TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_URL": api.url,
                                  "DATABASE_URL": database_url})
    line = assert_one_clean_line(stderr, token, token.split(":")[1], token.split(":")[1][:12])
    assert code == 2 and "TELEGRAM_BOT_TOKEN" in line and "rejected" in line


async def test_an_unreachable_bot_api_is_one_line_exit_1(api, database_url):
    token = api.make_token(424243)
    code, stderr = await run_bot({"TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_URL": f"http://127.0.0.1:{closed_port()}",
                                  "DATABASE_URL": database_url})
    line = assert_one_clean_line(stderr, token.split(":")[1])
    assert code == 1 and "Bot API cannot be reached" in line


async def test_an_unreachable_database_is_one_line_exit_1_without_the_password(api):
    token = api.make_token(424244)
    url = f"postgresql+asyncpg://navigator:{PASSWORD}@127.0.0.1:{closed_port()}/navigator"
    code, stderr = await run_bot({"TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_URL": api.url, "DATABASE_URL": url})
    line = assert_one_clean_line(stderr, PASSWORD, token.split(":")[1])
    assert code == 1 and "database cannot be reached" in line


@pytest.mark.skipif(BACKEND != "postgresql", reason="needs the PostgreSQL server")
async def test_a_wrong_database_name_is_configuration_exit_2(api):
    from sqlalchemy.engine import make_url

    token = api.make_token(424245)
    url = make_url(PG_URL).set(database="no_such_database_here").render_as_string(hide_password=False)
    code, stderr = await run_bot({"TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_URL": api.url, "DATABASE_URL": url})
    line = assert_one_clean_line(stderr, token.split(":")[1])
    assert code == 2 and "DATABASE_URL" in line and "does not exist" in line


@contextlib.contextmanager
def read_only(directory: Path):
    """Make a directory and its files read-only — for root too, where permission bits do not bind."""
    paths = [*directory.iterdir(), directory]
    if os.geteuid() == 0:
        if not shutil.which("chattr"):
            pytest.skip("running as root without chattr: cannot make a file read-only")
        result = subprocess.run(["chattr", "+i", *map(str, paths)], capture_output=True)
        if result.returncode:
            pytest.skip("running as root and chattr +i is not allowed here")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", *map(str, paths)], check=True)
    else:
        for path in paths:
            path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield
        finally:
            for path in paths:
                path.chmod(0o755 if path.is_dir() else 0o644)


async def test_a_read_only_sqlite_file_is_one_line_exit_1(api, template_database, tmp_path):
    if BACKEND != "sqlite":
        pytest.skip("SQLite only")
    folder = tmp_path / "ro"
    folder.mkdir()
    shutil.copy(template_database, folder / "navigator.db")  # already migrated: nothing to write at first
    token = api.make_token(424246)
    with read_only(folder):
        code, stderr = await run_bot({"TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_URL": api.url,
                                      "DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'navigator.db'}"})
    line = assert_one_clean_line(stderr, token.split(":")[1])
    assert code == 1 and ("read-only" in line or "cannot be opened" in line), line


async def test_webhook_mode_serves_on_loopback_and_stops_on_sigterm(api, database_url):
    import signal

    from tests.helpers import eventually
    from tests.test_webhook import free_port

    token, port = api.make_token(424247), free_port()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_URL", "WEBHOOK_"))}
    env = {**base, "TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_URL": api.url, "DATABASE_URL": database_url,
           "WEBHOOK_URL": f"http://127.0.0.1:{port}/hook", "WEBHOOK_SECRET": "s3cret",
           "WEBHOOK_LISTEN": f"127.0.0.1:{port}"}
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", cwd=ROOT, env=env,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        await eventually(lambda: api.commands("ru"), limit=30)
        api.user_sends(2001, "/start", language_code="en", token=token)  # the local API posts it to the webhook
        await eventually(lambda: api.bot_messages(2001), limit=15)
        assert "Where are you now?" in api.bot_messages(2001)[-1].text
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 15)
    assert process.returncode == 0, stderr.decode()[-2000:]
    assert "Traceback" not in stderr.decode() and token.split(":")[1] not in stderr.decode()
