"""Webhook mode: Telegram's secret token header is checked; a wrong or missing one gets 403 before the body is
read, and a body over 1 MB gets 413 — so nobody can make the bot buffer hundreds of megabytes."""

from __future__ import annotations

import asyncio
import contextlib
import socket

import httpx
import pytest

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


@pytest.fixture
async def webhook(settings):
    """The bot in webhook mode, started the way `python -m bot run` starts it; yields (url, port)."""
    from bot.app import build_application
    from bot.runner import start_webhook
    from tests.conftest import stop_app, with_settings

    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    cfg = with_settings(settings, webhook_url=url, webhook_secret=SECRET, webhook_host="127.0.0.1",
                        webhook_port=port)
    application = build_application(cfg)
    await application.initialize()
    await application.post_init(application)
    await application.start()
    server = await start_webhook(application, cfg)
    try:
        yield url, port
    finally:
        await server.stop()
        await stop_app(application)


async def test_webhook_checks_the_secret_token(webhook, api):
    url, _port = webhook
    if True:
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


BIG = 100 * 1024 * 1024


async def raw_post(port: int, headers: dict[str, str], chunks) -> int:
    """POST over a raw socket: send the headers and whatever ``chunks`` yields, then read the status line. The
    server must answer without waiting for the rest of a body that is never sent."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        head = "".join(f"{k}: {v}\r\n" for k, v in {"Host": "127.0.0.1", **headers}.items())
        writer.write(f"POST /hook HTTP/1.1\r\n{head}\r\n".encode())
        with contextlib.suppress(ConnectionError):
            for chunk in chunks:
                writer.write(chunk)
                await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 10)  # a generous bound; the answer is immediate
        return int(status_line.split()[1])
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


@pytest.mark.parametrize(("secret", "expected"), [(None, 403), ("wrong", 403), (SECRET, 413)])
async def test_a_huge_body_is_refused_before_it_is_read(webhook, secret, expected):
    _url, port = webhook
    headers = {"Content-Type": "application/json", "Content-Length": str(BIG)}
    if secret:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    # 64 KB of a declared 100 MB: a server that buffers the body before checking anything never answers.
    assert await raw_post(port, headers, [b"{" + b" " * 65535]) == expected


async def test_a_chunked_body_is_cut_off_at_one_megabyte(webhook, api):
    url, port = webhook
    headers = {"Content-Type": "application/json", "Transfer-Encoding": "chunked",
               "X-Telegram-Bot-Api-Secret-Token": SECRET}
    piece = b" " * 65536
    chunks = [f"{len(piece):x}\r\n".encode() + piece + b"\r\n" for _ in range(20)]  # 1.25 MB, never finished
    assert await raw_post(port, headers, chunks) == 413
    # The endpoint still serves Telegram afterwards.
    api.user_sends(42_000_002, "/start", language_code="en")
    async with httpx.AsyncClient() as client:
        ok = await client.post(url, json=update_json(9100, 42_000_002, "/help"),
                               headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert ok.status_code == 200
    await eventually(lambda: any("How to use the bot" in m.text for m in api.bot_messages(42_000_002)))


async def test_garbage_with_the_secret_is_400_and_not_logged(webhook, caplog):
    url, _port = webhook
    async with httpx.AsyncClient() as client:
        bad = await client.post(url, content=b'{"update_id": "Xylophone-Name", "message": 5}',
                                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET,
                                         "Content-Type": "application/json"})
        not_json = await client.post(url, content=b"Xylophone-Name",
                                     headers={"X-Telegram-Bot-Api-Secret-Token": SECRET,
                                              "Content-Type": "application/json"})
    assert (bad.status_code, not_json.status_code) == (400, 400)
    assert "Xylophone" not in "\n".join(r.getMessage() for r in caplog.records)
