"""The search engine: documents in, ranked topics and a band (confident / unsure / none) out. No I/O.

Bands come from two figures per query, each a small logistic model over features of the ranking: *confidence*
("there is an answer here") against the unsure threshold, and *right* ("the first topic is a right one") against the
confident one; models and thresholds are fitted on the labelled set (tests/search_eval.yaml, training part only;
``python -m bench.search --tune [--embed]``; bench.search prints both parts):
- **confident**: the answer opens at once;
- **unsure**: a few topics to choose from;
- **none**: an honest "no reviewed answer".
"""

from __future__ import annotations

import heapq
import math
import re
from dataclasses import dataclass, field

from bot.search.analyzer import EN_MODIFIERS, Synonyms, load_synonym_groups, ru_modifier, ru_noun_like
from bot.search.embed import Embedder, Similarity, TopicVectors, topic_vectors
from bot.search.index import Document, Index, Params
from bot.search.query import MODIFIER, QueryAnalyzer, Reading
from bot.search.text import script, strip_html

CONFIDENT, UNSURE, NONE = "confident", "unsure", "none"
RANKED = 20
UNKNOWN_NOUN, UNKNOWN_OTHER, UNKNOWN_LATIN = 0.8, 0.4, 0.6


@dataclass(frozen=True)
class Bands:
    confident: float = 0.80
    unsure: float = 0.66
    # A confident answer also needs this lead over the runner-up (share of the top score), and this much
    # evidence (summed rarity of the matched words): one common word ("суд", "phone") never opens an answer.
    margin: float = 0.15
    evidence: float = 2.0


# A logistic model of "the knowledge base answers this question", over a few features of the ranking (see
# ``_rank``); fitted by ``python -m bench.search --tune`` on the training part of tests/search_eval.yaml, each
# question scored as a new one: against the pack without its own topic's ways of asking nearest to it (the pack's
# alternative questions were written by the people who wrote the set; fitted on scores with them, the models
# expected every answerable question to match that well).
MODEL = {"bias": -4.1, "covered": 2.1, "unit": 3.3, "known_share": 3.1, "margin": -0.0, "evidence": 1.5,
         "intent": 2.5, "missing": -1.9, "offtopic": -2.2}
# A second model for opening an answer at once: of "the first topic is a right one" (not just "there is an
# answer"), so that a near-duplicate pair of topics, or a question beside the texts, stays in the unsure band.
MODEL_RIGHT = {"bias": -3.5, "covered": 1.0, "unit": 1.4, "known_share": 1.5, "margin": 2.2, "evidence": 1.3,
               "intent": 1.2, "missing": -0.5, "offtopic": -1.4}
BANDS = Bands(confident=0.88, unsure=0.64, margin=0.10, evidence=2.0)


# The same with the embedding signal (bot/search/embed.py): four more inputs, its own fit and thresholds.
MODEL_EMBED = {"bias": -4.5, "covered": 2.0, "unit": 1.6, "known_share": 2.7, "margin": 0.9, "evidence": 1.7,
               "intent": 2.4, "missing": -2.0, "offtopic": -1.1, "embed": 1.5, "embed_lead": -0.2, "agree": -0.2,
               "embed_question": 2.5}
MODEL_RIGHT_EMBED = {
    "bias": -3.6, "covered": 1.0, "unit": 1.1, "known_share": 1.3, "margin": 1.7, "evidence": 1.5, "intent": 0.8,
    "missing": -0.6, "offtopic": -1.0, "embed": 1.2, "embed_lead": -0.6, "agree": 0.3, "embed_question": 1.6}
BANDS_EMBED = Bands(confident=0.92, unsure=0.58, margin=0.25, evidence=2.0)
EMBED_FEATURES = ("embed", "embed_lead", "agree", "embed_question")


def model_inputs(features: dict[str, float]) -> dict[str, float]:
    inputs = {"covered": features["covered"], "unit": features["unit"], "known_share": features["known_share"],
              "margin": features["margin"], "evidence": min(1.0, features["evidence"] / 10),
              "intent": features["intent"], "missing": features["missing"], "offtopic": features["offtopic"]}
    for name in EMBED_FEATURES:
        if name in features:
            inputs[name] = features[name]
    return inputs


def confidence_of(features: dict[str, float], model: dict[str, float] = MODEL) -> float:
    z = model["bias"] + sum(model.get(k, 0.0) * v for k, v in model_inputs(features).items())
    return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))


confidence = confidence_of


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
    # For /gaps, "none" results only: lemmas of the question's common words and synonym concepts (no names).
    unmatched: list[str] = field(default_factory=list)

    @property
    def top(self) -> Hit | None:
        return self.hits[0] if self.hits else None


