"""The search index: BM25F over lemmas and concepts, plus the best-matching single question of each topic.

Each topic is one document with up to six fields: title, questions and body in Russian and in English. For a
query in language L, fields in L count fully and fields in the other language at ``other_language`` of their
weight: the user's own language is searched first, and a Russian speaker who types English words still finds
the topic (and is shown its Russian text).

A query is a list of *positions* (one per meaningful word or recognised phrase); each position has candidate
terms with weights (the exact lemma 1.0; a transliterated, re-typed or fuzzy reading less). Two scores per topic:

- **BM25F**: per position, the best candidate's ``weight × idf × saturated field-weighted term frequency``,
  summed; divided by what the query could score at most, it is the share of the query the topic explains.
- **question match**: the topic's title and each of its alternative questions is a *unit*; a unit's match is
  (matched weight)² / (query weight × unit weight) — high only when the query and one way of asking the
  topic's question say mostly the same thing. Words no topic contains add to the query weight, so a question
  about something else scores low even when one of its words is common in the texts.

Term rarity (idf) is counted mostly over titles and questions: a word every answer body uses ("юрист": every text
says "ask a lawyer") still tells topics apart when only a few topics are *about* it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import pairwise
from typing import NamedTuple

from bot.search.analyzer import Synonyms, document_terms, word_term
from bot.search.text import latin_share, normalise, script, tokens

LOCALES = ("ru", "en")
FIELDS = ("title", "questions", "body")


@dataclass(frozen=True)
class Params:
    """Ranking parameters; bench.search prints the figures they give (see README, "Search")."""

    title: float = 3.0
    questions: float = 2.5
    body: float = 1.0
    other_language: float = 0.5
    k1: float = 1.6
    b: float = 0.6
    body_df: float = 0.3  # a topic that has a word only in its body counts this much towards the word's rarity
    # Weight of the question match against the BM25F share when ranking (chosen on training questions ranked as new
    # ones: the pack's alternative questions echo the labelled ones, and ranked as typed, 1.5 won).
    unit: float = 0.5
    # The embedding signal, when there is one (bot/search/embed.py): the bonus of the topic the model finds
    # closest, and how fast the bonus falls for the others (a cosine this much lower: e⁻¹ of it).
    embed: float = 0.5
    embed_temp: float = 0.02
    # Two query words next to each other that are next to each other in one of a topic's questions or titles
    # ("суд мужа", "dismiss case"): near-duplicate topics share words, less often word pairs. The bonus for a
    # topic that has every adjacent pair of the query.
    pairs: float = 0.8


@dataclass
class Document:
    slug: str
    titles: dict[str, str]  # locale → title
    fields: dict[tuple[str, str], str]  # (locale, field) → plain text; questions one per line
    snippets: dict[str, str] = field(default_factory=dict)  # locale → one line of the body


@dataclass(frozen=True)
class Scores:
    bm25: dict[int, float]  # document → BM25F score
    units: dict[int, float]  # document → its best unit match (0..1)
    ceiling: float  # per position the best BM25F value of any document, summed
    matched: dict[int, float]  # document → summed weight × idf of the query words it contains
    known_weight: float  # summed weight × idf of the query words the index knows
    intent: dict[int, float]  # document → summed weight × idf of query words in its titles and questions
    query_weight: float  # known_weight plus the weight of the words no topic contains
    position_weights: list[float]  # per position: its weight × idf
    position_docs: list[dict[int, float]]  # per position: document → the weight × idf it matched there


class PositionMatches(NamedTuple):
    """What one position of a query matches (``Index.position_matches``)."""

    best: dict[int, float]  # document → its best BM25F value for the position
    rarity: dict[int, float]  # document → weight × idf of the candidate that gave it
    units: dict[int, float]  # unit → its best value (weight × general idf, the other language's at a discount)
    intent: dict[int, float]  # document → the best of its units' values
    top: float  # the best BM25F value of any document (the position's part of the ceiling)
    weight: float  # the position's weight in the question (``Index.weight``)


class Index:
    """Immutable once built; a rebuild makes a new one and swaps it in."""

    def __init__(self, documents: list[Document], synonyms: Synonyms, params: Params | None = None) -> None:
        params = params or Params()
        self.documents = documents
        self.synonyms = synonyms
        self.params = params
        n = len(documents)
        field_terms: list[dict[tuple[str, str], dict[str, int]]] = []
        units: list[tuple[int, str, list[str]]] = []  # (doc, locale, terms)
        # Where each unit comes from: (doc, locale, field, line number); bench.search leaves units out with it.
        self.unit_source: list[tuple[int, str, str, int]] = []
        lengths: dict[tuple[str, str], list[int]] = defaultdict(list)
        raw_terms: dict[str, str] = {}  # every word's own term (and Snowball stem) → the index term
        for i, doc in enumerate(documents):
            per_field: dict[tuple[str, str], dict[str, int]] = {}
            for (locale, name), text in doc.fields.items():
                counts: dict[str, int] = defaultdict(int)
                for line_no, line in enumerate(text.split("\n")):
                    # A Russian question typed in Latin letters ("zalog iz detenshena") is read as Russian.
                    translit = name == "questions" and locale == "ru" and latin_share(normalise(line)) > 0.5
                    terms = document_terms(line, synonyms, translit=translit)
                    for term in terms:
                        counts[term] += 1
                    if name != "body" and terms:
                        unit = document_terms(line, synonyms, translit=translit, phrases_replace=True)
                        units.append((i, locale, list(dict.fromkeys(unit))))
                        self.unit_source.append((i, locale, name, line_no))
                for token in tokens(text):
                    raw = word_term(token)
                    raw_terms.setdefault(raw, synonyms.concept(raw))
                    raw_terms.setdefault(token, synonyms.concept(raw))  # the form as written, for typos
                per_field[(locale, name)] = counts
                lengths[(locale, name)].append(sum(counts.values()))
            field_terms.append(per_field)
        average = {key: (sum(v) / len(v) if v else 1.0) or 1.0 for key, v in lengths.items()}
        weights = {"title": params.title, "questions": params.questions, "body": params.body}

        doc_freq: dict[str, float] = defaultdict(float)
        for per_field in field_terms:
            intent = {t for (_, name), counts in per_field.items() if name != "body" for t in counts}
            for term in {t for counts in per_field.values() for t in counts}:
                doc_freq[term] += 1.0 if term in intent else params.body_df
        self.idf = {t: math.log(1 + (n - df + 0.5) / (df + 0.5)) for t, df in doc_freq.items()}
        # Plain rarity over whole texts, for how much of a question a topic explains: words of everyday language
        # ("неделя", "второй") are in many bodies, so they weigh little there however rare they are in titles.
        all_freq: dict[str, int] = defaultdict(int)
        for per_field in field_terms:
            for term in {t for counts in per_field.values() for t in counts}:
                all_freq[term] += 1
        self.general_idf = {t: math.log(1 + (n - df + 0.5) / (df + 0.5)) for t, df in all_freq.items()}
        self.max_idf = math.log(1 + (n + 0.5) / 0.5) if n else 1.0

        # Per query language: term → [(doc, saturated tf)], the field weights of that language already applied.
        self.postings: dict[str, dict[str, list[tuple[int, float]]]] = {}
        for query_locale in LOCALES:
            table: dict[str, list[tuple[int, float]]] = defaultdict(list)
            for i, per_field in enumerate(field_terms):
                combined: dict[str, float] = defaultdict(float)
                for (locale, name), counts in per_field.items():
                    length = sum(counts.values())
                    norm = 1 - params.b + params.b * length / average[(locale, name)]
                    weight = weights[name] * (1.0 if locale == query_locale else params.other_language)
                    for term, tf in counts.items():
                        combined[term] += weight * tf / norm
                for term, tf in combined.items():
                    table[term].append((i, (params.k1 + 1) * tf / (params.k1 + tf)))
            self.postings[query_locale] = dict(table)

        # The words each topic is *about*: its titles and questions, in both languages.
        self.intent_terms = [{t for (_, name), counts in per_field.items() if name != "body" for t in counts}
                             for per_field in field_terms]
        # Every term some topic is about: a question whose words are only in the bodies (a bank account, a bus
        # ticket) is about something else, however well those words match.
        self.about_terms = frozenset().union(*self.intent_terms) if self.intent_terms else frozenset()

        # Units: term → [unit]; each unit's own weight (sum of its terms' idf).
        self.unit_doc = [doc for doc, _, _ in units]
        self.unit_locale = [locale for _, locale, _ in units]
        self.unit_mass = [sum(self.general_idf[t] for t in terms) for _, _, terms in units]
        unit_postings: dict[str, list[int]] = defaultdict(list)
        for u, (_, _, terms) in enumerate(units):
            for term in terms:
                unit_postings[term].append(u)
        self.unit_postings = dict(unit_postings)
        # Adjacent term pairs (either order) of every unit → the documents that have them.
        pair_docs: dict[frozenset[str], set[int]] = defaultdict(set)
        for doc, _, terms in units:
            for a, b in pairwise(terms):
                if a != b:
                    pair_docs[frozenset((a, b))].add(doc)
        self.pair_docs = {k: frozenset(v) for k, v in pair_docs.items()}

        # Vocabularies for typo matching and transliteration, by script: a word's own term → index term.
        self.terms = set(self.idf)
        known = {**dict(synonyms.words), **dict(synonyms.surface), **raw_terms}
        self.vocab: dict[str, dict[str, str]] = {"cyr": {}, "lat": {}}
        for raw, term in known.items():
            if term in self.terms and script(raw) in self.vocab:
                self.vocab[script(raw)][raw] = term
        self.vocab_keys = {k: list(v) for k, v in self.vocab.items()}
        # Russian words by their first five letters, to find a word of the same family ("украинский" → Украина).
        family: dict[str, list[str]] = defaultdict(list)
        for raw in self.vocab["cyr"]:
            if len(raw) >= 5:
                family[raw[:5]].append(raw)
        self.family = dict(family)

    def __len__(self) -> int:
        return len(self.documents)

    def pair_share(self, positions: list[list[tuple[str, float]]]) -> dict[int, float]:
        """Per document, the share of the query's adjacent position pairs found adjacent in one of its units
        (each pair counted at its candidates' weights)."""
        pairs = [(a, b) for a, b in pairwise(positions) if a and b]
        if not pairs:
            return {}
        found: dict[int, float] = defaultdict(float)
        for left, right in pairs:
            best: dict[int, float] = {}
            for ta, wa in left[:4]:
                for tb, wb in right[:4]:
                    docs = self.pair_docs.get(frozenset((ta, tb)))
                    if docs:
                        w = min(wa, wb)
                        for doc in docs:
                            if w > best.get(doc, 0.0):
                                best[doc] = w
            for doc, w in best.items():
                found[doc] += w
        return {doc: v / len(pairs) for doc, v in found.items()}

    def position_matches(self, candidates: list[tuple[str, float]], locale: str) -> PositionMatches:
        """What one position of a query (its candidate terms) matches, for a question in ``locale``."""
        postings = self.postings.get(locale) or self.postings[LOCALES[0]]
        other = self.params.other_language
        best: dict[int, float] = {}
        rarity: dict[int, float] = {}
        best_unit: dict[int, float] = {}
        for term, weight in candidates:
            idf = self.idf.get(term)
            if idf is None:
                continue
            value = weight * idf
            general = weight * self.general_idf[term]
            for doc, sat in postings.get(term, ()):
                if value * sat > best.get(doc, 0.0):
                    best[doc] = value * sat
                    rarity[doc] = value
            for u in self.unit_postings.get(term, ()):
                v = general if self.unit_locale[u] == locale else general * other
                if v > best_unit.get(u, 0.0):
                    best_unit[u] = v
        intent_best: dict[int, float] = {}
        unit_doc = self.unit_doc
        for u, value in best_unit.items():
            doc = unit_doc[u]
            if value > intent_best.get(doc, 0.0):
                intent_best[doc] = value
        return PositionMatches(best, rarity, best_unit, intent_best, max(best.values(), default=0.0),
                               self.weight(candidates))

    def weight(self, candidates: list[tuple[str, float]]) -> float:
        """How much one position weighs in the question: its likeliest reading's weight × general idf (of equally
        likely readings, the rarest). Not the largest product: a far-fetched guess at a rare word ("rodnym" read
        as a slip for "родиться") would make the question weigh more than anything can match."""
        known = [(w, self.general_idf[t]) for t, w in candidates if t in self.general_idf]
        if not known:
            return 0.0
        top = max(w for w, _ in known)
        return top * max(idf for w, idf in known if w >= top - 1e-9)

    def score(self, positions: list[list[tuple[str, float]]], locale: str, unknown_weight: float = 0.0,
              memo: dict | None = None) -> Scores:
        """BM25F per document, each document's best unit match, and how much rarity each document matched.

        ``ceiling`` sums, per position, the best BM25F value any document reaches: a document that is the best
        match for every word of the query scores the whole ceiling. ``unknown_weight``: the weight of the
        query's words that no topic contains (they make every unit match smaller).
        ``memo``: one dict per query, shared by its readings (a long message and each of its sentences): a word's
        matches are looked up once."""
        bm25: dict[int, float] = defaultdict(float)
        matched: dict[int, float] = defaultdict(float)
        intent: dict[int, float] = defaultdict(float)
        unit_matched: dict[int, float] = defaultdict(float)
        ceiling = 0.0
        query_weight = unknown_weight
        weights: list[float] = []
        per_position: list[dict[int, float]] = []
        for candidates in positions:
            key = (locale, tuple(candidates))
            found = memo.get(key) if memo is not None else None
            if found is None:
                found = self.position_matches(candidates, locale)
                if memo is not None:
                    memo[key] = found
            for doc, value in found.best.items():
                bm25[doc] += value
                matched[doc] += found.rarity[doc]
            for u, value in found.units.items():
                unit_matched[u] += value
            for doc, value in found.intent.items():
                intent[doc] += value
            ceiling += found.top
            query_weight += found.weight
            weights.append(found.weight)
            per_position.append(found.rarity)
        units: dict[int, float] = {}
        if query_weight:
            unit_doc, unit_mass = self.unit_doc, self.unit_mass
            for u, value in unit_matched.items():
                share = value * value / (query_weight * unit_mass[u])
                doc = unit_doc[u]
                if share > units.get(doc, 0.0):
                    units[doc] = share
            units = {doc: min(1.0, share) for doc, share in units.items()}
        return Scores(dict(bm25), units, ceiling, dict(matched), query_weight - unknown_weight, dict(intent),
                      query_weight, weights, per_position)
