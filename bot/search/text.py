"""Text-level helpers for search: normalisation, tokens, transliteration both ways, wrong keyboard layout.

Everything here is pure string work (no dictionaries): the analyzer decides which of the variants are words.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata

_TAGS_RE = re.compile(r"<[^>]+>")
_ENTITY_RE = re.compile(r"&(?:amp|lt|gt|quot|#39);")
# A token is a run of letters or digits; hyphens, apostrophes and the rest split words ("CAT-интервью").
_TOKEN_RE = re.compile(r"[^\W_]+", re.UNICODE)
_CYR = re.compile(r"[а-я]")
_LAT = re.compile(r"[a-z]")


_NEEDS_UNICODE_WORK = re.compile(r"[\u0300-\u036f\u2100-\u214f\ufb00-\ufb4f\uff00-\uffef]")


def normalise(text: str) -> str:
    """Lower case, ё → е, compatibility forms folded (full-width letters, ligatures), combining marks dropped."""
    if not _NEEDS_UNICODE_WORK.search(text):  # the usual case: plain Latin and Cyrillic
        return text.casefold().replace("ё", "е")
    text = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", text).casefold())
    # Stress marks and other combining characters people paste from dictionaries go; й and ё keep their marks.
    text = "".join(ch for ch in text if not unicodedata.combining(ch) or ch in "\u0306\u0308")
    return unicodedata.normalize("NFC", text).replace("ё", "е")


def strip_html(text: str) -> str:
    return _ENTITY_RE.sub(" ", _TAGS_RE.sub(" ", text))


def tokens(text: str) -> list[str]:
    """Normalised word tokens of a text (already normalised or not)."""
    return _TOKEN_RE.findall(normalise(text))


# Words as typed: as ``tokens``, but an apostrophe between two letters stays inside the word (transliterated Russian
# writes the soft sign so: "den'gi", "derzhat'sya"); the analyzer reads it (a soft sign, or English "judge's").
_TYPED_WORD_RE = re.compile(r"[^\W_]+(?:['’`ʼ][^\W_]+)*", re.UNICODE)


def query_words(text: str) -> list[str]:
    """Normalised words of a question as typed, apostrophes inside words kept (as ')."""
    return [w.replace("’", "'").replace("`", "'").replace("ʼ", "'") for w in _TYPED_WORD_RE.findall(normalise(text))]


def script(token: str) -> str:
    """'cyr', 'lat', 'num' or 'mixed' (or 'other' for scripts search does not handle)."""
    if token.isdigit():
        return "num"
    cyr, lat = bool(_CYR.search(token)), bool(_LAT.search(token))
    if cyr and lat:
        return "mixed"
    if cyr:
        return "cyr"
    if lat:
        return "lat"
    return "other"


def latin_share(text: str) -> float:
    """Share of Latin letters among the letters of a (normalised) text."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return 0.0
    return sum(1 for ch in letters if "a" <= ch <= "z") / len(letters)


# --- Wrong keyboard layout: Russian typed with the English (QWERTY) layout on, and back -------------------------
_EN_KEYS = "qwertyuiop[]asdfghjkl;'zxcvbnm,.`"
_RU_KEYS = "йцукенгшщзхъфывапролджэячсмитьбюё"
_TO_RU = str.maketrans({**dict(zip(_EN_KEYS, _RU_KEYS, strict=True)),
                        **{e.upper(): r.upper() for e, r in zip(_EN_KEYS, _RU_KEYS, strict=True) if e.isalpha()},
                        **dict(zip('{}:"<>~', "ХЪЖЭБЮЁ", strict=True))})
_TO_EN = str.maketrans({**dict(zip(_RU_KEYS, _EN_KEYS, strict=True)),
                        **{r.upper(): e.upper() for e, r in zip(_EN_KEYS, _RU_KEYS, strict=True) if e.isalpha()}})


def layout_to_ru(text: str) -> str:
    """'rfr yfqnb' → 'как найти' (keys of the ЙЦУКЕН layout pressed with the QWERTY layout on)."""
    return text.translate(_TO_RU)


def layout_to_en(text: str) -> str:
    """'ыфдфкн' → 'salary': English typed with the Russian layout on."""
    return text.translate(_TO_EN)


# --- Transliteration ------------------------------------------------------------------------------------------
# Latin → Cyrillic, longest match first. Each entry lists the usual reading first, then other readings people
# use; the analyzer keeps the variants that are Russian words. General-purpose packages read "shch" as "шч",
# "ya" as "ыа", and get words like "ubezhishche" (убежище) or "zayavlenie" wrong.
_LAT_TO_CYR: dict[str, tuple[str, ...]] = {
    "shch": ("щ",), "sch": ("щ", "сч"), "shh": ("щ",),
    "zh": ("ж",), "kh": ("х",), "ts": ("ц", "тс"), "tz": ("ц",), "ch": ("ч", "х"), "sh": ("ш",),
    "ya": ("я", "ья"), "ja": ("я", "жа"), "ia": ("ия", "я", "ья"), "yu": ("ю", "ью"), "ju": ("ю", "жу"),
    "iu": ("ию", "ю", "ью"), "yo": ("е", "ье"), "jo": ("е", "жо"), "ye": ("е", "ые", "ье"), "je": ("е", "же"),
    "iy": ("ий", "ы"), "yi": ("ый", "ий"), "yy": ("ый", "ий"), "ij": ("ий", "ый"), "ii": ("ий", "ии", "ый"),
    "ei": ("ей",), "ey": ("ей",), "ai": ("ай",), "ay": ("ай",), "oi": ("ой",), "oy": ("ой",), "ui": ("уй",),
    "uy": ("уй",), "eu": ("еу", "ею"), "ph": ("ф",), "ck": ("к",), "qu": ("кв",), "oo": ("у", "оо"),
    "ee": ("и", "ее"),
    "a": ("а",), "b": ("б",), "v": ("в",), "w": ("в", "у"), "g": ("г",), "d": ("д",), "e": ("е", "э"),
    "z": ("з",), "i": ("и", "ы", "й"), "j": ("й", "дж", "ж"), "k": ("к",), "l": ("л",), "m": ("м",), "n": ("н",),
    "o": ("о",), "p": ("п",), "r": ("р",), "s": ("с",), "t": ("т",), "u": ("у",), "f": ("ф",), "h": ("х",),
    "c": ("ц", "к", "с"), "x": ("кс", "х"), "y": ("ы", "й", "и"), "q": ("к",), "'": ("ь",), "`": ("ь",),
}
_LAT_KEYS = sorted(_LAT_TO_CYR, key=len, reverse=True)

# Cyrillic → Latin, for English words written in Cyrillic ("пермит" → permit, "депорт" → deport).
_CYR_TO_LAT: dict[str, tuple[str, ...]] = {
    "а": ("a",), "б": ("b",), "в": ("v", "w"), "г": ("g",), "д": ("d",), "е": ("e",), "ж": ("zh", "j"),
    "з": ("z", "s"), "и": ("i", "ee"), "й": ("y", "i"), "к": ("k", "c"), "л": ("l",), "м": ("m",), "н": ("n",),
    "о": ("o",), "п": ("p",), "р": ("r",), "с": ("s", "c"), "т": ("t",), "у": ("u", "oo"), "ф": ("f",),
    "х": ("h", "kh"), "ц": ("ts", "c"), "ч": ("ch",), "ш": ("sh",), "щ": ("shch",), "ъ": ("",), "ы": ("y",),
    "ь": ("",), "э": ("e", "a"), "ю": ("yu", "u"), "я": ("ya",),
    "дж": ("j",), "кс": ("x",), "ай": ("i", "ai"), "ей": ("ey", "ei"), "ия": ("ia",),
}
_CYR_KEYS = sorted(_CYR_TO_LAT, key=len, reverse=True)


def _variants(word: str, table: dict[str, tuple[str, ...]], keys: list[str], limit: int) -> list[str]:
    """All readings of ``word`` through ``table`` (longest match first), the usual reading first, at most ``limit``.

    Characters the table does not know are kept as they are.
    """
    pieces = [table.get(piece, (piece,)) for piece in _PIECES[id(table)].findall(word)]
    # Enumerate in order of "how many non-default readings", so the usual reading comes first and a long word
    # cannot blow up: at most ``limit`` variants, each with at most two unusual readings.
    out: list[str] = ["".join(p[0] for p in pieces)]
    choices = [(i, j) for i, p in enumerate(pieces) for j in range(1, len(p))]
    for n in (1, 2):
        for combo in itertools.combinations(choices, n):
            if len(out) >= limit:
                return out
            positions = [i for i, _ in combo]
            if len(set(positions)) < n:
                continue
            picked = dict(combo)
            out.append("".join(p[picked.get(i, 0)] for i, p in enumerate(pieces)))
    return out


# Longest match first: one regular expression per table, its keys longest first, then any single character.
# A vowel + y/i pair ("ay" → ай) only counts when no vowel follows: "zayavlenie" is за-я-вление, "nayti" най-ти.
_BEFORE_CONSONANT = {"ay", "ey", "oy", "uy", "iy", "yy", "ai", "ei", "oi", "ui", "ij", "ii", "yi"}


def _piece(key: str) -> str:
    return re.escape(key) + ("(?![aeiouy])" if key in _BEFORE_CONSONANT else "")


_PIECES = {id(table): re.compile("|".join(_piece(k) for k in keys) + "|.", re.DOTALL)
           for table, keys in ((_LAT_TO_CYR, _LAT_KEYS), (_CYR_TO_LAT, _CYR_KEYS))}


@functools.lru_cache(maxsize=100_000)
def latin_to_cyrillic(word: str, limit: int = 24) -> tuple[str, ...]:
    """'ubezhishche' → ['убежище', …]: readings of a transliterated Russian word, the usual one first."""
    return tuple(_variants(word, _LAT_TO_CYR, _LAT_KEYS, limit))


_CONSONANTS = frozenset("бвгдждзклмнпрстфхцчшщ")


def soft_sign_variants(word: str, limit: int = 6) -> list[str]:
    """A transliterated word with one soft sign put back ("денги" → деньги, "писмо" → письмо): people typing
    Latin letters usually leave ь out. One ь after a consonant that ends the word or stands before a consonant."""
    out = []
    for i, ch in enumerate(word[:-1] if len(word) > 1 else ""):
        if ch in _CONSONANTS and word[i + 1] in _CONSONANTS:
            out.append(word[: i + 1] + "ь" + word[i + 1:])
    if word and word[-1] in _CONSONANTS:
        out.append(word + "ь")
    return out[:limit]


@functools.lru_cache(maxsize=100_000)
def cyrillic_to_latin(word: str, limit: int = 12) -> tuple[str, ...]:
    """'пермит' → ['permit', …]: readings of an English word written in Cyrillic letters."""
    return tuple(_variants(word, _CYR_TO_LAT, _CYR_KEYS, limit))
