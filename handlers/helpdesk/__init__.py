"""The volunteers' help desk, on Telegram's side.

- ``entry``: the "🙋 Ask a volunteer" buttons other features show (the main menu, under every answer, search's
  "no answer" reply); it imports nothing of the desk's handlers, so any feature may use it.
- ``ask``: the person's side: the consent screen and the question (``/ask``), ``/mytickets``, the buttons under a
  volunteer's reply.
- ``followup``: a person's messages while a ticket is open.
- ``staff``: the volunteers' forum: relaying a volunteer's message, ``/answer``, ``/close``, ``/reopen``,
  ``/ban``, ``/unban``, ``/note``, ``/desk``.
- ``groups``: any other group the bot is added to is left at once.
- ``routes``: the handlers in the order they are registered (``handlers.register_all``).

This package face imports nothing, so ``handlers.helpdesk.entry`` can be used from ``handlers.topics`` and the
search handler without pulling the desk's handlers in.
"""
