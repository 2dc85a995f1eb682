"""Content rules a pack must meet before it is published (issue #10), as plain functions over a read pack.

The loader (``pack.read_pack``) refuses what cannot be shown at all; these rules find what can be shown but must
not be: a bare site root given as a source, an answer without a short version, a Russian word the glossary
replaces, and ru/en versions of one answer that disagree on a number, date, phone number or link.
``tests/test_content_rules.py`` runs them over the whole pack, and ``python -m bot content check`` lists them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from bot.knowledge.pack import SHORT_LIMIT, PackTopic
from bot.telegram_html import parse_telegram_html

GLOSSARY_FILE = Path(__file__).resolve().parent / "glossary_ru.yaml"
_HREF_RE = re.compile(r"""<a\s+href\s*=\s*["']([^"']*)["']""", re.IGNORECASE)


def plain(html_text: str) -> str:
    """The text a reader sees (tags removed, entities decoded)."""
    return parse_telegram_html(html_text)[0]


# --- site roots ---------------------------------------------------------------------------------------------------

def is_site_root(url: str) -> bool:
    """A web address whose path is empty or '/': a site's front page, not the page that says the thing."""
    parts = urlsplit(url.strip())
    return parts.scheme in ("http", "https") and parts.path in ("", "/")


def site_roots(topic: PackTopic) -> list[str]:
    found: list[str] = []
    for locale, text in sorted(topic.texts.items()):
        for source in text.sources:
            if is_site_root(str(source.get("url", ""))):
                found.append(f"{locale} source {source.get('title')!r} is a site root: {source.get('url')}")
        for href in _HREF_RE.findall(text.body):
            if is_site_root(href):
                found.append(f"{locale} body links a site root: {href}")
    return sorted(set(found))


# --- short versions -----------------------------------------------------------------------------------------------

def short_problems(topic: PackTopic) -> list[str]:
    if topic.kind != "answer":
        return []
    problems = []
    for locale, text in sorted(topic.texts.items()):
        if not text.short:
            problems.append(f"{locale}: no short version ({locale}.short in the front matter)")
        elif len(text.short) > SHORT_LIMIT:
            problems.append(f"{locale}: short version has {len(text.short)} characters; at most {SHORT_LIMIT}")
    return problems


def missing_russian_source_titles(topic: PackTopic) -> list[str]:
    text = topic.texts.get("ru")
    if text is None:
        return []
    return [f"source {s.get('title')!r} has no title_ru" for s in text.sources if not s.get("title_ru")]


# --- glossary -----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GlossaryRule:
    avoid: tuple[str, ...]
    pattern: re.Pattern
    use: str
    same_sentence: re.Pattern | None = None


@cache
def glossary(path: Path = GLOSSARY_FILE) -> tuple[GlossaryRule, ...]:
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    return tuple(
        GlossaryRule(
            avoid=tuple(entry["avoid"]), pattern=re.compile(entry["pattern"], re.IGNORECASE), use=entry["use"],
            same_sentence=re.compile(entry["same_sentence"], re.IGNORECASE) if entry.get("same_sentence") else None,
        )
        for entry in entries
    )


_SENTENCE_RE = re.compile(r"[^.!?…\n]+")


def glossary_hits(text: str, rules: Iterable[GlossaryRule] | None = None) -> list[str]:
    """'«word» → use …' for every replaced word found in this Russian plain text."""
    hits = []
    for rule in glossary() if rules is None else rules:
        for sentence in _SENTENCE_RE.findall(text):
            if rule.same_sentence is not None and not rule.same_sentence.search(sentence):
                continue
            for match in rule.pattern.finditer(sentence):
                hits.append(f"«{match.group(0)}» → {rule.use}")
    return hits


def russian_texts(topic: PackTopic) -> dict[str, str]:
    """Every Russian string of a topic a reader sees, by where it is."""
    text = topic.texts.get("ru")
    if text is None:
        return {}
    found = {"title": text.title, "body": plain(text.body)}
    if text.short:
        found["short"] = text.short
    for i, source in enumerate(text.sources, start=1):
        if source.get("title_ru"):
            found[f"source {i} title_ru"] = source["title_ru"]
    return found


