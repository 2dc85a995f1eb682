"""The webhook endpoint Telegram posts updates to (``WEBHOOK_URL``), hardened against hostile requests.

PTB's built-in server (tornado) reads a whole request body into memory before it looks at anything: ten 95 MB
POSTs without the secret took a bot from 96 MB to over 1 GB. This one looks at the headers first:

* a missing or wrong ``X-Telegram-Bot-Api-Secret-Token`` is answered 403 before a byte of the body is read;
* a declared body over :data:`MAX_BODY` is answered 413 at once, and a chunked one is cut off at that size;
* anything that is not a JSON update is 400, and its contents are never logged (they hold names and text).

Updates go to ``application.update_queue``, exactly where PTB's own updater puts them.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass

from aiohttp import web
from telegram import Update
from telegram.ext import Application, ExtBot

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # Telegram's updates are a few kilobytes; 1 MB is generous
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass
class WebhookServer:
    application: Application
    host: str
    port: int
    path: str
    secret: str
    _runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post("/" + self.path.strip("/"), self._handle)
        # No access log: a request line is harmless, but the log is kept to ids and counts on principle.
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _secret_ok(self, request: web.Request) -> bool:
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "replace")
        return hmac.compare_digest(given, self.secret.encode())

    async def _handle(self, request: web.Request) -> web.Response:
        if not self._secret_ok(request):
            return web.Response(status=403)  # the body is never read
        if request.content_length is not None and request.content_length > MAX_BODY:
            return web.Response(status=413)
        if request.content_type != "application/json":
            return web.Response(status=415)
        try:
            data = await request.json()  # stops with 413 at client_max_size, chunked bodies included
        except web.HTTPRequestEntityTooLarge:
            return web.Response(status=413)
        except ValueError:
            return web.Response(status=400)
        bot = self.application.bot
        try:
            update = Update.de_json(data, bot) if isinstance(data, dict) else None
        except Exception as exc:  # a malformed update: say so by class only, never by content
            log.warning("webhook: an update could not be read (%s)", type(exc).__name__)
            update = None
        if update is None:
            return web.Response(status=400)
        if isinstance(bot, ExtBot):
            bot.insert_callback_data(update)
        await self.application.update_queue.put(update)
        return web.Response(status=200)
