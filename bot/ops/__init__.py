"""Running the bot for real: health and metrics endpoint, hot standby, backups.

``Ops`` (bot/ops/service.py) is created with the Application, started in post_init and stopped in post_shutdown.
``python -m bot backup DIR`` and ``python -m bot restore FILE`` live in bot/ops/backup.py.
"""

from bot.ops.service import EXIT_LOCK_LOST, LockHeld, Ops

__all__ = ["EXIT_LOCK_LOST", "LockHeld", "Ops"]
