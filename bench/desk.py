"""The help desk's costs: how fast a question and a follow-up are taken and reach the volunteers' forum, and how
long a volunteer's reply takes to reach the person, against the bot's own free-text search reply as the baseline
measured in the same run.

N people (half Russian, half English) each: type a search text (the baseline: a text → its reply), open a ticket
through /ask (question → the confirmation; question → the topic's first post in the forum), send a follow-up (text
→ the confirmation; text → the post in the topic). Then a volunteer answers every ticket (post → the person has the
reply; post → the 👍 on the volunteer's message); that path goes through the outbox, so it is bounded by its poll
interval (``--interval``, production default 5 s). Finally every person sends one more follow-up at the same time,
to show the throughput of the follow-up path. Also printed: Bot API requests to the staff group per ticket.

    python -m bench.desk [--people 60] [--interval 1.0] [--database-url …]
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

from bench import (
    Handled,
    command_line,
    describe_url,
    fmt,
    parser,
    percentile,
    prepare,
    print_table,
    quiet_logging,
    scratch_database,
    start_app,
    stop_app,
)
from bot.app import build_application
from bot.config import Settings
from bot.db import Database
from bot.local_api import LocalBotApi
from bot.moderation import service as moderation

MODULE = "bench.desk"
OWNER, VOLUNTEER = 930_001, 930_002
FIRST_PERSON = 310_000_001
WAIT = 30.0
QUESTIONS = {
    "ru": "Брата перевели в другой детеншн, как узнать куда? Вопрос {n}",
    "en": "My brother was moved to another detention centre, how do I find where? Question {n}",
}


def row(name: str, values: list[float]) -> list[str]:
    ms = [v * 1000 for v in values]
    return [name, str(len(ms)), fmt(percentile(ms, 50)), fmt(percentile(ms, 95)), fmt(max(ms) if ms else float("nan"))]


async def timed(api: LocalBotApi, act, done) -> float:
    started = time.perf_counter()
    act()
    await api.wait_for(done, WAIT)
    return time.perf_counter() - started


async def run(people: int, interval: float, database_url: str | None) -> None:
    async with scratch_database(database_url) as url, LocalBotApi(bot_username="navigator_bench_bot") as api:
        await prepare(url)
        token = api.make_token(940_001)
        forum = api.create_group("Volunteers", owner_id=OWNER)
        api.add_member(forum, VOLUNTEER, first_name="Volunteer")
        api.add_bot(forum, by=OWNER, admin=True, token=token)
        database = Database(url)
        async with database.session() as session:
            await moderation.add_moderator(session, VOLUNTEER, added_by=OWNER)
        await database.dispose()
        settings = replace(Settings(token=token), database_url=url, api_url=api.url, helpdesk_chat_id=forum,
                           dispatch_interval=interval)
        application = build_application(settings)
        handled = Handled(application)
        await start_app(application)
        try:
            await handled.wait(2, WAIT)  # the bot's own "added to the group" updates
            figures = await measure(api, forum, people, handled)
        finally:
            await stop_app(application)
        requests = [name for name, _ in api.chat_requests(forum)]
        print_table(f"Help desk, {people} people, outbox interval {interval:g} s ({describe_url(url)})",
                    ["step", "n", "p50 ms", "p95 ms", "max ms"], figures)
        print(f"\nBot API requests naming the staff group: {len(requests)} for {people} tickets "
              f"({len(requests) / people:.1f} per ticket: topic, first post, follow-ups, 👍)")
        print(f"\n{command_line(MODULE)}")


async def measure(api: LocalBotApi, forum: int, people: int, handled: Handled) -> list[list[str]]:
    ids = [FIRST_PERSON + i for i in range(people)]
    lang = {uid: ("ru" if i % 2 == 0 else "en") for i, uid in enumerate(ids)}
    count = lambda chat: len(api.bot_messages(chat))  # noqa: E731
    group_posts = lambda: len(api.bot_messages(forum))  # noqa: E731
    search, asked, in_forum, follow, follow_forum, delivered, acked, wave = ([] for _ in range(8))
    sent = handled.count  # updates sent so far; before each step the previous ones are fully handled

    async def settled() -> None:
        await handled.wait(sent, WAIT)

    for n, uid in enumerate(ids, start=1):
        await settled()
        before = count(uid)
        search.append(await timed(api, lambda u=uid: api.user_sends(u, "залог bond", language_code=lang[u]),
                                  lambda u=uid, b=before: count(u) > b))
        sent += 1
        await settled()  # the whole search reply is out before /ask
        api.user_sends(uid, "/ask", language_code=lang[uid])
        sent += 1
        await settled()
        consent = api.bot_messages(uid)[-1]
        api.user_presses(uid, consent.message_id, consent.callback_data("✅"), language_code=lang[uid])
        sent += 1
        await settled()
        before, posts = count(uid), group_posts()
        started = time.perf_counter()
        api.user_sends(uid, QUESTIONS[lang[uid]].format(n=n), language_code=lang[uid])
        sent += 1
        await api.wait_for(lambda u=uid, b=before: count(u) > b, WAIT)
        asked.append(time.perf_counter() - started)
        await api.wait_for(lambda p=posts: group_posts() > p, WAIT)
        in_forum.append(time.perf_counter() - started)
        await settled()
        before, posts = count(uid), group_posts()
        started = time.perf_counter()
        api.user_sends(uid, "And one more detail", language_code=lang[uid])
        sent += 1
        await api.wait_for(lambda u=uid, b=before: count(u) > b, WAIT)
        follow.append(time.perf_counter() - started)
        await api.wait_for(lambda p=posts: group_posts() > p, WAIT)
        follow_forum.append(time.perf_counter() - started)
    await settled()
    topics = [t for t in api.topics(forum) if t.name.startswith("#")]
    for ticket_uid, topic in zip(ids, topics, strict=True):
        before = count(ticket_uid)
        started = time.perf_counter()
        posted = api.member_posts(forum, VOLUNTEER, "Use the ICE detainee locator.", thread_id=topic.message_thread_id)
        await api.wait_for(lambda u=ticket_uid, b=before: count(u) > b, WAIT)
        delivered.append(time.perf_counter() - started)
        await api.wait_for(lambda m=posted["message_id"]: api.reactions(forum, m), WAIT)
        acked.append(time.perf_counter() - started)
    posts = group_posts()
    started = time.perf_counter()
    for uid in ids:
        api.user_sends(uid, "Thank you, one last thing", language_code=lang[uid])
    await api.wait_for(lambda: group_posts() >= posts + people, WAIT * 4)
    wave.append(time.perf_counter() - started)
    return [
        row("baseline: search text → reply", search),
        row("question → confirmation", asked),
        row("question → first post in the forum", in_forum),
        row("follow-up → confirmation", follow),
        row("follow-up → post in the topic", follow_forum),
        row("volunteer post → the person has it", delivered),
        row("volunteer post → 👍 in the forum", acked),
        row(f"{people} follow-ups at once → all in the forum", wave),
    ]


def main() -> None:
    p = parser(MODULE, __doc__.split("\n\n")[0])
    p.add_argument("--people", type=int, default=60)
    p.add_argument("--interval", type=float, default=1.0, help="the outbox poll interval (seconds)")
    args = p.parse_args()
    quiet_logging()
    asyncio.run(run(args.people, args.interval, args.database_url))


if __name__ == "__main__":
    main()
