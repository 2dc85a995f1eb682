"""Prometheus metrics: one registry per process (fed by ``bot.ops.transport`` and the Application's hooks).

Labels hold only values from small fixed sets — update kinds, Bot API method names, HTTP codes, exception class
names, outbox kinds and outcomes. Never a user or chat id, never any text: a metric that named a person would be
a leak to whoever can read the monitoring.
"""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from telegram import Update

# Update kinds in the order they are looked for; the common ones first (every update has exactly one).
UPDATE_KINDS = ("message", "callback_query", *(k for k in Update.ALL_TYPES if k not in ("message", "callback_query")))
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def update_kind(update: object) -> str:
    if not isinstance(update, Update):
        return "other"
    for kind in UPDATE_KINDS:
        if getattr(update, kind, None) is not None:
            return kind
    return "unknown"


class Metrics:
    """Every metric the bot exports, on its own registry (so tests can run many bots in one process)."""

    def __init__(self) -> None:
        r = self.registry = CollectorRegistry(auto_describe=True)
        self.updates = Counter("navigator_updates", "Updates handled, by kind", ["kind"], registry=r)
        self.update_seconds = Histogram("navigator_update_seconds", "Time to handle one update, by kind",
                                        ["kind"], buckets=LATENCY_BUCKETS, registry=r)
        self.errors = Counter("navigator_errors", "Exceptions raised in handlers and jobs, by class",
                              ["error"], registry=r)
        self.bot_api_requests = Counter("navigator_bot_api_requests", "Bot API requests, by method",
                                        ["method"], registry=r)
        self.bot_api_errors = Counter("navigator_bot_api_errors",
                                      "Bot API errors by method and HTTP code ('network', 'timeout' without one)",
                                      ["method", "code"], registry=r)
        self.outbox = Counter("navigator_outbox_messages",
                              "Outbox rows settled, by kind (the feed: reminders, broadcasts) and outcome "
                              "(sent, late — also counted in sent —, failed, blocked, retried, skipped)", ["kind", "outcome"], registry=r)
        self.outbox_due = Gauge("navigator_outbox_due", "Outbox rows due and not yet sent, by kind", ["kind"],
                                registry=r)
        self.outbox_overdue = Gauge("navigator_outbox_overdue",
                                    "Outbox rows due more than 5 minutes ago and not yet sent, by kind", ["kind"],
                                    registry=r)
        self.users_with_reminders = Gauge("navigator_users_with_reminders",
                                          "People with at least one active reminder subscription", registry=r)
        # Search bands (``Search.on_result``) and the help desk (read from its table, see ``health.DeskWatch``).
        self.search_answers = Counter("navigator_search_answers",
                                      "Free-text questions, by the band of the answer (confident, unsure, none)",
                                      ["band"], registry=r)
        self.desk_open_tickets = Gauge("navigator_desk_open_tickets", "Help-desk tickets not yet answered",
                                       registry=r)
        self.desk_oldest_wait_seconds = Gauge("navigator_desk_oldest_wait_seconds",
                                              "How long the longest-waiting open ticket has waited for an answer",
                                              registry=r)
        self.desk_first_answer_seconds = Histogram(
            "navigator_desk_first_answer_seconds", "Time from a ticket to its first volunteer answer",
            buckets=(60, 300, 900, 1800, 3600, 3 * 3600, 12 * 3600, 86400, 3 * 86400), registry=r)
        self.ready = Gauge("navigator_ready", "1 when /readyz passes (refreshed every few seconds)", registry=r)
        self.active = Gauge("navigator_active", "1 while this process is the active one (not a standby)",
                            registry=r)
        self.takeovers = Counter("navigator_standby_takeovers", "Times this process became active after waiting "
                                 "as a standby", registry=r)
        self.confirm_waits_expired = Counter("navigator_confirm_waits_expired",
                                             "getUpdates calls that confirmed updates still being handled, because "
                                             "handling took longer than UPDATE_CONFIRM_WAIT_S", registry=r)
        self.in_flight = Gauge("navigator_updates_in_flight", "Updates fetched and not yet handled", registry=r)
        self.last_poll_age = Gauge("navigator_last_poll_age_seconds",
                                   "Seconds since getUpdates last answered (polling mode)", registry=r)
        self._children: dict[str, tuple] = {}

    def watch_polling(self, last_poll) -> None:
        """``last_poll()``: time.monotonic() of the last answered getUpdates, or None (then the age is -1)."""
        self.last_poll_age.set_function(lambda: -1.0 if last_poll() is None else time.monotonic() - last_poll())

    # -- per update: two label look-ups cached per kind, so the cost is two additions -------------------------
    def observe_update(self, update: object, seconds: float) -> None:
        kind = update_kind(update)
        children = self._children.get(kind)
        if children is None:
            children = self._children[kind] = (self.updates.labels(kind), self.update_seconds.labels(kind))
        children[0].inc()
        children[1].observe(seconds)

    def observe_error(self, error: BaseException) -> None:
        self.errors.labels(type(error).__name__).inc()

    def observe_outbox(self, kind: str, outcome: str, count: int = 1) -> None:
        if count:
            self.outbox.labels(kind, outcome).inc(count)

    def exposition(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
