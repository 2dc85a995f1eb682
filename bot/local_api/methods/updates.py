"""Getting updates: getMe, long polling and webhooks (with delivery and retries)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from typing import Any

import aiohttp

from ..registry import method
from ..state import BotState, World
from ..validation import SECRET_RE, ApiError, as_bool, bad, opt_int

log = logging.getLogger(__name__)

WEBHOOK_RETRY_DELAYS = (0.1, 0.3, 1.0)  # a few quick retries: tests should not hang on a dead webhook


@method("getMe")
async def get_me(world: World, bot: BotState, params: dict) -> dict:
    bot.active = True
    return bot.user | {
        "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": world.inline_mode,
        "can_connect_to_business": False, "has_main_web_app": False,
    }


@method("getUpdates")
async def get_updates(world: World, bot: BotState, params: dict) -> list[dict]:
    bot.active = True
    if bot.webhook is not None:
        raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                            "use deleteWebhook to delete the webhook first")
    offset = opt_int(params, "offset")
    limit = min(max(opt_int(params, "limit", 100) or 100, 1), 100)
    timeout = min(max(opt_int(params, "timeout", 0) or 0, 0), 50)
    if isinstance(params.get("allowed_updates"), list):
        bot.allowed_updates = params["allowed_updates"]
    if offset is not None:
        if offset < 0:
            bot.updates = bot.updates[offset:]
        else:
            bot.updates = [u for u in bot.updates if u["update_id"] >= offset]
    bot.poll_generation += 1
    generation = bot.poll_generation
    bot.update_event.set()  # an older long poll still waiting must give up (Telegram answers it 409)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not bot.updates and not world.closing:
        remaining = deadline - loop.time()
        if remaining <= 0:
            break
        bot.update_event.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(bot.update_event.wait(), remaining)
        if bot.poll_generation != generation:
            raise ApiError(409, "Conflict: terminated by other getUpdates request; "
                                "make sure that only one bot instance is running")
    return bot.updates[:limit]


@method("setWebhook")
async def set_webhook(world: World, bot: BotState, params: dict) -> bool:
    bot.active = True
    url = str(params.get("url") or "")
    if not url:
        return await delete_webhook(world, bot, params)
    if not re.match(r"^https?://[^\s/]+", url):
        raise bad("bad webhook: invalid webhook URL specified")
    secret = params.get("secret_token")
    if secret and not SECRET_RE.match(str(secret)):
        raise bad("secret token contains unallowed characters")
    if isinstance(params.get("allowed_updates"), list):
        bot.allowed_updates = params["allowed_updates"]
    if as_bool(params.get("drop_pending_updates")):
        bot.updates.clear()
    await stop_webhook(bot)
    bot.webhook = {"url": url, "secret_token": secret or None}
    bot.webhook_error = None
    bot.webhook_task = asyncio.create_task(_webhook_worker(world, bot))
    return True


@method("deleteWebhook")
async def delete_webhook(world: World, bot: BotState, params: dict) -> bool:
    await stop_webhook(bot)
    if as_bool(params.get("drop_pending_updates")):
        bot.updates.clear()
    return True


@method("getWebhookInfo")
async def get_webhook_info(world: World, bot: BotState, params: dict) -> dict:
    info: dict[str, Any] = {
        "url": bot.webhook["url"] if bot.webhook else "", "has_custom_certificate": False,
        "pending_update_count": len(bot.updates),
    }
    if bot.webhook and bot.allowed_updates:
        info["allowed_updates"] = bot.allowed_updates
    if bot.webhook and bot.webhook_error:
        info["last_error_date"], info["last_error_message"] = bot.webhook_error
    return info


# -- webhook delivery --------------------------------------------------------------------------------------
async def _webhook_worker(world: World, bot: BotState) -> None:
    while bot.webhook is not None and not world.closing:
        if not bot.updates:
            bot.update_event.clear()
            await bot.update_event.wait()
            continue
        update = bot.updates[0]
        await _deliver(world, bot, update)
        if bot.updates and bot.updates[0] is update:
            bot.updates.pop(0)
        world.notify()


async def _deliver(world: World, bot: BotState, update: dict) -> bool:
    assert bot.webhook is not None and world.session is not None
    headers = {}
    if bot.webhook.get("secret_token"):
        headers["X-Telegram-Bot-Api-Secret-Token"] = bot.webhook["secret_token"]
    for delay in (*WEBHOOK_RETRY_DELAYS, None):
        try:
            async with world.session.post(
                bot.webhook["url"], json=update, headers=headers, timeout=aiohttp.ClientTimeout(total=10)
            ) as resp:
                if 200 <= resp.status < 300:
                    return True
                error = f"Wrong response from the webhook: {resp.status} {resp.reason}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            error = f"Connection failed: {exc!r}"
        bot.webhook_error = (int(time.time()), error)
        if delay is None:
            break
        await asyncio.sleep(delay)
    log.warning("webhook delivery of update %s failed, dropping it: %s", update["update_id"], error)
    return False


async def stop_webhook(bot: BotState) -> None:
    bot.webhook = None
    if bot.webhook_task:
        bot.webhook_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await bot.webhook_task
        bot.webhook_task = None
