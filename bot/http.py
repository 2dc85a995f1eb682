"""The bot's replies reach the Bot API through aiohttp, a :class:`~telegram.request.BaseRequest` of our own.

Why not PTB's default (httpx): profiling a burst of /start and button presses showed httpx's connection pool as the
largest cost we add over a bare bot. For every request it looks at each pooled connection (idle ones with a
``poll`` system call, and some checks once per connection *per* connection), so the cost grows with the pool, and
form-encoding a Russian text percent-escapes every byte. aiohttp hands out a kept-alive connection in constant time,
and the parameters go as one JSON body, as Telegram accepts them. PTB's own layers are unchanged: it builds the
request data and turns status codes into ``RetryAfter``, ``Forbidden`` and so on from what this returns.

Errors are mapped as PTB's ``HTTPXRequest`` maps them: a timeout (including waiting for a free connection) is
``TimedOut``, anything else on the wire is ``NetworkError`` naming the aiohttp error class (``ClientConnectorError``
for a connection that could not be opened). getUpdates keeps PTB's httpx transport: one long poll at a time.
"""

from __future__ import annotations

import json
import re
from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

CONNECTIONS = 8  # kept-alive connections to the Bot API for the bot's requests (see bot.updates: as many slots)
_TOKEN_RE = re.compile(r"bot\d+:[A-Za-z0-9_-]+")
KEEPALIVE_S = 15.0  # aiohttp's default: under the idle timeouts of common HTTP servers


class AiohttpRequest(BaseRequest):
    """PTB's request interface over one :class:`aiohttp.ClientSession` (created in ``initialize``)."""

    def __init__(self, connection_pool_size: int = CONNECTIONS, read_timeout: float | None = 5.0,
                 write_timeout: float | None = 5.0, connect_timeout: float | None = 5.0,
                 pool_timeout: float | None = 10.0, media_write_timeout: float | None = 20.0) -> None:
        self._pool_size = connection_pool_size
        self._timeouts = {"read": read_timeout, "write": write_timeout, "connect": connect_timeout,
                          "pool": pool_timeout, "media_write": media_write_timeout}
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._timeouts["read"]

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, keepalive_timeout=KEEPALIVE_S,
                                             enable_cleanup_closed=False, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": self.USER_AGENT}, skip_auto_headers=("Accept-Encoding",),
                json_serialize=json.dumps)

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    def _timeout(self, read: Any, write: Any, connect: Any, pool: Any, media: bool) -> aiohttp.ClientTimeout:
        def pick(value: Any, name: str) -> float | None:
            return self._timeouts[name] if value is BaseRequest.DEFAULT_NONE else value

        connect_s, pool_s = pick(connect, "connect"), pick(pool, "pool")
        read_s = pick(read, "read")
        write_s = pick(write, "media_write" if media else "write")
        # aiohttp's ``connect`` covers waiting for a pooled connection *and* opening one; ``sock_connect`` only the
        # latter. It has no write timeout of its own: the body is small, so the read timeout bounds the exchange,
        # plus the write timeout for uploads.
        waiting = None if connect_s is None or pool_s is None else connect_s + pool_s
        sock_read = read_s if not media or read_s is None or write_s is None else read_s + write_s
        return aiohttp.ClientTimeout(total=None, connect=waiting, sock_connect=connect_s, sock_read=sock_read)

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: Any = BaseRequest.DEFAULT_NONE, write_timeout: Any = BaseRequest.DEFAULT_NONE,
                         connect_timeout: Any = BaseRequest.DEFAULT_NONE,
                         pool_timeout: Any = BaseRequest.DEFAULT_NONE) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        kwargs: dict[str, Any] = {}
        if files:
            form = aiohttp.FormData(quote_fields=False)
            for name, value in request_data.json_parameters.items():
                form.add_field(name, value)
            for name, part in files.items():
                filename, content, *rest = part
                content_type = rest[0] if rest else None
                form.add_field(name, content, filename=filename, content_type=content_type)
            kwargs["data"] = form
        elif request_data is not None and request_data.parameters:
            kwargs["data"] = request_data.json_payload
            kwargs["headers"] = {"Content-Type": "application/json"}
        timeout = self._timeout(read_timeout, write_timeout, connect_timeout, pool_timeout, bool(files))
        try:
            async with self._session.request(method, url, timeout=timeout, **kwargs) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            # Some aiohttp errors quote the URL, which holds the token: never let it into a message or a log.
            detail = _TOKEN_RE.sub("bot<token>", str(exc).replace(url, "<Bot API URL>"))
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {detail}") from exc
