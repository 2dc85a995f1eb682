"""Inline mode: answerInlineQuery."""

from __future__ import annotations

from ..registry import method
from ..state import BotState, World
from ..validation import bad, required


@method("answerInlineQuery")
async def answer_inline_query(world: World, bot: BotState, params: dict) -> bool:
    required(params, "inline_query_id")
    if not isinstance(required(params, "results"), list):
        raise bad("can't parse results JSON object")
    bot.inline_answers.append(params)
    return True
