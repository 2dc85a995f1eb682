"""The search engine: documents in, ranked topics and a band (confident / unsure / none) out. No I/O.

Bands come from one *confidence* figure per query (see ``confidence``) and two thresholds chosen from the score
distribution of the labelled set (tests/search_eval.yaml, training part only; bench.search prints both parts):
- **confident**: the answer opens at once;
- **unsure**: a few topics to choose from;
- **none**: an honest "no reviewed answer".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.search.analyzer import Synonyms, load_synonym_groups, ru_known
from bot.search.index import Document, Index, Params
from bot.search.query import QueryAnalyzer, Reading
from bot.search.text import script, strip_html

CONFIDENT, UNSURE, NONE = "confident", "unsure", "none"


@dataclass(frozen=True)
class Bands:
    confident: float = 0.5
    unsure: float = 0.25
    # A confident answer also needs this lead over the runner-up (share of the top score).
    margin: float = 0.15


@dataclass(frozen=True)
class Hit:
    slug: str
    score: float


@dataclass
class Result:
    band: str
    hits: list[Hit]
    confidence: float = 0.0
    features: dict[str, float] = field(default_factory=dict)
    # For /gaps, "none" results only: lemmas of common words (and synonym concepts) that no topic contains.
    unmatched: list[str] = field(default_factory=list)

    @property
    def top(self) -> Hit | None:
        return self.hits[0] if self.hits else None


_SENTENCE_END = re.compile(r"(?<=[.!?…])\s")


def snippet(body_html: str, limit: int = 110) -> str:
    """The body's first sentence as one plain line, cut at a word with "…" if long."""
    text = " ".join(strip_html(body_html).split())
    first = _SENTENCE_END.split(text, maxsplit=1)[0]
    if len(first) <= limit:
        return first
    cut = first[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:—- ")
    return cut + "…"


def make_document(slug: str, texts: dict[str, tuple[str, str]], questions: dict[str, list[str]]) -> Document:
    """``texts``: locale → (title, body HTML); ``questions``: locale → alternative questions."""
    fields: dict[tuple[str, str], str] = {}
    titles, snippets = {}, {}
    for locale, (title, body) in texts.items():
        fields[(locale, "title")] = title
        fields[(locale, "body")] = strip_html(body)
        titles[locale] = title
        snippets[locale] = snippet(body)
    for locale, items in questions.items():
        if items:
            fields[(locale, "questions")] = "\n".join(items)
    return Document(slug, titles, fields, snippets)


class Engine:
    """Built once per content version; thread-safe for reading."""

    def __init__(self, documents: list[Document], extra_synonyms: list[list[str]] | None = None,
                 params: Params | None = None, bands: Bands | None = None) -> None:
        params, bands = params or Params(), bands or Bands()
        groups = load_synonym_groups() + list(extra_synonyms or [])
        self.synonyms = Synonyms.from_groups(groups)
        self.index = Index(documents, self.synonyms, params)
        self.analyzer = QueryAnalyzer(self.index)
        self.bands = bands
        self.by_slug = {d.slug: d for d in documents}

    def search(self, query: str, locale: str, limit: int = 5) -> Result:
        best: tuple[float, Reading, dict[int, float]] | None = None
        for reading in self.analyzer.readings(query):
            scores = self.index.score([p.candidates for p in reading.positions], locale)
            top = max(scores.values(), default=0.0) * reading.weight
            if best is None or top > best[0]:
                best = (top, reading, scores)
        assert best is not None
        _, reading, scores = best
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], self.index.documents[kv[0]].slug))
        hits = [Hit(self.index.documents[d].slug, s * reading.weight) for d, s in ranked[:limit]]
        features = self._features(reading, ranked)
        confidence = features["confidence"]
        if not hits or confidence < self.bands.unsure:
            band = NONE
        elif confidence >= self.bands.confident and features["margin"] >= self.bands.margin:
            band = CONFIDENT
        else:
            band = UNSURE
        unmatched = [p.lemma for p in reading.positions if not p.known and p.countable] if band == NONE else []
        return Result(band, hits if band != NONE else [], confidence, features, unmatched)

    def _features(self, reading: Reading, ranked: list[tuple[int, float]]) -> dict[str, float]:
        positions = reading.positions
        ceiling = sum(self.index.ceiling(p.candidates) for p in positions)
        unknown = [p for p in positions if not p.known]
        # Words no topic contains still mean something; a real word the texts never use weighs like a rare term.
        unknown_weight = sum(self._unknown_weight(p.word) for p in unknown)
        s1 = ranked[0][1] if ranked else 0.0
        s2 = ranked[1][1] if len(ranked) > 1 else 0.0
        covered = s1 / ceiling if ceiling else 0.0
        known_share = ceiling / (ceiling + unknown_weight) if ceiling + unknown_weight else 0.0
        margin = (s1 - s2) / s1 if s1 else 0.0
        confidence = covered * known_share ** 0.5
        return {"s1": s1, "s2": s2, "ceiling": ceiling, "covered": covered, "known_share": known_share,
                "margin": margin, "positions": len(positions), "unknown": len(unknown), "confidence": confidence}

    def _unknown_weight(self, word: str) -> float:
        kind = script(word)
        if kind == "cyr" and ru_known(word):
            return self.index.max_idf * (self.index.params.k1 + 1) * 0.5
        if kind in ("cyr", "lat") and len(word) >= 4:
            return self.index.max_idf * (self.index.params.k1 + 1) * 0.3
        return 0.0


def pack_documents(directory=None) -> list[Document]:
    """The answers of the content pack as search documents (benchmarks and tests; the bot reads the database)."""
    from bot.knowledge.pack import PACK_DIR, read_pack

    topics = read_pack(directory or PACK_DIR)
    return [make_document(t.slug, {loc: (x.title, x.body) for loc, x in t.texts.items()}, t.questions)
            for t in topics if t.kind == "answer" and not t.hidden]
