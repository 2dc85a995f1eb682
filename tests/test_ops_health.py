"""The operations endpoint as a supervisor and Prometheus see it: /healthz, /readyz (every failing condition) and
/metrics after real traffic, on the real Application against the local Bot API."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text, update
from telegram import Bot

from bot.db import utcnow
from bot.outbox import CLAIMED, SENT
from bot.reminders.models import Reminder
from tests.conftest import BACKEND, _pg_admin, start_app, stop_app, with_settings
from tests.helpers import Person, eventually
from tests.test_outbox import seed
from tests.test_webhook import SECRET, free_port


def ops_settings(settings, **changes):
    return with_settings(settings, ops_listen=("127.0.0.1", 0), poll_window_s=4.0, **changes)


@pytest.fixture
async def ops_app(settings):
    application = await start_app(ops_settings(settings))
    yield application
    await stop_app(application)


def base(application) -> str:
    return f"http://127.0.0.1:{application.ops.server.port}"


async def get(application, path: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.get(base(application) + path)


async def readyz(application) -> tuple[int, dict]:
    response = await get(application, "/readyz")
    return response.status_code, response.json()


async def failing(application, check: str) -> dict:
    """Wait until /readyz answers 503 naming ``check``; return the body."""
    async def probe():
        status, body = await readyz(application)
        return body if status == 503 and check in body["failed"] else None
    return await eventually(probe, limit=30, interval=0.2)


async def ready_again(application) -> None:
    async def probe():
        status, body = await readyz(application)
        return status == 200 and body["ready"]
    await eventually(probe, limit=40, interval=0.2)


async def test_healthz_and_readyz_when_all_is_well(ops_app):
    health = await get(ops_app, "/healthz")
    assert health.status_code == 200 and health.json() == {"status": "ok", "role": "active"}
    await ready_again(ops_app)
    _, body = await readyz(ops_app)
    assert body["checks"] == {"database": "ok", "migrations": "ok", "updates": "ok", "outbox": "ok"}
    assert body["role"] == "active" and body["failed"] == []


def samples(body: str) -> dict[tuple[str, tuple], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(body) for s in family.samples}


async def test_metrics_after_traffic_show_the_counters_and_name_nobody(ops_app, api, database):
    maria = Person(api, ops_app, language_code="ru", first_name="Мария")
    await maria.send("/start")
    await maria.press(maria.screen.button_texts[0])
    await maria.send("Меня зовут Мария Петрова, мой A-номер 212345678, суд в Майами")
    await maria.send_sticker()
    # Telegram fails twice: the transport's one repeat fails too, so the handler raises (and apologises).
    api.fail_next("sendMessage", 500, chat_id=maria.user_id, count=2)
    await maria.send("/help")
    ids = await seed(database, 3)  # reminders due now: the outbox sends them
    api.register_chats(ids, token=api.make_token())
    await eventually(lambda: all(api.bot_messages(i) for i in ids), limit=20)
    from bot.helpdesk.models import CLOSED, OPEN, Ticket

    now = datetime.now(UTC)
    async with database.session() as session:  # one ticket waiting 10 minutes, one answered after 2 minutes
        session.add(Ticket(locale="ru", status=OPEN, created_at=now - timedelta(minutes=10),
                           waiting_since=now - timedelta(minutes=10), last_activity_at=now))
        session.add(Ticket(locale="en", status=CLOSED, created_at=now - timedelta(minutes=2), first_answer_at=now,
                           last_activity_at=now))
        await session.commit()
    await ops_app.ops.refresh_gauges()

    async def scrape():  # the outbox counts a batch once it is settled, a moment after the last send
        response = await get(ops_app, "/metrics")
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
        got = samples(response.text)
        sent = got.get(("navigator_outbox_messages_total", (("kind", "reminders"), ("outcome", "sent"))))
        return (response.text, got) if sent == 3 else None
    body, got = await eventually(scrape, limit=20, interval=0.1)
    assert got[("navigator_updates_total", (("kind", "message"),))] >= 4
    assert got[("navigator_updates_total", (("kind", "callback_query"),))] >= 1
    assert got[("navigator_update_seconds_count", (("kind", "message"),))] >= 4
    assert got[("navigator_errors_total", (("error", "NetworkError"),))] == 1
    assert got[("navigator_bot_api_errors_total", (("code", "500"), ("method", "sendMessage")))] == 2
    assert got[("navigator_bot_api_requests_total", (("method", "sendMessage"),))] >= 5
    assert got[("navigator_bot_api_requests_total", (("method", "getUpdates"),))] >= 1
    assert got[("navigator_outbox_messages_total", (("kind", "reminders"), ("outcome", "sent")))] == 3
    assert got[("navigator_outbox_due", (("kind", "reminders"),))] == 0
    assert got[("navigator_users_with_reminders", ())] == 3
    assert sum(v for (name, _), v in got.items() if name == "navigator_search_answers_total") >= 1
    assert got[("navigator_desk_open_tickets", ())] == 1
    assert got[("navigator_desk_oldest_wait_seconds", ())] >= 600
    assert got[("navigator_desk_first_answer_seconds_count", ())] == 1
    assert got[("navigator_desk_first_answer_seconds_bucket", (("le", "300.0"),))] == 1
    assert got[("navigator_ready", ())] == 1 and got[("navigator_active", ())] == 1
    assert 0 <= got[("navigator_last_poll_age_seconds", ())] < 60

    # Nobody is named: no id, no name, no text; every label value comes from a small fixed vocabulary.
    for secret in (str(maria.user_id), *map(str, ids), "Мария", "Петрова", "212345678", "Майами", "Тест"):
        assert secret not in body
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            for label, value in sample.labels.items():
                if label == "le":
                    continue
                assert re.fullmatch(r"[A-Za-z_]{1,40}|\d{3}", value), (sample.name, label, value)


async def test_metrics_are_off_when_ops_listen_is_empty(app):
    assert app.ops.server is None and app.ops.metrics is None


async def test_readyz_fails_when_migrations_are_behind(ops_app, database):
    from alembic.script import ScriptDirectory

    from bot.migrate import alembic_config

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    older = ScriptDirectory.from_config(alembic_config("sqlite://")).get_revision(head).down_revision
    async with database.session() as session:
        await session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": older})
        await session.commit()
    body = await failing(ops_app, "migrations")
    assert body["checks"]["migrations"].startswith(f"at {older}")
    async with database.session() as session:
        await session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})
        await session.commit()
    await ready_again(ops_app)


async def test_readyz_fails_when_getupdates_stops_answering(ops_app, api):
    await ready_again(ops_app)
    api.fail_next("getUpdates", 502, count=1_000_000)  # Telegram's side is down for us
    body = await failing(ops_app, "updates")
    assert "getUpdates" in body["checks"]["updates"]
    api.clear_faults()
    await ready_again(ops_app)


async def test_readyz_fails_when_a_reminder_is_overdue(ops_app, database):
    [user_id] = await seed(database, 1, due_in=timedelta(days=1))
    now = utcnow()
    async with database.session() as session:  # a claim by a process that hangs: the row is stuck
        await session.execute(update(Reminder).where(Reminder.user_id == user_id).values(
            status=CLAIMED, claim_token="999-abcdef.0123456789ab", claimed_until=now + timedelta(hours=1),
            due_at=now - timedelta(minutes=10), scheduled_for=now - timedelta(minutes=10)))
        await session.commit()
    body = await failing(ops_app, "outbox")
    assert body["checks"]["outbox"] == "1 reminder(s) overdue by more than 5 minutes"
    async with database.session() as session:
        await session.execute(update(Reminder).where(Reminder.user_id == user_id).values(status=SENT))
        await session.commit()
    await ready_again(ops_app)


async def test_readyz_fails_when_the_database_does_not_answer(ops_app, database_url):
    await ready_again(ops_app)
    if BACKEND == "postgresql":
        name = database_url.rsplit("/", 1)[1]
        # Refuse new connections and cut the pool's; the standby lock connection stays (losing it would stop the
        # process, which is another test).
        await _pg_admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        await _pg_admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' "
                        "AND application_name <> 'navigator-standby-lock'")
        try:
            body = await failing(ops_app, "database")
        finally:
            await _pg_admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    else:
        # The file is gone from its path (a volume unmounted, a careless clean-up): pooled connections would go on
        # writing into the unlinked file.
        path = Path(database_url.split("///", 1)[1])
        path.rename(path.with_name("moved.db"))
        try:
            body = await failing(ops_app, "database")
        finally:
            path.with_name("moved.db").rename(path)
    assert body["checks"]["migrations"] == "skipped: database"
    await ready_again(ops_app)


async def test_readyz_fails_after_webhook_delivery_errors(settings, api):
    from bot.app import build_application
    from bot.runner import start_webhook

    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    cfg = ops_settings(settings, webhook_url=url, webhook_secret=SECRET, webhook_host="127.0.0.1", webhook_port=port)
    application = build_application(cfg)  # started the way `python -m bot run` starts it in webhook mode
    await application.initialize()
    await application.post_init(application)
    await application.start()
    server = await start_webhook(application, cfg)
    try:
        api.user_sends(42_100_001, "/start", language_code="en")
        await eventually(lambda: api.bot_messages(42_100_001))
        await ready_again(application)
        # Someone re-registers the webhook with another secret: Telegram's deliveries now get 403.
        async with Bot(settings.token, base_url=api.base_url) as other:
            await other.set_webhook(url, secret_token="another-secret")
        api.user_sends(42_100_001, "/help", language_code="en")
        body = await failing(application, "updates")
        assert body["checks"]["updates"] == "Telegram reports a recent webhook delivery error"
    finally:
        await server.stop()
        await stop_app(application)


async def test_update_confirmation_waits_until_handled(settings, api):
    """With the confirm gate on (UPDATE_CONFIRM_WAIT_S > 0, opt-in), the next getUpdates is sent only once the previous
    batch is handled: nothing is confirmed unanswered. (Stock PTB, our default, asks again at once, confirming the
    /start while its reply is still on the way.)"""
    application = await start_app(with_settings(ops_settings(settings), confirm_wait_s=2.0))
    try:
        person = Person(api, application, language_code="en")
        api.set_delay("sendMessage", 0.5)
        before = len(api.calls)
        update_id = max((int(p.get("offset") or 0) for name, p in api.calls if name == "getUpdates"), default=0)
        await person.send("/start")

        def confirming_polls() -> list[int]:
            return [i for i, (name, params) in enumerate(api.calls[before:])
                    if name == "getUpdates" and int(params.get("offset") or 0) > update_id]
        polls = await eventually(confirming_polls)
        sends = [i for i, (name, _) in enumerate(api.calls[before:]) if name == "sendMessage"]
        assert sends and polls[0] > sends[0], "the update was confirmed before its reply was sent"
    finally:
        await stop_app(application)


async def test_the_docker_health_probe(ops_app):
    import asyncio
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    def probe(path: str, listen: str) -> int:
        return subprocess.run([sys.executable, "-m", "bot.ops.probe", path], cwd=ROOT, capture_output=True,
                              env={**os.environ, "OPS_LISTEN": listen}, timeout=30).returncode

    port = ops_app.ops.server.port
    assert await asyncio.to_thread(probe, "healthz", f"0.0.0.0:{port}") == 0
    await ready_again(ops_app)
    assert await asyncio.to_thread(probe, "readyz", f"127.0.0.1:{port}") == 0
    assert await asyncio.to_thread(probe, "healthz", f"127.0.0.1:{free_port()}") == 1  # nothing listening
