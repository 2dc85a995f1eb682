"""Webhook mode: Telegram's secret token header is checked; a wrong or missing one gets 403."""

from __future__ import annotations

import socket

import httpx

from tests.helpers import eventually

SECRET = "s3cret-token_for-webhook"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def update_json(update_id: int, user_id: int, text: str) -> dict:
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": 1_800_000_000, "text": text,
        "chat": {"id": user_id, "type": "private", "first_name": "W"},
        "from": {"id": user_id, "is_bot": False, "first_name": "W", "language_code": "en"},
        "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]}}


async def test_webhook_checks_the_secret_token(settings, api):
    from telegram import Update

    from tests.conftest import stop_app, with_settings

    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    cfg = with_settings(settings, webhook_url=url, webhook_secret=SECRET)
    from bot.app import build_application

    application = build_application(cfg)
    await application.initialize()
    await application.post_init(application)
    await application.start()
    await application.updater.start_webhook(listen="127.0.0.1", port=port, url_path="hook", webhook_url=url,
                                            secret_token=SECRET, allowed_updates=Update.ALL_TYPES)
    try:
        api.user_sends(42_000_001, "/start", language_code="en")  # Telegram knows the chat
        async with httpx.AsyncClient() as client:
            missing = await client.post(url, json=update_json(9001, 42_000_001, "/help"))
            wrong = await client.post(url, json=update_json(9002, 42_000_001, "/help"),
                                      headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"})
            assert (missing.status_code, wrong.status_code) == (403, 403)
            right = await client.post(url, json=update_json(9003, 42_000_001, "/help"),
                                      headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
            assert right.status_code == 200
        await eventually(lambda: any("How to use the bot" in m.text for m in api.bot_messages(42_000_001)))
        assert sum("How to use the bot" in m.text for m in api.bot_messages(42_000_001)) == 1
    finally:
        await stop_app(application)
