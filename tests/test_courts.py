"""The built-in list of immigration courts (bot/reminders/courts.yaml) and its search."""

from __future__ import annotations

import re
import time
from zoneinfo import ZoneInfo

import pytest

from bot.reminders.courts import (
    SUBSCRIBER_TIMEZONES,
    US_STATES,
    US_TIMEZONES,
    Court,
    CourtDataError,
    court_by_id,
    load_courts,
    parse_courts,
    search_courts,
)

COURTS = load_courts()


def ids(courts: list[Court]) -> list[str]:
    return [c.id for c in courts]


# ── the data ─────────────────────────────────────────────────────────────────


def test_list_is_plausibly_complete():
    assert 60 <= len(COURTS) <= 90
    assert isinstance(COURTS, tuple)
    assert load_courts() is COURTS  # cached


def test_all_time_zones_load():
    for court in COURTS:
        assert ZoneInfo(court.tz) == court.zone, court.id


def test_ids_unique_short_and_slugs():
    all_ids = ids(list(COURTS))
    assert len(all_ids) == len(set(all_ids))
    for court_id in all_ids:
        assert len(court_id) <= 24, court_id
        assert re.fullmatch(r"[a-z0-9-]+", court_id), court_id


def test_fields_are_filled_and_states_known():
    for court in COURTS:
        assert court.state in US_STATES, court.id
        assert court.name_en and court.name_ru and court.city, court.id
        assert isinstance(court.detained, bool), court.id
        assert re.search(r"[а-яё]", court.name_ru.lower()), court.id  # has a Russian rendering


@pytest.mark.parametrize(
    ("court_id", "tz"),
    [
        ("krome", "America/New_York"),
        ("new-york-broadway", "America/New_York"),
        ("el-paso", "America/Denver"),
        ("otero", "America/Denver"),
        ("detroit", "America/Detroit"),
        ("indianapolis", "America/Indiana/Indianapolis"),
        ("louisville", "America/Kentucky/Louisville"),
        ("new-orleans", "America/Chicago"),
        ("honolulu", "Pacific/Honolulu"),
        ("saipan", "Pacific/Saipan"),
        ("guaynabo", "America/Puerto_Rico"),
        ("salt-lake-city", "America/Denver"),
        ("seattle", "America/Los_Angeles"),
    ],
)
def test_zone_of_the_court_city(court_id, tz):
    court = court_by_id(court_id)
    assert court is not None
    assert court.tz == tz


def test_state_zone_rules():
    for court in COURTS:
        if court.state == "AZ":
            assert court.tz == "America/Phoenix", court.id
        if court.state == "LA":
            assert court.tz == "America/Chicago", court.id
        if court.state == "TX":
            expected = "America/Denver" if court.city == "El Paso" else "America/Chicago"
            assert court.tz == expected, court.id


def test_detained_flags():
    for court_id in (
        "krome",
        "otay-mesa",
        "adelanto",
        "eloy",
        "florence",
        "port-isabel",
        "conroe",
        "lasalle",
    ):
        assert court_by_id(court_id).detained, court_id
    for court_id in ("miami", "new-york-broadway", "el-paso", "chicago"):
        assert not court_by_id(court_id).detained, court_id


def test_court_by_id_unknown():
    assert court_by_id("anchorage") is None
    assert court_by_id("") is None
    assert court_by_id("KROME") is None


def test_court_is_frozen():
    with pytest.raises(AttributeError):
        COURTS[0].tz = "UTC"  # type: ignore[misc]


# ── search ───────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("query", ["Майами", "майами", "miami", "MIAMI", " Miami "])
def test_search_miami(query):
    found = search_courts(query)
    assert set(ids(found)) == {"miami", "krome"}
    assert all(c.tz == "America/New_York" for c in found)


def test_search_krome():
    found = search_courts("krome")
    assert ids(found)[0] == "krome"
    assert found[0].detained
    assert ids(search_courts("Krome"))[0] == "krome"


@pytest.mark.parametrize("query", ["TX", "tx", "Техас", "texas", "ТЕХАС"])
def test_search_texas(query):
    texas = {c.id for c in COURTS if c.state == "TX"}
    found = search_courts(query, limit=100)
    assert set(ids(found)) == texas
    assert {"el-paso", "houston", "dallas", "san-antonio", "harlingen"} <= texas
    assert len(search_courts(query)) == 8  # default limit


def test_state_code_matches_only_that_state():
    assert {c.state for c in search_courts("ny", limit=100)} == {"NY"}
    assert {c.state for c in search_courts("CA", limit=100)} == {"CA"}
    assert search_courts("DE") == []  # Delaware has no court; no substring fallback for codes


@pytest.mark.parametrize("query", ["нью-йорк", "Нью-Йорк", "нью йорк", "New York", "new-york"])
def test_search_new_york_city_first(query):
    found = search_courts(query)
    assert set(ids(found)[:3]) == {"new-york-broadway", "new-york-federal-plaza", "new-york-varick"}
    assert {c.state for c in found} == {"NY"}  # then the rest of the state


@pytest.mark.parametrize("query", ["el paso", "El Paso", "эль-пасо", "Эль Пасо"])
def test_search_el_paso_is_mountain_time(query):
    found = search_courts(query)
    assert set(ids(found)) == {"el-paso", "el-paso-spc"}
    assert all(c.tz == "America/Denver" for c in found)


@pytest.mark.parametrize("query", ["Arizona", "Аризона", "AZ", "phoenix", "Феникс", "tucson", "eloy"])
def test_search_arizona_has_no_dst_zone(query):
    found = search_courts(query)
    assert found
    assert all(c.tz == "America/Phoenix" for c in found)


