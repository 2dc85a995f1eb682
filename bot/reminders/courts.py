"""Built-in list of US immigration courts (EOIR) for the hearing-reminder form.

The data lives in ``courts.yaml`` next to this module; it is read once, validated and cached.

Public API:

* :class:`Court` - one court (frozen dataclass);
* :func:`load_courts` - every court, in file order (cached);
* :func:`court_by_id` - one court by its slug, or ``None``;
* :func:`search_courts` - free-text search in English or Russian (city, state, court name);
* :func:`parse_courts` - validation of raw YAML data (used by the loader, handy in tests);
* :data:`US_STATES` - two-letter code -> (English name, Russian name);
* :data:`US_TIMEZONES` / :data:`SUBSCRIBER_TIMEZONES` - ordered ``(tz, label_en, label_ru)`` choices.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

__all__ = [
    "CITY_ALIASES",
    "SUBSCRIBER_TIMEZONES",
    "US_STATES",
    "US_TIMEZONES",
    "Court",
    "CourtDataError",
    "TimezoneChoice",
    "court_by_id",
    "load_courts",
    "parse_courts",
    "search_courts",
]

COURTS_FILE = Path(__file__).with_name("courts.yaml")

ID_MAX_LEN = 24
_ID_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# No name, city or alias is anywhere near this long; longer queries cannot match and are refused unread.
QUERY_MAX_LEN = 100


@dataclass(frozen=True, slots=True)
class Court:
    id: str
    name_en: str
    name_ru: str
    city: str
    state: str
    tz: str
    detained: bool

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)


class CourtDataError(ValueError):
    """courts.yaml is malformed (unknown state, bad time zone, duplicate id, ...)."""


class TimezoneChoice(NamedTuple):
    tz: str
    label_en: str
    label_ru: str


# 50 states + DC + the territories that have (or are served by) immigration courts.
US_STATES: dict[str, tuple[str, str]] = {
    "AL": ("Alabama", "Алабама"),
    "AK": ("Alaska", "Аляска"),
    "AZ": ("Arizona", "Аризона"),
    "AR": ("Arkansas", "Арканзас"),
    "CA": ("California", "Калифорния"),
    "CO": ("Colorado", "Колорадо"),
    "CT": ("Connecticut", "Коннектикут"),
    "DE": ("Delaware", "Делавэр"),
    "FL": ("Florida", "Флорида"),
    "GA": ("Georgia", "Джорджия"),
    "HI": ("Hawaii", "Гавайи"),
    "ID": ("Idaho", "Айдахо"),
    "IL": ("Illinois", "Иллинойс"),
    "IN": ("Indiana", "Индиана"),
    "IA": ("Iowa", "Айова"),
    "KS": ("Kansas", "Канзас"),
    "KY": ("Kentucky", "Кентукки"),
    "LA": ("Louisiana", "Луизиана"),
    "ME": ("Maine", "Мэн"),
    "MD": ("Maryland", "Мэриленд"),
    "MA": ("Massachusetts", "Массачусетс"),
    "MI": ("Michigan", "Мичиган"),
    "MN": ("Minnesota", "Миннесота"),
    "MS": ("Mississippi", "Миссисипи"),
    "MO": ("Missouri", "Миссури"),
    "MT": ("Montana", "Монтана"),
    "NE": ("Nebraska", "Небраска"),
    "NV": ("Nevada", "Невада"),
    "NH": ("New Hampshire", "Нью-Гэмпшир"),
    "NJ": ("New Jersey", "Нью-Джерси"),
    "NM": ("New Mexico", "Нью-Мексико"),
    "NY": ("New York", "Нью-Йорк"),
    "NC": ("North Carolina", "Северная Каролина"),
    "ND": ("North Dakota", "Северная Дакота"),
    "OH": ("Ohio", "Огайо"),
    "OK": ("Oklahoma", "Оклахома"),
    "OR": ("Oregon", "Орегон"),
    "PA": ("Pennsylvania", "Пенсильвания"),
    "RI": ("Rhode Island", "Род-Айленд"),
    "SC": ("South Carolina", "Южная Каролина"),
    "SD": ("South Dakota", "Южная Дакота"),
    "TN": ("Tennessee", "Теннесси"),
    "TX": ("Texas", "Техас"),
    "UT": ("Utah", "Юта"),
    "VT": ("Vermont", "Вермонт"),
    "VA": ("Virginia", "Виргиния"),
    "WA": ("Washington", "Вашингтон"),
    "WV": ("West Virginia", "Западная Виргиния"),
    "WI": ("Wisconsin", "Висконсин"),
    "WY": ("Wyoming", "Вайоминг"),
    "DC": ("District of Columbia", "Округ Колумбия"),
    "PR": ("Puerto Rico", "Пуэрто-Рико"),
    "GU": ("Guam", "Гуам"),
    "MP": ("Northern Mariana Islands", "Северные Марианские острова"),
}

# Other spellings people type for a state name.
_STATE_ALIASES: dict[str, tuple[str, ...]] = {
    "VA": ("Вирджиния",),
    "WV": ("Западная Вирджиния",),
    "HI": ("Гавайские острова",),
    "MP": ("Марианские острова",),
}

# Russian names (and other names people use) for the cities of the courts, keyed by Court.city.
# A query equal to one of these counts as an exact city match.
CITY_ALIASES: dict[str, tuple[str, ...]] = {
    "New York": ("Нью-Йорк", "NYC", "Manhattan", "Манхэттен"),
    "Miami": ("Майами",),
    "Los Angeles": ("Лос-Анджелес", "Van Nuys", "Ван-Найс"),
    "San Francisco": ("Сан-Франциско",),
    "Houston": ("Хьюстон",),
    "Dallas": ("Даллас",),
    "San Antonio": ("Сан-Антонио",),
    "El Paso": ("Эль-Пасо",),
    "Chicago": ("Чикаго",),
    "Atlanta": ("Атланта",),
    "Seattle": ("Сиэтл",),
    "Denver": ("Денвер",),
    "Phoenix": ("Феникс",),
    "Las Vegas": ("Лас-Вегас",),
    "San Diego": ("Сан-Диего",),
    "Boston": ("Бостон",),
    "Philadelphia": ("Филадельфия",),
    "Baltimore": ("Балтимор",),
    "Orlando": ("Орландо",),
    "Newark": ("Ньюарк",),
    "Detroit": ("Детройт",),
    "Cleveland": ("Кливленд",),
    "Portland": ("Портленд",),
    "West Valley City": ("Salt Lake City", "Солт-Лейк-Сити", "Уэст-Валли-Сити"),
    "New Orleans": ("Новый Орлеан", "Нью-Орлеан"),
    "Memphis": ("Мемфис",),
    "Charlotte": ("Шарлотт", "Шарлотта"),
    "Kansas City": ("Канзас-Сити",),
    "Omaha": ("Омаха",),
    "Honolulu": ("Гонолулу",),
    "Guaynabo": ("Гуайнабо", "San Juan", "Сан-Хуан"),
    "Elizabeth": ("Элизабет",),
    "Sacramento": ("Сакраменто",),
    "Tucson": ("Тусон", "Таксон"),
    "Buffalo": ("Баффало",),
    "Hartford": ("Хартфорд",),
    "Indianapolis": ("Индианаполис",),
    "Louisville": ("Луисвилл", "Луисвиль"),
    "Fort Snelling": ("Форт-Снеллинг", "Minneapolis", "Миннеаполис", "St. Paul", "Saint Paul", "Сент-Пол"),
    "Laredo": ("Ларедо",),
    "Harlingen": ("Харлинген",),
    "Santa Ana": ("Санта-Ана",),
    "Saipan": ("Сайпан",),
    "Los Fresnos": ("Лос-Фреснос", "Port Isabel", "Порт-Изабел"),
    "Lumpkin": ("Ламкин", "Stewart", "Стюарт"),
    "Jena": ("Джина", "LaSalle", "Ласалль"),
    "Chaparral": ("Чапаррал", "Otero", "Отеро"),
    "Tacoma": ("Такома",),
    "Eloy": ("Элой",),
    "Florence": ("Флоренс",),
    "Adelanto": ("Аделанто",),
    "Imperial": ("Импириал",),
    "Conroe": ("Конро",),
    "Pearsall": ("Пирсолл",),
    "Oakdale": ("Оукдейл",),
    "Aurora": ("Аврора", "Орора"),
    "Batavia": ("Батавия",),
    "Napanoch": ("Напанок", "Ulster", "Ольстер"),
    "Chelmsford": ("Челмсфорд", "Lowell", "Лоуэлл"),
    "Hyattsville": ("Хайатсвилл",),
    "Annandale": ("Аннандейл",),
    "Sterling": ("Стерлинг",),
    "Concord": ("Конкорд",),
}

US_TIMEZONES: tuple[TimezoneChoice, ...] = (
    TimezoneChoice(
        "America/New_York", "Eastern (New York, Miami, Atlanta)", "Восточное (Нью-Йорк, Майами, Атланта)"
    ),
    TimezoneChoice(
        "America/Chicago", "Central (Chicago, Houston, Dallas)", "Центральное (Чикаго, Хьюстон, Даллас)"
    ),
    TimezoneChoice(
        "America/Denver",
        "Mountain (Denver, Salt Lake City, El Paso)",
        "Горное (Денвер, Солт-Лейк-Сити, Эль-Пасо)",
    ),
    TimezoneChoice("America/Phoenix", "Arizona (no DST)", "Аризона (без перехода на летнее время)"),
    TimezoneChoice(
        "America/Los_Angeles",
        "Pacific (Los Angeles, San Francisco, Seattle)",
        "Тихоокеанское (Лос-Анджелес, Сан-Франциско, Сиэтл)",
    ),
    TimezoneChoice("America/Anchorage", "Alaska", "Аляска"),
    TimezoneChoice("Pacific/Honolulu", "Hawaii", "Гавайи"),
    TimezoneChoice("America/Puerto_Rico", "Puerto Rico", "Пуэрто-Рико"),
    TimezoneChoice("Pacific/Guam", "Guam, Northern Mariana Islands", "Гуам, Северные Марианские острова"),
)

# Where a subscriber may live: the usual places abroad first, then the US zones.
SUBSCRIBER_TIMEZONES: tuple[TimezoneChoice, ...] = (
    TimezoneChoice("Europe/Moscow", "Moscow", "Москва"),
    TimezoneChoice("Asia/Tbilisi", "Tbilisi", "Тбилиси"),
    TimezoneChoice("Europe/Istanbul", "Istanbul", "Стамбул"),
    TimezoneChoice("Asia/Yerevan", "Yerevan", "Ереван"),
    TimezoneChoice("Asia/Almaty", "Almaty", "Алматы"),
    TimezoneChoice("Europe/Berlin", "Berlin (Central Europe)", "Берлин (Центральная Европа)"),
    TimezoneChoice("Europe/London", "London", "Лондон"),
    TimezoneChoice("America/Mexico_City", "Mexico City", "Мехико"),
    TimezoneChoice("America/Tijuana", "Tijuana", "Тихуана"),
    *US_TIMEZONES,
)

_FIELDS = ("id", "name_en", "name_ru", "city", "state", "tz", "detained")


# ── loading and validation ──────────────────────────────────────────────────


def _valid_tz(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def parse_courts(raw: Any) -> tuple[Court, ...]:
    """Validate the parsed YAML (a list of mappings) and build the courts; raise CourtDataError."""
    if not isinstance(raw, list) or not raw:
        raise CourtDataError("courts data must be a non-empty list")
    courts: list[Court] = []
    seen: set[str] = set()
    for n, item in enumerate(raw, 1):
        where = f"court #{n}"
        if not isinstance(item, Mapping):
            raise CourtDataError(f"{where}: expected a mapping, got {type(item).__name__}")
        keys = set(item)
        if missing := [f for f in _FIELDS if f not in keys]:
            raise CourtDataError(f"{where}: missing {', '.join(missing)}")
        if extra := sorted(str(k) for k in keys - set(_FIELDS)):
            raise CourtDataError(f"{where}: unknown field(s) {', '.join(extra)}")
        for f in _FIELDS[:-1]:
            value = item[f]
            if not isinstance(value, str) or not value.strip() or value != value.strip():
                raise CourtDataError(f"{where}: {f} must be a non-empty string without outer spaces")
        if not isinstance(item["detained"], bool):
            raise CourtDataError(f"{where}: detained must be true or false")
        court = Court(**{f: item[f] for f in _FIELDS})
        where = f"court {court.id!r}"
        if len(court.id) > ID_MAX_LEN or not _ID_RE.fullmatch(court.id):
            raise CourtDataError(f"{where}: id must match [a-z0-9-]+ and be at most {ID_MAX_LEN} chars")
        if court.id in seen:
            raise CourtDataError(f"{where}: duplicate id")
        seen.add(court.id)
        if court.state not in US_STATES:
            raise CourtDataError(f"{where}: unknown state code {court.state!r}")
        if not _valid_tz(court.tz):
            raise CourtDataError(f"{where}: unknown time zone {court.tz!r}")
        courts.append(court)
    return tuple(courts)


@cache
def load_courts() -> tuple[Court, ...]:
    """All built-in courts in file order (read and validated once)."""
    with COURTS_FILE.open(encoding="utf-8") as fh:
        return parse_courts(yaml.safe_load(fh))


@cache
def _by_id() -> dict[str, Court]:
    return {c.id: c for c in load_courts()}


def court_by_id(court_id: str) -> Court | None:
    if not isinstance(court_id, str):
        return None
    return _by_id().get(court_id)


# ── search ───────────────────────────────────────────────────────────────────

_NON_WORD_RE = re.compile(r"[\W_]+")


def _norm(text: str) -> str:
    """Case-, accent- and ё-insensitive form; punctuation and dashes become single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_WORD_RE.sub(" ", stripped).strip()


