"""Hearing and deadline reminders: the /remind form (``form``: its questions in ``ask``, its last steps in
``finish``), and /reminders with the buttons under a reminder (``manage``)."""

from __future__ import annotations

from telegram.ext import BaseHandler

from handlers.reminders import form, manage


def handlers() -> list[BaseHandler]:
    return [form.conversation(), *manage.handlers()]
