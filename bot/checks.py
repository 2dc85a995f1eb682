"""``python -m bot check``: each part of the set-up, reported separately."""

from __future__ import annotations

from sqlalchemy import text

from bot import migrate
from bot.config import Settings
from bot.db import Database
from bot.helpdesk.check import check as check_helpdesk
from bot.i18n import check_catalogs
from bot.knowledge.pack import PackError, read_pack

Result = tuple[str, bool, str]


async def run_checks(settings: Settings) -> list[Result]:
    results: list[Result] = []
    results.append(("configuration", True,
                    "token set" if settings.token else "no TELEGRAM_BOT_TOKEN (needed for run)"))
    database = Database(settings.database_url)
    try:
        async with database.session() as session:
            await session.execute(text("SELECT 1"))
        current = await migrate.current(settings.database_url, engine=database.engine)
        head = migrate.head()
        results.append(("database", True, f"{database.dialect} reachable"))
        results.append(("migrations", current == head,
                        f"at {current or 'nothing'}, latest is {head}"
                        + ("" if current == head else " — run `python -m bot migrate`")))
        if current == head:
            results.extend(await _reminder_health(database))
    except Exception as exc:
        results.append(("database", False, f"{type(exc).__name__}: cannot connect or query"))
    finally:
        await database.dispose()
    problems = check_catalogs()
    results.append(("translations", not problems, "ru and en complete" if not problems else "; ".join(problems[:5])))
    try:
        topics = read_pack()
        results.append(("content pack", True, f"{len(topics)} topics valid"))
    except PackError as exc:
        results.append(("content pack", False, f"{len(exc.problems)} problem(s), first: {exc.problems[0]}"))
    results.append(await check_helpdesk(settings))
    return results


async def _reminder_health(database: Database) -> list[Result]:
    try:
        from bot.reminders.outbox import health
    except ImportError:
        return []
    async with database.session() as session:
        return [await health(session)]
