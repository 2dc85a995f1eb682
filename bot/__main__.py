"""Command line: ``python -m bot [run|migrate|check|try|content ...]`` (also installed as ``asylum-navigator``).

Configuration problems end the program with exit code 2 and one line naming the variable; any other failure to
start (the Bot API or the database unreachable, a read-only database) with exit code 1 and one line. Never a
traceback, never the token (see ``bot.runner``).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bot.config import ConfigError, Settings, load_settings
from bot.logs import setup_logging

log = logging.getLogger("bot")


def _settings(require_token: bool) -> Settings:
    try:
        return load_settings(require_token=require_token)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _one_line(run, what: str) -> int:
    """Run ``run()``; a failure is one line on stderr and exit code 2 (configuration) or 1 (anything else)."""
    from bot.runner import StartupError

    try:
        run()
    except StartupError as exc:
        print(f"{what} failed: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"{what} interrupted", file=sys.stderr)
        return 1
    except Exception as exc:
        # Unexpected: still one line. The traceback goes through the redacting log handler only when asked for.
        log.debug("unexpected failure", exc_info=exc)
        print(f"{what} failed: unexpected {type(exc).__name__} (LOG_LEVEL=DEBUG shows where)", file=sys.stderr)
        return 1
    return 0


def cmd_run(_args: argparse.Namespace) -> int:
    from bot.runner import serve

    settings = _settings(require_token=True)
    setup_logging(settings.log_level)
    code = _one_line(lambda: asyncio.run(serve(settings)), "start-up")
    if code == 0:
        log.info("stopped")
    return code


def cmd_migrate(_args: argparse.Namespace) -> int:
    from bot import migrate
    from bot.db import Database
    from bot.runner import prepare_database

    settings = _settings(require_token=False)
    setup_logging(settings.log_level)

    async def go() -> str | None:
        database = Database(settings.database_url)
        try:
            await prepare_database(database)
            return await migrate.current(settings.database_url, engine=database.engine)
        finally:
            await database.dispose()

    revision: list[str | None] = []
    code = _one_line(lambda: revision.append(asyncio.run(go())), "migration")
    if code == 0:
        print(f"database is at revision {revision[0]}")
    return code


def cmd_check(_args: argparse.Namespace) -> int:
    from bot.checks import run_checks

    settings = _settings(require_token=False)
    setup_logging("WARNING")
    ok = True
    for name, passed, detail in asyncio.run(run_checks(settings)):
        ok &= passed
        print(f"[{'ok' if passed else 'FAIL'}] {name}: {detail}")
    return 0 if ok else 1


def cmd_try(args: argparse.Namespace) -> int:
    from bot.terminal import run_terminal

    settings = _settings(require_token=False)
    setup_logging("WARNING")
    return asyncio.run(run_terminal(settings, language_code=args.lang))


def cmd_backup(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot.ops.backup import BackupError, backup

    settings = _settings(require_token=False)
    try:
        result = backup(settings.database_url, Path(args.directory), args.keep)
    except BackupError as exc:
        print(f"backup failed: {exc}", file=sys.stderr)
        return 1
    print(f"backup written: {result.path} ({result.size / 1e6:.1f} MB, checked); "
          f"{len(result.removed)} older backup(s) removed, keeping the newest {args.keep}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot.ops.backup import BackupError, restore

    settings = _settings(require_token=False)
    try:
        revision = restore(settings.database_url, Path(args.file), args.force)
    except BackupError as exc:
        print(f"restore refused: {exc}", file=sys.stderr)
        return 1
    print(f"restored {args.file} (migration revision {revision}); `python -m bot run` applies newer migrations")
    return 0


def cmd_content(args: argparse.Namespace) -> int:
    from bot.knowledge import cli

    settings = _settings(require_token=False)
    setup_logging("WARNING")
    return asyncio.run(cli.main(settings, args))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bot", description="Asylum Navigator Telegram bot")
    sub = p.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bot (default): long polling, or webhook when WEBHOOK_URL is set")
    sub.add_parser("migrate", help="apply database migrations")
    sub.add_parser("check", help="check configuration, database, translations, content and reminders")
    try_p = sub.add_parser("try", help="chat with the bot in this terminal, offline, on a local Bot API")
    try_p.add_argument("--lang", default="ru", help="the Telegram language_code of the pretend user")
    backup = sub.add_parser("backup", help="back up the database into DIR (checked, atomic, keeping the newest N)")
    backup.add_argument("directory")
    backup.add_argument("--keep", type=int, default=14, help="how many backups to keep in DIR (default 14)")
    restore = sub.add_parser("restore", help="restore a backup into the database at DATABASE_URL")
    restore.add_argument("file")
    restore.add_argument("--force", action="store_true", help="replace a database that already holds data")
    content = sub.add_parser("content", help="the knowledge base content pack")
    csub = content.add_subparsers(dest="content_command", required=True)
    csub.add_parser("check", help="validate the pack without touching the database")
    csub.add_parser("load", help="load the pack into the database (idempotent)")
    exp = csub.add_parser("export", help="write the current texts as a content pack to DIR")
    exp.add_argument("directory")
    imp = csub.add_parser("import", help="validate DIR, then import it atomically as revisions")
    imp.add_argument("directory")
    return p


COMMANDS = {"run": cmd_run, "migrate": cmd_migrate, "check": cmd_check, "try": cmd_try, "content": cmd_content,
            "backup": cmd_backup, "restore": cmd_restore}


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return COMMANDS[args.command or "run"](args)


if __name__ == "__main__":
    raise SystemExit(main())
