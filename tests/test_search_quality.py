"""Search quality on the labelled set (tests/search_eval.yaml), held as floors: the figures may only go up.

The same evaluation as ``python -m bench.search`` (which also prints the baseline and the latency). When a change
raises a figure, raise its floor here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.search import CasesError, Figures, check_topics, evaluate, load_cases
from bot.knowledge.pack import read_pack
from bot.search.embed import available
from bot.search.engine import Engine, pack_documents
from tests.conftest import BACKEND

# No database here (the pack's files in, figures out): these run once, in the SQLite run; the PostgreSQL run of the
# same suite (.ci/run starts both side by side on two cores) would repeat a minute of CPU and measure nothing more.
pytestmark = pytest.mark.skipif(BACKEND == "postgresql", reason="no database involved: measured in the SQLite run")

# (part, top-1, top-3, none handled) as lower bounds, wrong confident as an upper bound: what the search reaches
# on the set (352 questions, 78 answers; README, "Search"). Targets: top-1 ≥ 0.90, top-3 ≥ 0.97, none ≥ 0.90, wrong
# confident ≤ 0.03. Lowered once on purpose (Dec 2026): the band models are now fitted on training questions
# scored as new ones (bench.search, ``leave_out``), which halves the wrong answers opened at once on new questions and
# costs the training part (where the pack's alternative questions echo the questions) a few points of top-1 and none.
# Once more by one question each on the training part and Russian (Dec 2026): the ranking is now tuned on the
# training questions ranked as new ones (bench.search --tune), which gains on new questions (held-out top-1 81.9% →
# 83.3%, wrong confident 3.4% → 2.3%) and loses one echo-matched training question.
FLOORS = {
    "all": (0.915, 0.954, 0.878, 0.010),
    "training (3/4)": (0.939, 0.971, 0.880, 0.004),
    "held-out (1/4)": (0.847, 0.902, 0.875, 0.023),
    "Russian": (0.922, 0.960, 0.820, 0.010),
    "English": (0.905, 0.943, 0.962, 0.008),
}

# The same with the embedding signal (the embed extra; skipped where it is not installed).
FLOORS_EMBED = {
    "all": (0.937, 0.975, 0.909, 0.012),
    "training (3/4)": (0.957, 0.990, 0.920, 0.012),
    "held-out (1/4)": (0.875, 0.930, 0.875, 0.012),
    "Russian": (0.950, 0.977, 0.871, 0.019),
    # One English question fewer first than before the ranking was tuned on training questions ranked as new ones.
    "English": (0.915, 0.971, 0.962, 0.000),
}

# tests/search_eval_fresh.yaml: 237 questions written independently (from the topics' titles and bodies only, never
# their alternative questions or the first set) and never used for tuning; its figures ("all"), lexical and with
# the embedding signal.
# The last refit of the bands (after numbers and times began to weigh less; the same procedure, on the first set's
# training part) cost one question here on each path (lexical top-1, embedding none handled): these floors follow
# what the procedure gives, never the other way round.
FRESH = Path(__file__).resolve().parent / "search_eval_fresh.yaml"
FLOORS_FRESH = (0.887, 0.920, 0.783, 0.009)
FLOORS_FRESH_EMBED = (0.920, 0.949, 0.766, 0.005)


@pytest.fixture(scope="module")
def figures() -> dict[str, Figures]:
    result, _ = evaluate(Engine(pack_documents()), load_cases())
    return result


@pytest.fixture(scope="module")
def engine_embed() -> Engine:
    from bench.search import make_embedder  # the pack's vectors are cached where the bench keeps them

    return Engine(pack_documents(), embedder=make_embedder())


@pytest.fixture(scope="module")
def figures_embed(engine_embed) -> dict[str, Figures]:
    result, _ = evaluate(engine_embed, load_cases())
    return result


def test_quality_floors_on_the_independent_set():
    result, _ = evaluate(Engine(pack_documents()), load_cases(FRESH))
    check(FLOORS_FRESH, result["all"], "fresh")


@pytest.mark.skipif(not available(), reason="the embedding model (the embed extra) is not installed")
def test_quality_floors_on_the_independent_set_with_embeddings(engine_embed):
    result, _ = evaluate(engine_embed, load_cases(FRESH))
    check(FLOORS_FRESH_EMBED, result["all"], "fresh")


def test_the_labelled_set_is_big_enough_and_names_real_topics():
    cases = load_cases()
    answers = {t.slug for t in read_pack() if t.kind == "answer" and not t.hidden}
    assert len(cases) >= 200
    assert sum(not c.expect for c in cases) >= 40
    assert {c.lang for c in cases} == {"ru", "en"}
    assert {"translit", "layout", "typo", "slang", "story", "mixed"} <= {c.kind for c in cases}
    for case in cases:
        assert set(case.expect) <= answers, f"#{case.number}: unknown topic in {case.expect}"
    unasked = answers - {slug for case in cases for slug in case.expect}
    assert not unasked, f"no question in the set is answered by {sorted(unasked)}"
    assert len({c.query for c in cases}) == len(cases), "a question is listed twice"


@pytest.mark.parametrize("part", list(FLOORS))
def test_quality_floors(figures, part):
    check(FLOORS[part], figures[part], part)


@pytest.mark.skipif(not available(), reason="the embedding model (the embed extra) is not installed")
@pytest.mark.parametrize("part", list(FLOORS_EMBED))
def test_quality_floors_with_embeddings(figures_embed, part):
    check(FLOORS_EMBED[part], figures_embed[part], part)


def test_a_question_set_from_another_file_is_all_held_out(tmp_path):
    """``python -m bench.search --cases PATH``: the same format; every question held out, rows per language and per
    part the file marks."""
    path = tmp_path / "questions.yaml"
    path.write_text(
        '- {q: "как найти мужа в тюрьме ICE", lang: ru, expect: [find-person], part: chat}\n'
        '- {q: "where can I get a free lawyer", lang: en, expect: [free-lawyers], part: volunteers}\n'
        '- {q: "how do I renew my car insurance", lang: en, expect: none}\n', encoding="utf-8")
    cases = load_cases(path)
    assert all(c.held_out for c in cases)
    documents = pack_documents()
    check_topics(cases, documents, path)
    result, _ = evaluate(Engine(documents), cases)
    assert list(result) == ["all", "part: chat", "part: volunteers", "Russian", "English"]
    assert (result["all"].total, result["part: chat"].total, result["English"].total) == (3, 1, 2)
    assert (result["all"].answerable, result["all"].unanswerable) == (2, 1)

    path.write_text('- {q: "bond", lang: en, expect: [no-such-topic]}\n', encoding="utf-8")
    with pytest.raises(CasesError, match="no-such-topic"):
        check_topics(load_cases(path), documents, path)


def check(floors: tuple[float, float, float, float], f: Figures, part: str) -> None:
    top1, top3, none, wrong = floors
    assert f.share("top1") >= top1, f.row(part)
    assert f.share("top3") >= top3, f.row(part)
    assert f.share("none_handled") >= none, f.row(part)
    assert f.share("wrong_confident") <= wrong, f.row(part)


# The pack's own Russian questions re-typed (bench.search_retyped: chat-style transliteration, the English layout,
# one slip in a long word, asked inside a story) and still found first: (top-1) floors.
RETYPED_FLOORS = {"ru translit": 0.970, "ru layout": 0.995, "ru typo": 0.965, "ru story": 0.990, "en typo": 0.965,
                  "en story": 0.975}


def test_retyped_questions_are_still_found():
    from bench.search_retyped import measure

    r = measure(Engine(pack_documents()))
    assert r.questions["ru"] >= 700 and r.questions["en"] >= 500
    assert set(r.tried) == set(RETYPED_FLOORS)
    for kind, floor in RETYPED_FLOORS.items():
        assert r.tried[kind] >= 400
        assert r.share(kind) >= floor, (kind, f"{r.share(kind):.1%}", [m for m in r.misses if m[0] == kind][:5])


def test_numbers_and_times_no_text_uses_weigh_less_than_unknown_things():
    engine = Engine(pack_documents())
    # "шесть недель", "two weeks ago": circumstances of a story, not what it is about ("налоги", "taxes").
    assert engine._unknown_weight("шесть") < engine._unknown_weight("налоги") / 2
    assert engine._unknown_weight("ago") < engine._unknown_weight("taxes") / 2
