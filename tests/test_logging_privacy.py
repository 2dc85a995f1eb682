"""No names, usernames, message texts or the token in the logs, at any level, PTB's and httpx's included."""

from __future__ import annotations

import io
import logging

from bot.logs import redact, setup_logging
from tests.helpers import Person


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
