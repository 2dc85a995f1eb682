"""Running the bot for real: health and metrics endpoint, hot standby, backups.

``Ops`` (bot/ops/service.py) is created with the Application, started in post_init and stopped in post_shutdown.
``python -m bot backup DIR`` and ``python -m bot restore FILE`` live in bot/ops/backup.py. Names are imported on
first use, so ``python -m bot.ops.probe`` (the Docker health check) stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.ops.service import EXIT_LOCK_LOST, LockHeld, Ops

__all__ = ["EXIT_LOCK_LOST", "LockHeld", "Ops"]


def __getattr__(name: str):
    if name in __all__:
        from bot.ops import service

        return getattr(service, name)
    raise AttributeError(name)
