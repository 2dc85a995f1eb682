"""The Bot API transport every bot of the process uses: counts requests and errors, and gates getUpdates."""

from __future__ import annotations

import re

from telegram.error import TimedOut
from telegram.request import BaseRequest, HTTPXRequest

from bot.http import AiohttpRequest
from bot.ops.confirm import ConfirmGate
from bot.ops.metrics import Metrics

_METHOD_RE = re.compile(r"^[A-Za-z]{1,40}$")


def _method(url: str, http_method: str) -> str:
    if http_method != "POST":
        return "download"  # file downloads: the path after the token names the file, so it is not a label
    name = url.rsplit("/", 1)[-1]
    return name if _METHOD_RE.match(name) else "other"


class Metered:
    """Counts every Bot API call and error by method and code, on top of a transport (httpx or aiohttp).

    The ``getUpdates`` transport also runs the :class:`ConfirmGate` and notes when polling last got an answer.
    Bots that talk to Telegram on the bot's behalf (the application's, the outbox's) all use this class, so the
    figures cover every request the process makes.
    """

    def __init__(self, metrics: Metrics | None, gate: ConfirmGate | None = None, **kwargs) -> None:
        super().__init__(**kwargs)  # the transport's own settings
        self.metrics = metrics
        self.gate = gate
        self._counted: dict[str, object] = {}  # method -> its requests counter (a label look-up costs more)

    async def do_request(self, url, method, request_data=None, *args, **kwargs) -> tuple[int, bytes]:
        endpoint = _method(url, method)
        polling = self.gate is not None and endpoint == "getUpdates"
        if polling:
            await self.gate.before_poll()
        try:
            code, payload = await super().do_request(url, method, request_data, *args, **kwargs)  # type: ignore[misc]
        except Exception as exc:
            if self.metrics:
                self.metrics.bot_api_requests.labels(endpoint).inc()
                self.metrics.bot_api_errors.labels(endpoint, "timeout" if isinstance(exc, TimedOut)
                                                   else "network").inc()
            raise
        if self.metrics:
            counter = self._counted.get(endpoint)
            if counter is None:
                counter = self._counted[endpoint] = self.metrics.bot_api_requests.labels(endpoint)
            counter.inc()
            if code >= 400:
                self.metrics.bot_api_errors.labels(endpoint, str(code)).inc()
        if polling and code < 300:
            self.gate.polled(payload)
        return code, payload


_TRANSPORTS = (HTTPXRequest, AiohttpRequest)
_combined: dict[type, type] = {}


def metered(base: type[BaseRequest]) -> type[Metered]:
    """``base``'s behaviour on top of its transport, metered: each ``super().do_request`` call of ``base`` (every
    attempt a retrying class makes) is counted."""
    if issubclass(base, Metered):
        return base
    transport = next(cls for cls in base.__mro__ if cls in _TRANSPORTS)
    if transport not in _combined:
        _combined[transport] = type(f"Metered{transport.__name__}", (Metered, transport), {})
    if base is transport:
        return _combined[transport]
    if base not in _combined:
        _combined[base] = type(f"Metered{base.__name__}", (base, _combined[transport]), {})
    return _combined[base]
