"""One person's flood must not slow anyone else, and the flooder is told once, politely, to slow down.

Latency is compared with itself: another person's reply time during a 300-message flood against the same
person's reply time without it, in the same run, as a ratio.
"""

from __future__ import annotations

import asyncio
import statistics

from bot.config import Settings
from tests.conftest import start_app, stop_app, with_settings
from tests.helpers import eventually, new_user_id

SLOW_DOWN_RU = "Вы пишете быстрее, чем я успеваю читать"
SLOW_DOWN_EN = "You are sending messages faster than I can read them"
SAMPLES = 7


async def reply_latency(api, user_id: int, text: str = "/help") -> float:
    loop = asyncio.get_running_loop()
    before = len(api.bot_messages(user_id))
    started = loop.time()
    api.user_sends(user_id, text, language_code="en")
    await api.wait_for(lambda: len(api.bot_messages(user_id)) > before, timeout=120)
    return loop.time() - started


async def settle(app) -> None:
    """Wait until the bot has nothing left to do (every fetched update handled or dropped)."""
    await eventually(lambda: not app.update_queue.qsize() and not app.update_processor.in_progress, limit=120)


async def flood(api, user_id: int, count: int = 300, burst: int = 10, gap: float = 0.1) -> None:
    """A script flooding the bot: ``count`` free-text questions (a search each, the dearest kind of update),
    ``burst`` at a time every ``gap`` seconds — 100 a second, several times what Telegram lets a person send.
    (Telegram hands a bot what piled up since its last getUpdates; bursts stand for that batching, which the
    local Bot API, answering a long poll at the first update, would otherwise not do.)"""
    for start in range(0, count, burst):
        for i in range(start, min(count, start + burst)):
            api.user_sends(user_id, f"как попросить убежище на границе {i}", language_code="ru")
        await asyncio.sleep(gap)


async def test_another_persons_replies_keep_their_pace_during_a_300_message_flood(api, settings):
    settings = with_settings(settings, flood_messages=Settings.flood_messages)  # the production limit
    app = await start_app(settings)
    try:
        await _measure(api, app, settings)
    finally:
        await stop_app(app)


async def _measure(api, app, settings):
    # Each sample is a different person writing once (one person sampling every few milliseconds would be a
    # flood of their own), a tenth of a second apart.
    # Without a flood, before and after it (the machine's load drifts), and during it.
    flooder = new_user_id()
    await reply_latency(api, new_user_id())  # warm-up: first-use costs are not the baseline

    async def samples(n: int, until: asyncio.Task | None = None) -> list[float]:
        taken: list[float] = []
        while len(taken) < n or (until is not None and not until.done()):
            taken.append(await reply_latency(api, new_user_id()))
            await asyncio.sleep(0.1)
        return taken

    before = await samples(SAMPLES)
    flooding = asyncio.create_task(flood(api, flooder))
    during = await samples(SAMPLES, until=flooding)
    await flooding
    await settle(app)
    after = await samples(SAMPLES)
    baseline, flooded = statistics.median(before + after), statistics.median(during)
    ratio = flooded / baseline
    print(f"\nother person's reply (median): {baseline * 1000:.1f} ms without a flood, {flooded * 1000:.1f} ms "
          f"during a 300-message flood (x{ratio:.2f}); slowest during: {max(during) * 1000:.0f} ms")
    assert ratio < 3, ([round(x * 1000) for x in before + after], [round(x * 1000) for x in during])

    # The flooder: a few answers, then exactly one polite notice in their language; the rest dropped unread.
    texts = [m.text for m in api.bot_messages(flooder)]
    assert sum(SLOW_DOWN_RU in t for t in texts) == 1, texts[-5:]
    assert len(texts) <= 2 * settings.flood_messages + 1
    assert app.update_processor.dropped >= 300 - len(texts)


async def test_the_notice_comes_once_per_burst_and_the_person_is_answered_again_afterwards(api, settings):
    app = await start_app(with_settings(settings, flood_messages=3, flood_seconds=1.0))
    try:
        person = new_user_id()
        for i in range(10):
            api.user_sends(person, f"/help {i}", language_code="en")
        await api.wait_for(lambda: any(SLOW_DOWN_EN in m.text for m in api.bot_messages(person)))
        await settle(app)
        texts = [m.text for m in api.bot_messages(person)]
        assert sum(SLOW_DOWN_EN in t for t in texts) == 1 and len(texts) == 4, texts

        await asyncio.sleep(1.1)  # the window passes: the person is an ordinary user again
        await reply_latency(api, person)
        assert "How to use the bot" in api.bot_messages(person)[-1].text

        for i in range(10):  # a second burst gets its own single notice
            api.user_sends(person, f"/help again {i}", language_code="en")
        await api.wait_for(lambda: sum(SLOW_DOWN_EN in m.text for m in api.bot_messages(person)) == 2)
        await settle(app)
        assert sum(SLOW_DOWN_EN in m.text for m in api.bot_messages(person)) == 2
    finally:
        await stop_app(app)