def glossary_problems(topic: PackTopic) -> list[str]:
    return [f"ru {where}: {hit}" for where, value in russian_texts(topic).items() for hit in glossary_hits(value)]


# --- ru/en parity: numbers, dates, phones, links -----------------------------------------------------------------

_EN_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
              "november", "december")
_RU_MONTHS = ("январ", "феврал", "март", "апрел", "ма", "июн", "июл", "август", "сентябр", "октябр", "ноябр",
              "декабр")
_EN_MONTH = r"(?P<en>" + "|".join(_EN_MONTHS) + r"|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\.?"
_RU_MONTH = (r"(?P<ru>январ[ьяеюё]|феврал[ьяеюё]|март[аеу]?|апрел[ьяеюё]|ма[йяеюё]|июн[ьяеюё]|июл[ьяеюё]"
             r"|август[аеу]?|сентябр[ьяеюё]|октябр[ьяеюё]|ноябр[ьяеюё]|декабр[ьяеюё])")
_MONTH = rf"(?:{_EN_MONTH}|{_RU_MONTH})"
_ORD = r"(?:st|nd|rd|th|-?го|-?е|-?м)?"
_SPACE = r"[ \u00a0\u202f]"
_DATE_RES = (
    re.compile(r"(?<!\d)(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?!\d)"),
    re.compile(r"(?<![\d.])(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})(?!\d)"),
    re.compile(rf"\b{_MONTH}{_SPACE}+(?P<d>\d{{1,2}}){_ORD}(?:,?{_SPACE}+(?P<y>\d{{4}}))?(?!\d)", re.IGNORECASE),
    re.compile(rf"(?<![\d.,])(?P<d>\d{{1,2}}){_ORD}{_SPACE}+(?:of{_SPACE}+)?{_MONTH}\b(?:,?{_SPACE}+(?P<y>\d{{4}}))?",
               re.IGNORECASE),
    re.compile(rf"\b{_MONTH}\b,?{_SPACE}+(?P<y>\d{{4}})(?!\d)", re.IGNORECASE),
)
# A phone number: "+1 800 898 7180", "+7 (495) 123-45-67", or the US style "1-800-898-7180" / "(800) 898-7180".
_PHONE_RES = (
    re.compile(r"\+\d[\d \u00a0()\-.]{5,}\d"),
    re.compile(r"(?<![\d+])(?:1[\- .\u00a0])?\(?\d{3}\)?[\- .\u00a0]\d{3}[\- .\u00a0]\d{4}(?!\d)"),
)
TAPPABLE_PHONE_RE = re.compile(r"^\+\d{1,3}(?: \d{2,4})+$")
_TLDS = "gov|org|com|net|edu|int|us|ru|mx|io|me|info|app|news|media"
_LINK_RE = re.compile(
    rf"(?<![\w@.\-/])(?:https?://)?((?:[a-z0-9\-]+\.)+(?:{_TLDS})(?![\w\-])(?:/[^\s<>\"«»)]*)?)", re.IGNORECASE)
_EMAIL_RE = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
# Thousands written "1 000", "1 000", "1,000"; decimals "1.5" / "1,5"; plain whole numbers.
_NUMBER_RE = re.compile(rf"(?<![\d.,])(?:\d{{1,3}}(?:(?:,|{_SPACE})\d{{3}})+(?![\d,.]\d)|\d+(?:[.,]\d+)*)")


def _month_number(match: re.Match) -> int:
    if match.groupdict().get("en"):
        word = match.group("en").lower().rstrip(".")
        return next(i for i, name in enumerate(_EN_MONTHS, start=1) if name.startswith(word[:3]))
    word = match.group("ru").lower()
    return next(i for i, stem in enumerate(_RU_MONTHS, start=1) if word.startswith(stem))


def _blank(text: str, match: re.Match) -> str:
    return text[:match.start()] + " " * (match.end() - match.start()) + text[match.end():]


def _normal_number(raw: str) -> str:
    if re.fullmatch(rf"\d{{1,3}}(?:(?:,|{_SPACE})\d{{3}})+", raw):
        return str(int(re.sub(rf"[,{_SPACE[1:-1]}]", "", raw)))
    if re.fullmatch(r"\d+", raw):
        return str(int(raw))
    return raw.replace(",", ".")