def test_ranking_exact_then_prefix_then_substring():
    # "new": a prefix of the city (New York, Newark, New Orleans) beats a prefix of the state name
    # (New Jersey, New Mexico, New York state)
    found = ids(search_courts("new", limit=100))
    assert set(found[:5]) == {
        "new-york-broadway",
        "new-york-federal-plaza",
        "new-york-varick",
        "newark",
        "new-orleans",
    }
    assert {"elizabeth", "otero", "buffalo"} <= set(found[5:])
    # exact city first, then the same city's other courts in file order
    assert ids(search_courts("Los Angeles"))[:3] == [
        "los-angeles-la-street",
        "los-angeles-van-nuys",
        "los-angeles-west",
    ]
    # an exact city beats a mere substring ("ark" is inside Newark and Greenspoint Park)
    assert ids(search_courts("newark")) == ["newark"]
    assert ids(search_courts("ark")) == ["newark", "houston-greenspoint"]


@pytest.mark.parametrize(
    ("query", "court_id"),
    [
        ("San Juan", "guaynabo"),
        ("Сан-Хуан", "guaynabo"),
        ("Guáynabo", "guaynabo"),
        ("Пуэрто-Рико", "guaynabo"),
        ("Солт-Лейк-Сити", "salt-lake-city"),
        ("salt lake", "salt-lake-city"),
        ("Новый Орлеан", "new-orleans"),
        ("Гонолулу", "honolulu"),
        ("Сиэтл", "seattle"),
        ("Элизабет", "elizabeth"),
        ("Дёнвер", "denver"),  # ё-insensitive
        ("Minneapolis", "fort-snelling"),
        ("houston gessner", "houston-gessner"),
        ("otay", "otay-mesa"),
        ("Лас-Вегас", "las-vegas"),
        ("Сайпан", "saipan"),
    ],
)
def test_search_aliases_and_names(query, court_id):
    assert ids(search_courts(query))[0] == court_id


def test_limit():
    assert len(search_courts("immigration court", limit=3)) == 3
    assert search_courts("miami", limit=0) == []


@pytest.mark.parametrize("query", ["", "   ", "-–-", "qwzxvbnm", "абракадабра", "Anchorage", "Guam"])
def test_nonsense_query_returns_nothing(query):
    assert search_courts(query) == []


@pytest.mark.parametrize("query", ["a" * 10_000, "Майами " * 1_500, "TX" * 5_000])
def test_huge_query_is_refused_quickly(query):
    started = time.perf_counter()
    assert search_courts(query) == []
    assert time.perf_counter() - started < 0.5


# ── time-zone choices ────────────────────────────────────────────────────────


def test_us_timezones():
    zones = [tz for tz, _, _ in US_TIMEZONES]
    assert zones == [
        "America/New_York",
        "America/Chicago",
        "America/Denver",
        "America/Phoenix",
        "America/Los_Angeles",
        "America/Anchorage",
        "Pacific/Honolulu",
        "America/Puerto_Rico",
        "Pacific/Guam",
    ]
    for tz, label_en, label_ru in US_TIMEZONES:
        ZoneInfo(tz)
        assert label_en and label_ru


def test_subscriber_timezones():
    zones = [tz for tz, _, _ in SUBSCRIBER_TIMEZONES]
    assert len(zones) == len(set(zones))
    assert zones[:9] == [
        "Europe/Moscow",
        "Asia/Tbilisi",
        "Europe/Istanbul",
        "Asia/Yerevan",
        "Asia/Almaty",
        "Europe/Berlin",
        "Europe/London",
        "America/Mexico_City",
        "America/Tijuana",
    ]
    assert zones[9:] == [tz for tz, _, _ in US_TIMEZONES]
    for tz, label_en, label_ru in SUBSCRIBER_TIMEZONES:
        ZoneInfo(tz)
        assert label_en and label_ru


def test_every_court_zone_is_offered_manually_or_is_a_city_variant():
    manual = {tz for tz, _, _ in US_TIMEZONES}
    # Detroit / Indianapolis / Louisville follow Eastern time, Saipan follows Guam time
    variants = {
        "America/Detroit": "America/New_York",
        "America/Indiana/Indianapolis": "America/New_York",
        "America/Kentucky/Louisville": "America/New_York",
        "Pacific/Saipan": "Pacific/Guam",
    }
    for court in COURTS:
        assert variants.get(court.tz, court.tz) in manual, court.id


def test_states_dict():
    assert US_STATES["TX"] == ("Texas", "Техас")
    assert len(US_STATES) == 54  # 50 states + DC, PR, GU, MP
    assert all(re.fullmatch(r"[A-Z]{2}", code) for code in US_STATES)


# ── validation ───────────────────────────────────────────────────────────────


def _raw(**overrides):
    item = {
        "id": "test-court",
        "name_en": "Test Immigration Court",
        "name_ru": "Тест",
        "city": "Testville",
        "state": "TX",
        "tz": "America/Chicago",
        "detained": False,
    }
    item.update(overrides)
    return item


def test_parse_courts_accepts_valid_data():
    (court,) = parse_courts([_raw()])
    assert court == Court(
        "test-court", "Test Immigration Court", "Тест", "Testville", "TX", "America/Chicago", False
    )


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"id": "x"},
        [_raw(), _raw()],  # duplicate id
        [_raw(tz="America/Nowhere")],
        [_raw(tz="../etc/passwd")],
        [_raw(state="XX")],
        [_raw(id="Bad_ID")],
        [_raw(id="x" * 25)],
        [_raw(detained="yes")],
        [_raw(name_ru="")],
        [{k: v for k, v in _raw().items() if k != "tz"}],
        [_raw(extra=1)],
        ["not a mapping"],
    ],
)
def test_parse_courts_rejects_bad_data(data):
    with pytest.raises(CourtDataError):
        parse_courts(data)
