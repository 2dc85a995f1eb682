"""Developer tool: ``python -m bot.i18n_sync`` refreshes the catalogs after UI strings change in the code.

1. extracts every ``_()`` / ``ngettext()`` / ``N_()`` string into ``locales/messages.pot``;
2. updates ``ru`` and ``en`` catalogs from it (new strings appear untranslated, removed ones are dropped);
3. fills English with the source text itself (the code's strings are English).
Then translate the new Russian entries; ``tests/test_i18n.py`` fails until every entry has a translation.
"""

from __future__ import annotations

import re
import subprocess
import sys

from babel.messages.pofile import read_po, write_po

from bot.i18n import DOMAIN, LOCALES_DIR, ROOT

POT = LOCALES_DIR / f"{DOMAIN}.pot"
EXTRACT = ["-m", "babel.messages.frontend", "extract", "-F", str(ROOT / "babel.cfg"), "-o", str(POT),
           "--no-location", "--sort-output", "--omit-header", "-k", "N_", "."]


def main() -> int:
    subprocess.run([sys.executable, *EXTRACT], check=True, cwd=ROOT)
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "update", "-i", str(POT), "-d",
                    str(LOCALES_DIR), "-D", DOMAIN, "--no-fuzzy-matching", "--ignore-obsolete"], check=True)
    en = LOCALES_DIR / "en" / "LC_MESSAGES" / f"{DOMAIN}.po"
    with en.open("rb") as fh:
        catalog = read_po(fh, locale="en")
    for message in catalog:
        if message.id and isinstance(message.id, tuple):
            message.string = tuple(message.id)
        elif message.id:
            message.string = message.id
        message.flags.discard("fuzzy")
    with en.open("wb") as fh:
        write_po(fh, catalog, omit_header=False, no_location=True, sort_output=True)
    fixed = '"POT-Creation-Date: 2026-11-29 00:00+0000\\n"'
    for locale in ("ru", "en"):  # a fixed header date, so two branches' catalogs do not conflict on it
        po = LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
        po.write_text(re.sub(r'"POT-Creation-Date: [^"]*"', lambda _: fixed, po.read_text(encoding="utf-8")),
                      encoding="utf-8")
    print("catalogs updated; translate the empty msgstr entries in locales/ru/LC_MESSAGES/messages.po")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
