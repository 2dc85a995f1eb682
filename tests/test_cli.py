"""The program as an operator runs it: `python -m bot ...` in a subprocess, pointed at the local Bot API."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import select

from bot.models import User
from tests.conftest import ROOT
from tests.helpers import eventually

TOKEN_SECRET = "123456:SECRETSECRETSECRETSECRETSECRET1234"


def run_cli(*args: str, env: dict[str, str] | None = None, stdin: str | None = None, timeout: float = 60):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_URL", "WEBHOOK_"))}
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, env={**base, **(env or {})},
                          input=stdin, capture_output=True, text=True, timeout=timeout)


def test_run_without_a_token_exits_2_naming_the_variable(tmp_path):
    result = run_cli("run", env={"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db"})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "TELEGRAM_BOT_TOKEN" in lines[0] and "Traceback" not in result.stderr


@pytest.mark.parametrize(("variable", "value"), [
    ("TELEGRAM_BOT_TOKEN", "not a token SECRET"), ("DATABASE_URL", "mysql://x"), ("ADMIN_IDS", "12,abc"),
    ("DEFAULT_LOCALE", "de"), ("WEBHOOK_URL", "https://example.org/hook"), ("REMINDER_SEND_RATE", "100"),
    # Unicode digits pass str.isdigit() but not int(); numbers beyond 64 bits; a port out of range.
    ("ADMIN_IDS", "12,²"), ("ADMIN_IDS", "12,٣٤"), ("ADMIN_IDS", "99999999999999999999999"),
    ("WEBHOOK_LISTEN", "127.0.0.1:8²"), ("WEBHOOK_LISTEN", "127.0.0.1:99999"), ("REMINDER_RETENTION_DAYS", "٣"),
    ("REMINDER_SEND_RATE", "²"), ("TELEGRAM_BOT_TOKEN", "¹²³:SECRETSECRETSECRETSECRETSECRET1234"),
])
def test_an_invalid_setting_exits_2_with_one_line_and_no_secret(variable, value, tmp_path):
    env = {"TELEGRAM_BOT_TOKEN": TOKEN_SECRET, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db", variable: value}
    result = run_cli("run", env=env)
    assert result.returncode == 2
    expected = "WEBHOOK_SECRET" if variable == "WEBHOOK_URL" else variable
    assert expected in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "SECRET" not in result.stderr.replace("WEBHOOK_SECRET", "")


def test_migrate_and_check(tmp_path):
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db"}
    result = run_cli("migrate", env=env)
    assert result.returncode == 0, result.stderr
    assert "revision" in result.stdout
    result = run_cli("check", env=env)
    assert "[ok] database" in result.stdout and "[ok] migrations" in result.stdout
    assert "[ok] translations" in result.stdout and "[ok] content pack" in result.stdout
    assert "[ok] reminders" in result.stdout


def test_content_check_and_load(tmp_path):
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db"}
    assert "content pack OK" in run_cli("content", "check", env=env).stdout
    first = run_cli("content", "load", env=env)
    assert first.returncode == 0 and "topics added 0" not in first.stdout
    second = run_cli("content", "load", env=env)
    assert "topics added 0; texts added 0, updated 0" in second.stdout


def test_try_lets_a_person_press_through_start_in_both_languages():
    script = "/start\n:lang en\n/start\n1\n:quit\n"
    result = run_cli("try", stdin=script, timeout=90)
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    assert "Где вы сейчас?" in out and "Where are you now?" in out
    assert "[1]" in out and "(edited)" in out  # numbered buttons, and pressing one changed the screen


async def test_black_box_run_answers_switches_language_deletes_and_stops_on_sigterm(api, database_url, database):
    token = api.make_token(31337)
    env = {"TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_URL": api.url, "DATABASE_URL": database_url,
           "LOG_LEVEL": "INFO"}
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_URL", "WEBHOOK_"))}
    process = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=ROOT, env={**base, **env},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        await eventually(lambda: api.commands("ru"), limit=30)  # set up its command menu: it is running
        api.user_sends(1001, "/start", language_code="ru", token=token, first_name="Анна")
        api.user_sends(1002, "/start", language_code="en", token=token)
        await eventually(lambda: api.bot_messages(1001) and api.bot_messages(1002), limit=15)
        assert "Где вы сейчас?" in api.bot_messages(1001)[-1].text
        assert "Where are you now?" in api.bot_messages(1002)[-1].text
        api.user_sends(1001, "/language", language_code="ru", token=token)
        await eventually(lambda: len(api.bot_messages(1001)) == 2, limit=10)
        menu = api.bot_messages(1001)[-1]
        api.user_presses(1001, menu.message_id, menu.callback_data("English"), token=token)
        await eventually(lambda: "Where are you now?" in api.bot_messages(1001)[-1].text, limit=10)
        api.user_sends(1001, "/delete_me", language_code="ru", token=token)
        await eventually(lambda: len(api.bot_messages(1001)) == 3, limit=10)
        confirm = api.bot_messages(1001)[-1]
        api.user_presses(1001, confirm.message_id, confirm.callback_data("Yes"), token=token)
        await eventually(lambda: "deleted" in api.bot_messages(1001)[-1].text, limit=10)
        async with database.session() as session:
            assert await session.scalar(select(User).where(User.id == 1001)) is None
    finally:
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
        stderr = process.stderr.read()
    assert code == 0, stderr[-2000:]
    assert time.monotonic() - started < 10
    assert "Анна" not in stderr and token.split(":")[1] not in stderr
