"""Command line: ``python -m bot [run|migrate|check|try|content ...]`` (also installed as ``asylum-navigator``).

Configuration problems end the program with exit code 2 and one line naming the variable; nothing else
(no traceback, never the token).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from urllib.parse import urlparse

from bot.config import ConfigError, Settings, load_settings
from bot.logs import setup_logging

log = logging.getLogger("bot")


def _settings(require_token: bool) -> Settings:
    try:
        return load_settings(require_token=require_token)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def cmd_run(args: argparse.Namespace) -> int:
    from bot.ops import LockHeld

    try:
        return _run(args)
    except LockHeld as exc:  # SQLite has no standby: a second process on one database file stops with one line
        print(f"refusing to start: {exc}", file=sys.stderr)
        return 1


def _run(_args: argparse.Namespace) -> int:
    from telegram import Update

    from bot import migrate
    from bot.app import build_application
    from bot.ops.standby import check_single_process

    settings = _settings(require_token=True)
    setup_logging(settings.log_level)
    check_single_process(settings.database_url)
    asyncio.run(migrate.upgrade(settings.database_url))
    application = build_application(settings)
    if settings.webhook_url:
        log.info("starting in webhook mode on %s:%d", settings.webhook_host, settings.webhook_port)
        application.run_webhook(
            listen=settings.webhook_host,
            port=settings.webhook_port,
            url_path=urlparse(settings.webhook_url).path.lstrip("/"),
            webhook_url=settings.webhook_url,
            secret_token=settings.webhook_secret,
            allowed_updates=Update.ALL_TYPES,
        )
    else:
        log.info("starting in polling mode")
        application.run_polling(allowed_updates=Update.ALL_TYPES, timeout=5)
    log.info("stopped")
    return 0


def cmd_migrate(_args: argparse.Namespace) -> int:
    from bot import migrate

    settings = _settings(require_token=False)
    setup_logging(settings.log_level)
    asyncio.run(migrate.upgrade(settings.database_url))
    print(f"database is at revision {asyncio.run(migrate.current(settings.database_url))}")
    return 0


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
