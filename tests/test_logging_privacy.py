"""No names, usernames, message texts or the token in the logs, at any level, PTB's and httpx's included."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import sqlite3

from sqlalchemy.engine import make_url

from bot.logs import redact, setup_logging
from tests.conftest import start_app, stop_app, with_settings
from tests.helpers import Person, eventually


async def test_a_distinctive_name_and_text_never_reach_the_logs(make_person, api, app, caplog):
    stream = io.StringIO()
    handler = setup_logging("DEBUG", stream=stream)
    caplog.set_level(logging.DEBUG)
    try:
        person: Person = make_person("ru", first_name="Zebulon-Quixotic")
        person_username = "zebulon_quixotic_42"
        await person._handled(lambda: api.user_sends(person.user_id, "My secret case Xylophone-4242",
                                                     language_code="ru", first_name="Zebulon-Quixotic",
                                                     username=person_username))
        await person.send("/start")
        await person.send("/help")
        api.fail_next("sendMessage", 500, description="Internal Server Error", count=2)  # the retry fails too
        await person.send("another secret Xylophone-4242")  # the error path logs too
    finally:
        logging.getLogger().removeHandler(handler)
    logged = stream.getvalue() + "\n".join(r.getMessage() for r in caplog.records)
    assert "error while handling" in logged  # the logs did capture the error path
    for secret in ("Zebulon", "Quixotic", "zebulon_quixotic_42", "Xylophone", app.bot.token.split(":")[1]):
        assert secret not in logged, secret


def test_tokens_are_redacted():
    assert redact("POST https://api.telegram.org/bot123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdef/getMe") == \
        "POST https://api.telegram.org/bot<token>/getMe"


LABEL = "Xylo-Mama"


@contextlib.asynccontextmanager
async def writes_refused(database_url: str):
    """Another connection holds the write lock, so the bot's next write fails (SQLite: "database is locked"
    after the busy timeout; PostgreSQL: the waiting statement is cancelled, as a statement_timeout would)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        holder = sqlite3.connect(url.database, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            yield None
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    import asyncpg

    holder = await asyncpg.connect(host=url.host or "127.0.0.1", port=url.port or 5432, user=url.username,
                                   password=url.password, database=url.database)
    transaction = holder.transaction()
    await transaction.start()
    await holder.execute("LOCK TABLE subscriptions IN EXCLUSIVE MODE")  # reads go on, writes wait

    async def cancel_waiting_writers() -> None:
        while True:
            pids = await holder.fetch("SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                      "AND datname = current_database() AND pid <> pg_backend_pid()")
            for row in pids:
                await holder.execute("SELECT pg_cancel_backend($1)", row["pid"])
            await asyncio.sleep(0.05)

    canceller = asyncio.create_task(cancel_waiting_writers())
    try:
        yield None
    finally:
        canceller.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await canceller
        await transaction.rollback()
        await holder.close()


async def test_a_failed_write_logs_neither_the_label_nor_the_court(api, settings, database_url):
    from tests.test_reminders_e2e import NEXT_YEAR, fill_hearing_form, tap

    if database_url.startswith("sqlite"):
        settings = with_settings(settings, database_url=database_url + "?timeout=0.3")  # a short busy wait
    stream = io.StringIO()
    handler = setup_logging("DEBUG", stream=stream)
    app = await start_app(settings)
    try:
        person = Person(api, app, language_code="en")
        # A first reminder stores the person's row and time zone; the second writes only its own row.
        await fill_hearing_form(person, date_text=f"3.12.{NEXT_YEAR}", label="Ok", zone=":my:0")
        await tap(person, ":ok")
        await fill_hearing_form(person, date_text=f"4.12.{NEXT_YEAR}", label=LABEL, zone=None)
        async with writes_refused(database_url):
            await tap(person, ":ok")
        assert "something went wrong" in person.screen.text  # the write did fail
    finally:
        await stop_app(app)
        logging.getLogger().removeHandler(handler)
    logged = stream.getvalue()
    assert "INSERT INTO subscriptions" in logged  # the failure was logged, with its SQL…
    for value in (LABEL, "krome", "America/New_York"):  # …but none of its values
        assert value not in logged, value


async def test_an_update_the_bot_cannot_read_is_not_printed_in_the_log(api, app):
    stream = io.StringIO()
    handler = setup_logging("DEBUG", stream=stream)
    try:
        bad = {"message_id": 1, "date": "not-a-date", "text": "my secret case Xylophone-4242",
               "chat": {"id": 42, "type": "private", "first_name": "Zebulon"},
               "from": {"id": 42, "is_bot": False, "first_name": "Zebulon", "username": "zebulon_q"}}
        api.inject_raw_update("message", bad)
        await eventually(lambda: "Error while parsing updates" in stream.getvalue(), limit=15)
    finally:
        api.drop_pending_updates()
        logging.getLogger().removeHandler(handler)
    logged = stream.getvalue()
    for secret in ("Xylophone", "Zebulon", "zebulon_q"):
        assert secret not in logged, secret
