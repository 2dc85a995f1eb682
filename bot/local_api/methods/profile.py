"""The bot's profile: command menus, descriptions, the menu button, close and logOut."""

from __future__ import annotations

from ..registry import method
from ..state import BotState, World
from ..validation import COMMAND_RE, bad, required


def _command_key(params: dict) -> tuple[str, str]:
    scope = params.get("scope") or {"type": "default"}
    if not isinstance(scope, dict) or not scope.get("type"):
        raise bad("can't parse BotCommandScope JSON object")
    kind = str(scope["type"])
    if scope.get("chat_id") is not None:  # per-chat menus are kept apart: scope "chat:<id>"
        kind = f"{kind}:{scope['chat_id']}"
    return kind, str(params.get("language_code") or "")


@method("setMyCommands")
async def set_my_commands(world: World, bot: BotState, params: dict) -> bool:
    commands = required(params, "commands") if params.get("commands") != [] else []
    if not isinstance(commands, list):
        raise bad("can't parse commands JSON object")
    if len(commands) > 100:
        raise bad("too many commands specified")
    for cmd in commands:
        if not isinstance(cmd, dict) or not COMMAND_RE.match(str(cmd.get("command", ""))):
            raise bad("BOT_COMMAND_INVALID")
        if not 1 <= len(str(cmd.get("description") or "")) <= 256:
            raise bad("BOT_COMMAND_DESCRIPTION_INVALID")
    key = _command_key(params)
    clean = [{"command": c["command"], "description": c["description"]} for c in commands]
    if clean:
        bot.commands[key] = clean
    else:
        bot.commands.pop(key, None)
    return True


@method("getMyCommands")
async def get_my_commands(world: World, bot: BotState, params: dict) -> list[dict]:
    return bot.commands.get(_command_key(params), [])


@method("deleteMyCommands")
async def delete_my_commands(world: World, bot: BotState, params: dict) -> bool:
    bot.commands.pop(_command_key(params), None)
    return True


def _store_text(store: dict[str, str], params: dict, key: str, limit: int) -> bool:
    value = str(params.get(key) or "")
    if len(value) > limit:
        raise bad(f"{key.replace('_', ' ')} is too long")
    lang = str(params.get("language_code") or "")
    if value:
        store[lang] = value
    else:
        store.pop(lang, None)
    return True


@method("setMyDescription")
async def set_my_description(world: World, bot: BotState, params: dict) -> bool:
    return _store_text(bot.descriptions, params, "description", 512)


@method("setMyShortDescription")
async def set_my_short_description(world: World, bot: BotState, params: dict) -> bool:
    return _store_text(bot.short_descriptions, params, "short_description", 120)


@method("getMyDescription")
async def get_my_description(world: World, bot: BotState, params: dict) -> dict:
    return {"description": bot.descriptions.get(str(params.get("language_code") or ""), "")}


@method("getMyShortDescription")
async def get_my_short_description(world: World, bot: BotState, params: dict) -> dict:
    lang = str(params.get("language_code") or "")
    return {"short_description": bot.short_descriptions.get(lang, "")}


@method("setChatMenuButton")
async def set_chat_menu_button(world: World, bot: BotState, params: dict) -> bool:
    return True


@method("close")
async def close(world: World, bot: BotState, params: dict) -> bool:
    return True


@method("logOut")
async def log_out(world: World, bot: BotState, params: dict) -> bool:
    return True
