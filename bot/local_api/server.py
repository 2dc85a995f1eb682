"""The HTTP side of the local Bot API: an aiohttp server that answers ``/bot<token>/<method>`` like
api.telegram.org, dispatching to the method implementations in :mod:`bot.local_api.methods`.

The bot talks to it over real HTTP exactly as it talks to Telegram (PTB ``base_url=api.base_url``).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from typing import Any

import aiohttp
from aiohttp import web

from .methods import METHODS  # importing the package registers every method family
from .state import World
from .validation import TOKEN_RE, ApiError, bad, decode_json_params

__all__ = ["BotApiServer"]

log = logging.getLogger(__name__)


class BotApiServer:
    """Serves the Bot API over HTTP on ``host:port`` (0 picks a free port) from one shared :class:`World`."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, bot_username: str = "asylum_navigator_bot"
    ) -> None:
        self.host, self.port, self.bot_username = host, port, bot_username
        self.world = World(bot_username)
        self.calls: list[tuple[str, dict]] = self.world.calls  # every request: (method name, parameters)
        self._runner: web.AppRunner | None = None

    # -- lifecycle -----------------------------------------------------------------------------------------
    async def start(self) -> BotApiServer:
        if self.host not in ("127.0.0.1", "localhost", "::1"):
            log.warning("local Bot API listening on non-loopback host %s", self.host)
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        world = self.world
        world.closing = False
        world.changed = asyncio.Event()
        for bot in world.bots.values():  # events bind to the first loop that waits on them
            bot.update_event = asyncio.Event()
        world.session = aiohttp.ClientSession()
        return self

    async def stop(self) -> None:
        world = self.world
        world.closing = True
        for bot in world.bots.values():
            bot.update_event.set()  # release long polls so shutdown is immediate
            if bot.webhook_task:
                bot.webhook_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await bot.webhook_task
                bot.webhook_task = None
        if world.session:
            await world.session.close()
            world.session = None
        if self._runner:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Any:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        return self.url + "/bot"

    @staticmethod
    def make_token(bot_id: int = 123456) -> str:
        return f"{bot_id}:AA" + hashlib.sha256(str(bot_id).encode()).hexdigest()[:33]

    # -- HTTP layer ----------------------------------------------------------------------------------------
    @staticmethod
    def _reply(result: Any = None, error: ApiError | None = None) -> web.Response:
        if error is None:
            return web.json_response({"ok": True, "result": result})
        body: dict[str, Any] = {"ok": False, "error_code": error.code, "description": error.description}
        if error.retry_after is not None:
            body["parameters"] = {"retry_after": error.retry_after}
        return web.json_response(body, status=error.code)

    async def _not_found(self, request: web.Request) -> web.Response:
        return self._reply(error=ApiError(404, "Not Found"))

    async def _handle(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        if not TOKEN_RE.match(token):
            return self._reply(error=ApiError(401, "Unauthorized"))
        entry = METHODS.get(request.match_info["method"].lower())
        if entry is None:
            return self._reply(error=ApiError(404, "Not Found"))
        name, handler = entry
        world = self.world
        try:
            params = await self._read_params(request)
            bot = world.bot(token)
            world.calls.append((name, params))
            if world.delays.get(name.lower()):
                await asyncio.sleep(world.delays[name.lower()])
            self._apply_fault(name, params)
            result = await handler(world, bot, params)
            world.success[name.lower()] += 1
            return self._reply(result)
        except ApiError as exc:
            return self._reply(error=exc)
        except ConnectionResetError:  # the client went away mid-request (a bot shutting down): nothing to answer
            return web.Response(status=499)
        finally:
            world.notify()

    @staticmethod
    async def _read_params(request: web.Request) -> dict:
        params: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    raise bad("can't parse JSON body") from None
                if not isinstance(body, dict):
                    raise bad("JSON body must be an object")
                params.update(body)
            elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                for key, value in (await request.post()).items():
                    params[key] = value.filename if isinstance(value, web.FileField) else value
        return decode_json_params(params)

    def _apply_fault(self, name: str, params: dict) -> None:
        world = self.world
        chat = params.get("chat_id")
        for fault in world.faults:
            if fault.method != name.lower() or fault.count <= 0:
                continue
            if fault.chat_id is not None and str(chat) != str(fault.chat_id):
                continue
            fault.count -= 1
            world.faults = [f for f in world.faults if f.count > 0]
            raise ApiError(fault.status, fault.description, fault.retry_after)


