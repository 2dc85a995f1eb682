"""Catalogs: complete in Russian and English, not stale against the code, with correct Russian plurals."""

from __future__ import annotations

import subprocess
import sys

from babel.messages.pofile import read_po

from bot.i18n import LOCALES_DIR, ROOT, check_catalogs, locale_for, translator


def catalog(locale: str):
    with (LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=locale)


def test_every_message_has_a_russian_and_an_english_translation():
    assert check_catalogs() == []


def test_template_is_not_stale_against_the_code(tmp_path):
    """`pybabel extract` on the code today finds exactly the messages the catalogs hold."""
    pot = tmp_path / "fresh.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", str(ROOT / "babel.cfg"),
                    "-o", str(pot), "--no-location", "--omit-header", "-k", "N_", "."],
                   cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as fh:
        fresh = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}
    for locale in ("ru", "en"):
        held = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog(locale) if m.id}
        assert fresh - held == set(), f"{locale}: new strings not in the catalog — run python -m bot.i18n_sync"
        assert held - fresh == set(), f"{locale}: catalog holds strings the code no longer uses"


def test_russian_plural_forms():
    t = translator("ru")
    forms = {n: t.ngettext("in {n} day", "in {n} days", n) for n in (1, 2, 5, 11, 12, 21, 22, 25, 101, 111)}
    assert forms[1].endswith("день") and forms[21].endswith("день") and forms[101].endswith("день")
    assert forms[2].endswith("дня") and forms[22].endswith("дня")
    assert all(forms[n].endswith("дней") for n in (5, 11, 12, 25, 111))
    assert "nplurals=3" in catalog("ru").plural_forms


def test_english_plural_forms():
    t = translator("en")
    assert t.ngettext("in {n} day", "in {n} days", 1) == "in 1 day"
    assert t.ngettext("in {n} day", "in {n} days", 3) == "in 3 days"


def test_locale_choice():
    assert locale_for("en", "ru") == "en"  # a stored choice wins
    for code in ("ru", "uk", "be", "kk", "ky", "uz", "hy", "ru-RU"):
        assert locale_for(None, code) == "ru"
    for code in ("en", "de", "es", "ka", "tr"):
        assert locale_for(None, code) == "en"
    assert locale_for(None, None, default="ru") == "ru"


def test_placeholders_survive_translation():
    import re

    for message in catalog("ru"):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(re.findall(r"\{\w+\}", " ".join(ids))) - {"{n}"}
        for text in strings:
            assert wanted <= set(re.findall(r"\{\w+\}", text)), message.id
