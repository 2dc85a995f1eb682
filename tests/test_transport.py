"""Faults from the Bot API on the bot's replies: a 429 delays only its chat, a 5xx is tried once more, and a reply
that timed out on our side but arrived is not followed by an apology.

The 429 test measures another person's reply latency while one chat waits out its retry_after, against the same
latency without it, as a ratio.
"""

from __future__ import annotations

import asyncio
import statistics

from tests.helpers import eventually, new_user_id

HELP = "How to use the bot"
SORRY = "something went wrong"
SAMPLES = 5


async def reply_latency(api, user_id: int, text: str = "/help") -> float:
    loop = asyncio.get_running_loop()
    before = len(api.bot_messages(user_id))
    started = loop.time()
    api.user_sends(user_id, text, language_code="en")
    await api.wait_for(lambda: len(api.bot_messages(user_id)) > before, timeout=60)
    return loop.time() - started


async def latencies(api, n: int) -> list[float]:
    """``n`` different people write at the same moment; each one's time to their reply."""
    return list(await asyncio.gather(*(reply_latency(api, new_user_id()) for _ in range(n))))


async def test_a_429_for_one_chat_delays_only_that_chat(api, app):
    await latencies(api, 1)  # warm-up
    before = await latencies(api, SAMPLES) + await latencies(api, SAMPLES)

    slowed = new_user_id()
    api.user_sends(slowed, "/start", language_code="en")  # the chat exists for the Bot API
    await api.wait_for(lambda: api.bot_messages(slowed))
    api.fail_next("sendMessage", 429, retry_after=4, chat_id=slowed)
    api.user_sends(slowed, "/help", language_code="en")
    await api.wait_for(lambda: any(c[0] == "sendMessage" and str(c[1].get("chat_id")) == str(slowed)
                                   for c in api.calls[-50:]) and not api.world.faults)  # the 429 has been served
    during = await latencies(api, SAMPLES) + await latencies(api, SAMPLES)
    waiting = not any(HELP in m.text for m in api.bot_messages(slowed))
    after = await latencies(api, SAMPLES) + await latencies(api, SAMPLES)
    baseline = statistics.median(before + after)
    ratio = statistics.median(during) / baseline
    print(f"\nanother person's reply (median): {baseline * 1000:.1f} ms, {statistics.median(during) * 1000:.1f} ms "
          f"while one chat waits out a 429 with retry_after=4 (x{ratio:.2f})")
    assert ratio < 3, (baseline, during)
    assert waiting, "the others were answered only after the 429'd chat's retry_after had passed"

    # The chat that met the 429 gets its answer once retry_after has passed, and no apology.
    await api.wait_for(lambda: any(HELP in m.text for m in api.bot_messages(slowed)), timeout=20)
    texts = [m.text for m in api.bot_messages(slowed)]
    assert sum(HELP in t for t in texts) == 1 and not any(SORRY in t for t in texts)


async def test_429s_in_more_chats_than_update_slots_hold_up_nobody_else(api, app):
    """Chats sitting out a 429 wait without holding one of the few update slots: with more such chats than slots,
    someone else still gets an answer while every one of them is still waiting."""
    from bot.updates import MAX_CONCURRENT_UPDATES

    slowed = [new_user_id() for _ in range(MAX_CONCURRENT_UPDATES + 2)]
    for user_id in slowed:
        api.user_sends(user_id, "/start", language_code="en")
    await api.wait_for(lambda: all(api.bot_messages(u) for u in slowed), timeout=30)
    for user_id in slowed:
        api.fail_next("sendMessage", 429, retry_after=5, chat_id=user_id)
        api.user_sends(user_id, "/help", language_code="en")
    await api.wait_for(lambda: not api.world.faults, timeout=30)  # every one of them has met its 429

    other = new_user_id()
    await reply_latency(api, other)
    assert HELP in api.bot_messages(other)[-1].text
    assert not any(HELP in m.text for u in slowed for m in api.bot_messages(u)), \
        "someone else was answered only after the 429'd chats' retry_after had passed"
    # ...and each of them is answered once its retry_after has passed, without an apology.
    await api.wait_for(lambda: all(any(HELP in m.text for m in api.bot_messages(u)) for u in slowed), timeout=30)
    assert not any(SORRY in m.text for u in slowed for m in api.bot_messages(u))


async def test_a_reply_lost_to_a_500_is_sent_again_once(api, en):
    await en.send("/start")
    api.fail_next("sendMessage", 500, chat_id=en.user_id)
    await en.send("/help")
    texts = [m.text for m in api.bot_messages(en.user_id)]
    assert HELP in texts[-1] and not any(SORRY in t for t in texts)


async def test_a_reply_that_timed_out_but_arrived_gets_no_apology(api, en):
    await en.send("/start")
    api.set_delay("sendMessage", 6)  # longer than the bot's 5-second read timeout; the message still arrives
    try:
        await en.send("/help")
        # Let every request still held by the slow Bot API finish before looking at the chat.
        await eventually(lambda: api.sent_count("sendMessage") == sum(c[0] == "sendMessage" for c in api.calls),
                         limit=20)
    finally:
        api.clear_faults()
    texts = [m.text for m in api.bot_messages(en.user_id)]
    assert HELP in texts[-1] and not any(SORRY in t.lower() for t in texts), texts


async def test_a_transport_error_never_carries_the_token():
    """aiohttp quotes the URL of a request it cannot make (a mistyped TELEGRAM_API_URL: port 99999), and the URL
    holds the token; the replies' transport keeps it out of the error, which PTB's error handling logs."""
    import pytest
    from telegram.error import NetworkError

    from bot.http import AiohttpRequest
    from tests.test_startup import closed_port

    token = "123456:AAH-secret_Token-value"
    async with AiohttpRequest() as request:
        for base, error in ((f"http://127.0.0.1:{closed_port()}", "ClientConnectorError"),
                            ("http://127.0.0.1:99999", "InvalidUrlClientError")):
            with pytest.raises(NetworkError) as caught:
                await request.do_request(f"{base}/bot{token}/sendMessage", "POST")
            assert error in str(caught.value)
            assert "AAH-secret" not in str(caught.value), str(caught.value)
