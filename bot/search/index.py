"""The search index: BM25F over lemmas and concepts, per field (title, alternative questions, body) and language.

Each topic is one document with up to six fields: title, questions and body in Russian and in English. For a
query in language L, fields in L count fully and fields in the other language at ``OTHER_LANGUAGE`` of their
weight: the user's own language is searched first, and a Russian speaker who types English words still finds
the topic (and is shown its Russian text).

A query is a list of *positions* (one per meaningful word or recognised phrase); each position has candidate
terms with weights (the exact lemma 1.0; a transliterated, re-typed or fuzzy reading less). A document's score
sums, per position, the best candidate's ``weight × idf × saturated term frequency``, so a word counts once
whichever reading of it matched.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from bot.search.analyzer import Synonyms, document_terms, word_term
from bot.search.text import script, tokens

LOCALES = ("ru", "en")
FIELDS = ("title", "questions", "body")


@dataclass(frozen=True)
class Params:
    """Ranking parameters; bench.search prints the figures they give (see README, "Search")."""

    title: float = 3.0
    questions: float = 2.0
    body: float = 1.0
    other_language: float = 0.7
    k1: float = 1.2
    b: float = 0.6


@dataclass
class Document:
    slug: str
    titles: dict[str, str]  # locale → title
    fields: dict[tuple[str, str], str]  # (locale, field) → plain text
    snippets: dict[str, str] = field(default_factory=dict)  # locale → one line of the body


@dataclass(frozen=True)
class Posting:
    doc: int
    sat: float  # saturated, length-normalised, field-weighted term frequency, (k1 + 1)·tf / (k1 + tf)


class Index:
    """Immutable once built; a rebuild makes a new one and swaps it in."""

    def __init__(self, documents: list[Document], synonyms: Synonyms, params: Params | None = None) -> None:
        params = params or Params()
        self.documents = documents
        self.synonyms = synonyms
        self.params = params
        n = len(documents)
        # Terms per (doc, locale, field) and average field lengths.
        field_terms: list[dict[tuple[str, str], dict[str, int]]] = []
        lengths: dict[tuple[str, str], list[int]] = defaultdict(list)
        raw_terms: dict[str, str] = {}  # every word's own term → the term the index uses (concept or itself)
        for doc in documents:
            per_field: dict[tuple[str, str], dict[str, int]] = {}
            for key, text in doc.fields.items():
                counts: dict[str, int] = defaultdict(int)
                for term in document_terms(text, synonyms):
                    counts[term] += 1
                for token in tokens(text):
                    raw = word_term(token)
                    raw_terms.setdefault(raw, synonyms.concept(raw))
                per_field[key] = counts
                lengths[key[1] + key[0]].append(sum(counts.values()))
            field_terms.append(per_field)
        average = {key: (sum(v) / len(v) if v else 1.0) or 1.0 for key, v in lengths.items()}
        weights = {"title": params.title, "questions": params.questions, "body": params.body}

        doc_freq: dict[str, int] = defaultdict(int)
        for per_field in field_terms:
            for term in {t for counts in per_field.values() for t in counts}:
                doc_freq[term] += 1
        self.idf = {t: math.log(1 + (n - df + 0.5) / (df + 0.5)) for t, df in doc_freq.items()}
        self.max_idf = math.log(1 + (n + 0.5) / 0.5) if n else 1.0

        # Per query language: term → postings, the field weights of that language already applied.
        self.postings: dict[str, dict[str, list[Posting]]] = {}
        for query_locale in LOCALES:
            table: dict[str, dict[int, float]] = defaultdict(dict)
            for i, per_field in enumerate(field_terms):
                combined: dict[str, float] = defaultdict(float)
                for (locale, name), counts in per_field.items():
                    length = sum(counts.values())
                    norm = 1 - params.b + params.b * length / average[name + locale]
                    weight = weights[name] * (1.0 if locale == query_locale else params.other_language)
                    for term, tf in counts.items():
                        combined[term] += weight * tf / norm
                for term, tf in combined.items():
                    table[term][i] = (params.k1 + 1) * tf / (params.k1 + tf)
            self.postings[query_locale] = {t: [Posting(d, s) for d, s in docs.items()] for t, docs in table.items()}

        # Vocabularies for typo matching and transliteration, by script: the word's own term → index term.
        self.terms = set(self.idf)
        known = {**{w: c for w, c in synonyms.words.items()}, **raw_terms}
        self.vocab: dict[str, dict[str, str]] = {"cyr": {}, "lat": {}}
        for raw, term in known.items():
            if term in self.terms and script(raw) in self.vocab:
                self.vocab[script(raw)][raw] = term
        self.vocab_keys = {k: list(v) for k, v in self.vocab.items()}

    def __len__(self) -> int:
        return len(self.documents)

    def score(self, positions: list[list[tuple[str, float]]], locale: str) -> dict[int, float]:
        postings = self.postings.get(locale) or self.postings[LOCALES[0]]
        totals: dict[int, float] = defaultdict(float)
        for candidates in positions:
            best: dict[int, float] = {}
            for term, weight in candidates:
                idf = self.idf.get(term)
                if idf is None:
                    continue
                for posting in postings.get(term, ()):
                    value = weight * idf * posting.sat
                    if value > best.get(posting.doc, 0.0):
                        best[posting.doc] = value
            for doc, value in best.items():
                totals[doc] += value
        return totals

    def ceiling(self, candidates: list[tuple[str, float]]) -> float:
        """The most one position can add to a score (its best candidate, fully matched)."""
        return max((w * self.idf[t] for t, w in candidates if t in self.idf), default=0.0) * (self.params.k1 + 1)
