"""Search quality on the labelled set (tests/search_eval.yaml), held as floors: the figures may only go up.

The same evaluation as ``python -m bench.search`` (which also prints the baseline and the latency). When a change
raises a figure, raise its floor here.
"""

from __future__ import annotations

import pytest

from bench.search import Figures, evaluate, load_cases
from bot.knowledge.pack import read_pack
from bot.search.engine import Engine, pack_documents

# (part, top-1, top-3, none handled) as lower bounds, wrong confident as an upper bound.
FLOORS = {
    "all": (0.89, 0.94, 0.92, 0.03),
    "held-out (1/4)": (0.84, 0.86, 0.90, 0.05),
    "Russian": (0.88, 0.94, 0.88, 0.04),
    "English": (0.90, 0.96, 0.95, 0.02),
}


@pytest.fixture(scope="module")
def figures() -> dict[str, Figures]:
    result, _ = evaluate(Engine(pack_documents()), load_cases())
    return result


def test_the_labelled_set_is_big_enough_and_names_real_topics():
    cases = load_cases()
    answers = {t.slug for t in read_pack() if t.kind == "answer" and not t.hidden}
    assert len(cases) >= 200
    assert sum(not c.expect for c in cases) >= 40
    assert {c.lang for c in cases} == {"ru", "en"}
    assert {"translit", "layout", "typo", "slang", "story", "mixed"} <= {c.kind for c in cases}
    for case in cases:
        assert set(case.expect) <= answers, f"#{case.number}: unknown topic in {case.expect}"
    assert len({c.query for c in cases}) == len(cases), "a question is listed twice"


@pytest.mark.parametrize("part", list(FLOORS))
def test_quality_floors(figures, part):
    top1, top3, none, wrong = FLOORS[part]
    f = figures[part]
    assert f.share("top1") >= top1, f.row(part)
    assert f.share("top3") >= top3, f.row(part)
    assert f.share("none_handled") >= none, f.row(part)
    assert f.share("wrong_confident") <= wrong, f.row(part)
