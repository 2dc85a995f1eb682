"""UI strings through gettext, with Babel catalogs loaded straight from the ``.po`` files.

Nothing needs compiling on a fresh checkout: at start-up each ``locales/<lang>/LC_MESSAGES/messages.po`` is read
with Babel and turned into an in-memory ``.mo``. Answer texts are not here; they live in the database
(``bot.knowledge``).

Placeholders are named and filled with ``str.format``: ``_("Hello, {name}", name=...)``.
"""

from __future__ import annotations

import gettext
import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES = ("ru", "en")
ROOT = Path(__file__).resolve().parent.parent
LOCALES_DIR = ROOT / "locales"
DOMAIN = "messages"

# Telegram language codes whose speakers are best served by the Russian texts.
RUSSIAN_FAMILY = frozenset({"ru", "uk", "be", "kk", "ky", "uz", "hy"})


def N_(message: str) -> str:
    """Marks a string for extraction where it is defined; it is translated later, where it is shown."""
    return message


def locale_for(stored: str | None, language_code: str | None, default: str = "ru") -> str:
    """A language the user picked wins; then Telegram's language_code; then the configured default."""
    if stored in LOCALES:
        return stored
    if language_code:
        base = language_code.split("-")[0].lower()
        return "ru" if base in RUSSIAN_FAMILY else "en"
    return default


@cache
def _translations(locale: str) -> gettext.NullTranslations:
    path = LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.is_file():
        return gettext.NullTranslations()
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def reload_catalogs() -> None:
    _translations.cache_clear()


class Translator:
    """The ``_`` and ``ngettext`` of one locale."""

    __slots__ = ("_t", "locale")

    def __init__(self, locale: str) -> None:
        self.locale = locale if locale in LOCALES else "en"
        self._t = _translations(self.locale)

    def _(self, message: str, **params: object) -> str:
        text = self._t.gettext(message)
        return text.format(**params) if params else text

    def ngettext(self, singular: str, plural: str, n: int, **params: object) -> str:
        text = self._t.ngettext(singular, plural, n)
        return text.format(n=n, **params)


@cache
def translator(locale: str) -> Translator:
    return Translator(locale)


def check_catalogs() -> list[str]:
    """Problems with the catalogs (used by ``python -m bot check``): missing files, untranslated or fuzzy."""
    problems: list[str] = []
    for locale in LOCALES:
        path = LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
        if not path.is_file():
            problems.append(f"{locale}: {path} is missing")
            continue
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        for message in catalog:
            if not message.id:
                continue
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if message.fuzzy or not all(strings):
                problems.append(f"{locale}: untranslated or fuzzy: {message.id!r}"[:120])
    return problems