class _Entry(NamedTuple):
    court: Court
    cities: tuple[str, ...]  # normalized city + aliases
    states: tuple[str, ...]  # normalized state names (en, ru, aliases)
    others: tuple[str, ...]  # normalized court names and id
    blob: str  # everything, for the all-words fallback


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


@cache
def _index() -> tuple[_Entry, ...]:
    entries = []
    for court in load_courts():
        cities = _unique(_norm(s) for s in (court.city, *CITY_ALIASES.get(court.city, ())))
        states = _unique(_norm(s) for s in (*US_STATES[court.state], *_STATE_ALIASES.get(court.state, ())))
        others = _unique(_norm(s) for s in (court.name_en, court.name_ru, court.id))
        blob = " ".join((*cities, *states, *others, court.state.lower()))
        entries.append(_Entry(court, cities, states, others, blob))
    return tuple(entries)


def _word_start(q: str, text: str) -> bool:
    return text.startswith(q) or f" {q}" in text


def _rank(q: str, words: list[str], e: _Entry) -> int | None:
    """Lower is better; None means no match."""
    if q in e.cities:
        return 0  # exact city
    if q in e.states or q in e.others:
        return 1  # exact state name / court name / id
    if any(c.startswith(q) for c in e.cities):
        return 2  # city prefix
    if any(_word_start(q, t) for t in (*e.cities, *e.states, *e.others)):
        return 3  # prefix of some word of a name
    if q in e.blob:
        return 4  # substring
    if len(words) > 1 and all(w in e.blob for w in words):
        return 5  # every word somewhere, in any order
    return None


def search_courts(query: str, limit: int = 8) -> list[Court]:
    """Courts matching ``query`` (English or Russian), best first, at most ``limit``.

    Matches the city (and its Russian / alternative names), the state code, the state name in English and
    Russian, the court name and id - case-, accent- and ё-insensitively. Order: exact city, exact state or
    court name, city prefix, word prefix, substring, all words in any order; ties keep file order.
    A two-letter query that is a state code (``TX``) returns only the courts of that state.
    """
    if not isinstance(query, str) or limit <= 0 or len(query) > QUERY_MAX_LEN:
        return []
    q = _norm(query)
    if not q:
        return []
    if len(q) == 2 and q.isascii() and q.isalpha() and q.upper() in US_STATES:
        code = q.upper()
        return [c for c in load_courts() if c.state == code][:limit]
    words = q.split()
    ranked = []
    for pos, entry in enumerate(_index()):
        rank = _rank(q, words, entry)
        if rank is not None:
            ranked.append((rank, pos, entry.court))
    ranked.sort(key=lambda t: (t[0], t[1]))
    return [court for _, _, court in ranked[:limit]]