@dataclass
class Facts:
    numbers: set[str]
    dates: set[tuple]
    phones: set[str]
    links: set[str]
    phone_spellings: list[str]

    def differences(self, other: Facts) -> dict[str, tuple[set, set]]:
        out = {}
        for name in ("numbers", "dates", "phones", "links"):
            mine, theirs = getattr(self, name), getattr(other, name)
            if mine != theirs:
                out[name] = (mine - theirs, theirs - mine)
        return out


def _norm_link(link: str) -> str:
    link = re.sub(r"^https?://", "", link.strip().lower()).rstrip(".,;:!?")
    return link.rstrip("/")


def facts(html_text: str) -> Facts:
    """The numbers, dates, phone numbers and links in one text, normalised so that ru and en compare equal."""
    hrefs = {_norm_link(h) for h in _HREF_RE.findall(html_text) if h.startswith(("http://", "https://"))}
    text = plain(html_text)
    links = set(hrefs)
    for match in _EMAIL_RE.finditer(text):
        links.add(match.group(0).lower())
        text = _blank(text, match)
    for match in _LINK_RE.finditer(text):
        links.add(_norm_link(match.group(0)))
        text = _blank(text, match)
    phones, spellings = set(), []
    for pattern in _PHONE_RES:
        for match in pattern.finditer(text):
            digits = re.sub(r"\D", "", match.group(0))
            if len(digits) < 7:
                continue
            spellings.append(match.group(0))
            phones.add("1" + digits if len(digits) == 10 and not match.group(0).startswith("+") else digits)
            text = _blank(text, match)
    dates = set()
    for pattern in _DATE_RES:
        for match in pattern.finditer(text):
            groups = match.groupdict()
            month = int(groups["m"]) if groups.get("m") else _month_number(match)
            day = int(groups["d"]) if groups.get("d") else None
            year = int(groups["y"]) if groups.get("y") else None
            dates.add((year, month, day))
            text = _blank(text, match)
    numbers = {_normal_number(m.group(0)) for m in _NUMBER_RE.finditer(text)}
    return Facts(numbers, dates, phones, links, spellings)


def parity_problems(topic: PackTopic) -> list[str]:
    """Where the ru and en versions disagree on a number, date, phone number or link (title and body together;
    the short versions with each other)."""
    ru, en = topic.texts.get("ru"), topic.texts.get("en")
    if ru is None or en is None:
        return []
    problems = []
    pairs = [("title+body", f"{_escape(ru.title)}\n{ru.body}", f"{_escape(en.title)}\n{en.body}")]
    if ru.short and en.short:
        pairs.append(("short", _escape(ru.short), _escape(en.short)))
    for where, ru_text, en_text in pairs:
        for kind, (only_ru, only_en) in facts(ru_text).differences(facts(en_text)).items():
            problems.append(f"{where}: {kind} differ — only in ru: {_show(only_ru)}; only in en: {_show(only_en)}")
    return problems


def phone_format_problems(topic: PackTopic) -> list[str]:
    """Phone numbers not written as "+1 800 898 7180" (the form Telegram makes tappable)."""
    problems = []
    for locale, text in sorted(topic.texts.items()):
        for value in (f"{_escape(text.title)}\n{text.body}", _escape(text.short or "")):
            for spelling in facts(value).phone_spellings:
                if not TAPPABLE_PHONE_RE.match(spelling.strip()):
                    problems.append(f"{locale}: write {spelling.strip()!r} as '+1 800 898 7180' (tappable)")
    return problems


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _show(values: set) -> str:
    return ", ".join(sorted(map(str, values))) or "—"


RULES = {
    "site roots as sources": site_roots,
    "short versions": short_problems,
    "Russian source titles": missing_russian_source_titles,
    "glossary terms": glossary_problems,
    "ru/en numbers, dates, phones, links": parity_problems,
    "tappable phone numbers": phone_format_problems,
}


def check(topics: Iterable[PackTopic]) -> list[str]:
    """Every rule finding of a pack as 'slug.md: rule: problem'."""
    return [f"{topic.slug}.md: {rule}: {problem}"
            for topic in topics for rule, find in RULES.items() for problem in find(topic)]
