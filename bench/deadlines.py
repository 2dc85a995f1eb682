"""Deadlines: what counting and explaining a deadline adds to one reminder message, against a hearing reminder
(the baseline) in the same run.

For each deadline kind: ``deadlines.compute`` alone (rules, weekends, federal holidays), and ``messages.render``
of one reminder row (the text the outbox sends: the count, its rule, what to do now), in Russian, next to
``messages.render`` of a hearing reminder. In memory, no database, no network: this is the per-message CPU the
outbox pays. Start dates are spread over four years so the holiday tables of every year are hit.

    python -m bench.deadlines [--rounds 2000]
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, date, datetime, timedelta

from bench import command_line, fmt, print_table
from bot.models import User
from bot.reminders import deadlines, messages
from bot.reminders.models import LEAD, Reminder, Subscription

STARTS = [date(2025, 1, 1) + timedelta(days=d) for d in range(0, 4 * 365, 7)]


def subscription(kind: str, start: date) -> Subscription:
    if deadlines.is_deadline(kind):
        deadline = deadlines.compute(kind, start, 60 if kind == "vd" else None)
        return Subscription(id=1, kind=kind, event_at=deadlines.event_at(deadline), tz=deadlines.DEADLINE_TZ,
                            decision_on=start, label=None, locale="ru", leads=["1d"], court_id=None)
    event = datetime.combine(start, datetime.min.time(), tzinfo=UTC) + timedelta(hours=14)
    return Subscription(id=1, kind=kind, event_at=event, tz="America/New_York", decision_on=None, label=None,
                        locale="ru", leads=["1d"], court_id="krome")


def per_call_us(fn, rounds: int) -> float:
    for start in STARTS:  # warm: holiday tables, translations, Babel's locale data
        fn(start)
    started = time.perf_counter()
    for i in range(rounds):
        fn(STARTS[i % len(STARTS)])
    return (time.perf_counter() - started) / rounds * 1e6


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.deadlines", description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=2000, help="calls per figure")
    args = p.parse_args()
    user = User(id=1, locale="ru", timezone="Europe/Moscow")
    now = datetime(2024, 12, 1, tzinfo=UTC)

    def render(kind: str, lead: str = LEAD):
        row = Reminder(kind=LEAD, lead=lead)
        return lambda start: messages.render(row, subscription(kind, start), user, now, False)

    baseline = per_call_us(render("master"), args.rounds)
    rows = [["hearing (baseline)", "—", fmt(baseline), "100%"]]
    for kind in deadlines.DEADLINE_KINDS:
        amount = 60 if kind == "vd" else None
        compute = per_call_us(lambda start, k=kind, a=amount: deadlines.compute(k, start, a), args.rounds)
        rendered = per_call_us(render(kind), args.rounds)
        rows.append([kind, fmt(compute), fmt(rendered), f"{rendered / baseline:.0%}"])
    bond = per_call_us(render("vd", "bond"), args.rounds)
    rows.append(["vd (bond reminder)", "—", fmt(bond), f"{bond / baseline:.0%}"])
    print_table(f"Deadline reminders, µs per call ({args.rounds} calls each, ru)",
                ["kind", "compute", "render", "render vs hearing"], rows)
    print(command_line("bench.deadlines"))


if __name__ == "__main__":
    main()
