"""What must never be passed to volunteers: A-numbers, phone numbers and e-mail addresses.

A message that looks like it holds one is not passed on; the person is asked to send it again without it. The
rules err on the side of caution but leave what a question about a case needs: dates (3.12.2026, 2026-12-03,
12/03/26), times, years, sums of money, form names (I-589, EOIR-26). Digits are counted whatever script they are
written in (Arabic-Indic, full-width, …), and the Cyrillic «А» counts as the A of an A-number.
"""

from __future__ import annotations

import re
import unicodedata

A_NUMBER, PHONE, EMAIL = "a_number", "phone", "email"

_D = r"\d"  # str patterns: any Unicode decimal digit
_SEP = r"[\s\-‐‑‒–—.·/\\_()]"
# "A" (Latin or Cyrillic, either case), optionally "-", "#", "№", ":" then 7–9 digits with separators.
_A_NUMBER = re.compile(rf"(?<![^\W\d_])[AaАа]\s*(?:[-#№:.]|no\.?|№)?\s*(?:{_D}{_SEP}?){{7,8}}{_D}(?!{_D})")
_EMAIL = re.compile(r"[\w.+\-]+\s*(?:@|＠|\(at\)|\[at\])\s*[\w\-]+(?:\s*\.\s*[\w\-]+)+", re.IGNORECASE)
# Dates and times are removed before digits are counted.
_DATES = [
    re.compile(rf"(?<!{_D}){_D}{{1,2}}[./\-]{_D}{{1,2}}[./\-](?:{_D}{{4}}|{_D}{{2}})(?!{_D})"),  # 3.12.2026, 12/03/26
    re.compile(rf"(?<!{_D}){_D}{{4}}[./\-]{_D}{{1,2}}[./\-]{_D}{{1,2}}(?!{_D})"),  # 2026-12-03
    re.compile(rf"(?<!{_D}){_D}{{1,2}}:{_D}{{2}}(?!{_D})"),  # 9:30
]
# A run of digits, possibly with a leading "+" and separators between them.
_DIGIT_RUN = re.compile(rf"\+?(?:{_D}(?:{_SEP}{{0,2}}(?={_D}))?)+")
PHONE_DIGITS = 7  # a run of this many digits or more is treated as a phone (or an A-number, a case number)


def _normalise(text: str) -> str:
    # NFKC folds full-width letters and digits and compatibility forms into their plain versions.
    return unicodedata.normalize("NFKC", text)


def _digits(run: str) -> int:
    return sum(ch.isdecimal() for ch in run)


def _money(text: str, start: int, end: int) -> bool:
    """"$30,000", "19 500 долларов": a sum is not a phone number."""
    before = text[max(0, start - 2):start]
    after = text[end:end + 12].lower()
    return "$" in before or after.lstrip().startswith(("$", "usd", "долл", "руб", "dollar", "песо", "peso"))


def find(text: str) -> str | None:
    """The kind of identifier the text seems to hold (``a_number``, ``phone``, ``email``), or None."""
    text = _normalise(text)
    if _EMAIL.search(text):
        return EMAIL
    masked = text
    for pattern in _DATES:
        masked = pattern.sub(lambda m: " " * len(m.group()), masked)
    if _A_NUMBER.search(masked):
        return A_NUMBER
    for match in _DIGIT_RUN.finditer(masked):
        run = match.group()
        if _digits(run) < PHONE_DIGITS:
            continue
        # Thousands written with separators ("30,000,000") are money, not a phone.
        if re.fullmatch(rf"{_D}{{1,3}}(?:[ ,.]{_D}{{3}})+", run.strip()) and _money(masked, *match.span()):
            continue
        return PHONE
    return None