@dataclass(frozen=True)
class Ranked:
    """One reading of a query, the topics it ranks (document, score) and the ranking's features."""

    reading: Reading
    ranked: list[tuple[int, float]]
    features: dict[str, float]


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
                 params: Params | None = None, bands: Bands | None = None,
                 model: dict[str, float] | None = None, embedder: Embedder | None = None,
                 right_model: dict[str, float] | None = None) -> None:
        params = params or Params()
        bands = bands or (BANDS_EMBED if embedder is not None else BANDS)
        self.model = model or (MODEL_EMBED if embedder is not None else MODEL)
        self.right_model = right_model or (MODEL_RIGHT_EMBED if embedder is not None else MODEL_RIGHT)
        groups = load_synonym_groups() + list(extra_synonyms or [])
        self.synonyms = Synonyms.from_groups(groups)
        self.index = Index(documents, self.synonyms, params)
        self.analyzer = QueryAnalyzer(self.index)
        self.bands = bands
        self.by_slug = {d.slug: d for d in documents}
        # The embedded topics (the slow part of a build with the model: seconds, less with a warm cache).
        self.vectors: TopicVectors | None = topic_vectors(documents, embedder) if embedder is not None else None

    def search(self, query: str, locale: str, limit: int = 5) -> Result:
        return self.decide(self.ranked_readings(query, locale), limit)

    def ranked_readings(self, query: str, locale: str) -> list[Ranked]:
        """Every reading of the query (as typed, transliterated, re-typed) with its ranking and features; which one
        wins is the models' choice (``decide``)."""
        out = []
        similarity = self.vectors.similarity(query) if self.vectors is not None and query.strip() else None
        memo: dict = {}  # the readings share their words: each word's matches are looked up once
        for reading in self.analyzer.readings(query):
            # A question typed in the wrong layout means nothing to the model as typed: it reads the re-typed one.
            sim = self.vectors.similarity(reading.text) if similarity is not None and reading.text else similarity
            ranked, features = self._rank(reading, locale, sim, memo)
            out.append(Ranked(reading, ranked, features))
        return out

    def decide(self, readings: list[Ranked], limit: int = 5, model: dict[str, float] | None = None,
               right_model: dict[str, float] | None = None, bands: Bands | None = None) -> Result:
        """The reading the confidence model trusts most, its hits and its band (the engine's own models and
        thresholds unless given: bench.search fits them)."""
        model, right_model = model or self.model, right_model or self.right_model
        bands = bands or self.bands
        best = None
        for r in readings:
            value = confidence_of(r.features, model) * r.reading.weight
            if best is None or value > best[0]:
                best = (value, r)
        assert best is not None
        confidence, chosen = best
        reading = chosen.reading
        features = dict(chosen.features, confidence=confidence)
        hits = [Hit(self.index.documents[d].slug, s) for d, s in chosen.ranked[:limit]]
        features["right"] = confidence_of(features, right_model) * reading.weight
        if not hits or confidence < bands.unsure:
            band = NONE
        elif (features["right"] >= bands.confident and features["margin"] >= bands.margin
              and features["evidence"] >= bands.evidence):
            band = CONFIDENT
        else:
            band = UNSURE
        unmatched = [p.lemma for p in reading.positions if p.countable] if band == NONE else []
        return Result(band, hits if band != NONE else [], confidence, features, unmatched)

    def _rank(self, reading: Reading, locale: str, similarities: Similarity | None = None, memo: dict | None = None
              ) -> tuple[list[tuple[int, float]], dict[str, float]]:
        similarity = similarities.mixed if similarities is not None else None
        index, params = self.index, self.index.params
        positions = reading.positions
        unknown = [p for p in positions if not p.known]
        unknown_weight = sum(self._unknown_weight(p.word) for p in unknown)
        scores = index.score([p.candidates for p in positions], locale, unknown_weight, memo)
        ceiling = scores.ceiling
        combined = {}
        for doc in set(scores.bm25) | set(scores.units):
            share = scores.bm25.get(doc, 0.0) / ceiling if ceiling else 0.0
            combined[doc] = share + params.unit * scores.units.get(doc, 0.0)
        if params.pairs:
            for doc, value in index.pair_share([p.candidates for p in positions]).items():
                if doc in combined:
                    combined[doc] += params.pairs * value
        lexical_top = max(combined, key=lambda d: (combined[d], -d)) if combined else None
        if similarity is not None:
            # The embedding signal: every topic near the one the model finds closest gets a bonus that falls off
            # fast with the distance (cosines of this model are squeezed into 0.8–0.95).
            best_sim = max(similarity)
            for doc, sim in enumerate(similarity):
                bonus = params.embed * math.exp((sim - best_sim) / params.embed_temp)
                if bonus > 1e-4:
                    combined[doc] = combined.get(doc, 0.0) + bonus
        # The first RANKED topics (a search shows five at most): no need to sort hundreds.
        ranked = heapq.nsmallest(RANKED, combined.items(), key=lambda kv: (-kv[1], index.documents[kv[0]].slug))
        top = ranked[0][0] if ranked else None
        s1 = ranked[0][1] if ranked else 0.0
        s2 = ranked[1][1] if len(ranked) > 1 else 0.0
        known = scores.known_weight
        features = {
            "covered": scores.bm25.get(top, 0.0) / ceiling if ceiling and top is not None else 0.0,
            "unit": scores.units.get(top, 0.0) if top is not None else 0.0,
            "known_share": known / (known + unknown_weight) if known else 0.0,
            "margin": (s1 - s2) / s1 if s1 else 0.0,
            "positions": float(len(positions)),
            "unknown": float(len(unknown)),
            # How much evidence the top topic has: the summed rarity of the query words it contains. One common
            # word ("дела", "court") is not enough to open an answer, however well it matches.
            "evidence": scores.matched.get(top, 0.0) if top is not None else 0.0,
            # Share of the whole query (unknown words included) found in the top topic's titles and questions.
            "intent": scores.intent.get(top, 0.0) / scores.query_weight if scores.query_weight else 0.0,
            # The rarest query word the top topic does not contain (unknown words count as very rare).
            "missing": max([w for w, docs in zip(scores.position_weights, scores.position_docs, strict=True)
                            if top not in docs] + [self._unknown_weight(p.word) for p in unknown] + [0.0])
                       / index.max_idf,
        }
        features["offtopic"] = self._offtopic(positions, unknown_weight)
        if similarity is not None and top is not None:
            best_sim = max(similarity)
            # How close the model finds the top topic (0.85 is about where unrelated questions sit), and how far
            # it is behind the topic the model alone would pick.
            features["embed"] = max(-1.0, min(1.0, (similarity[top] - 0.85) * 10))
            features["embed_lead"] = min(1.0, (best_sim - similarity[top]) * 10)
            # Both signals pick the same topic.
            features["agree"] = 1.0 if top == lexical_top else 0.0
            # The top topic's closest single way of asking (sharper than the mixed figure; ~0.88 unrelated).
            features["embed_question"] = max(-1.0, min(1.0, (similarities.questions[top] - 0.88) * 10))
        return ranked, features

    def _offtopic(self, positions, unknown_weight: float) -> float:
        """Share of the question (by weight) that no topic is *about*: words in no title or alternative question
        of any topic — only in some body, or nowhere. Questions the knowledge base answers are mostly made of
        words some topic is about; questions about something else are not, even when their words occur in the
        texts ("open a bank account": "bank" and "account" are in one body, about paying a lawyer)."""
        index = self.index
        total = off = unknown_weight
        for p in positions:
            if not p.candidates:
                continue
            weight = index.weight(p.candidates)
            about = max((w * index.general_idf[t] for t, w in p.candidates
                         if t in index.about_terms and t in index.general_idf), default=0.0)
            total += weight
            off += max(0.0, weight - about)
        return off / total if total else 1.0

    def _unknown_weight(self, word: str) -> float:
        """A word no topic contains means the question may be about something else: a noun (or a word the
        dictionary does not know) weighs like a rare term, other words half that."""
        kind = script(word)
        if kind == "cyr":
            if ru_modifier(word):  # "шесть", "вчера", "давно": when or how much, not what about
                return self.index.max_idf * UNKNOWN_OTHER * MODIFIER
            return self.index.max_idf * (UNKNOWN_NOUN if ru_noun_like(word) else UNKNOWN_OTHER)
        if kind in ("lat", "mixed") and len(word) >= 2:
            if word in EN_MODIFIERS:
                return self.index.max_idf * UNKNOWN_OTHER * MODIFIER
            return self.index.max_idf * UNKNOWN_LATIN
        return 0.0


def pack_documents(directory=None) -> list[Document]:
    """The answers of the content pack as search documents (benchmarks and tests; the bot reads the database)."""
    from bot.knowledge.pack import PACK_DIR, read_pack

    topics = read_pack(directory or PACK_DIR)
    return [make_document(t.slug, {loc: (x.title, x.body) for loc, x in t.texts.items()}, t.questions)
            for t in topics if t.kind == "answer" and not t.hidden]
