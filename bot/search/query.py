"""A question as typed → query positions: lemmas, transliteration, wrong layout, typos, synonyms.

Every meaningful word becomes a *position* with candidate terms and weights:
- Cyrillic word: its lemma (1.0); if the index does not know it, the English word it may spell ("пермит" →
  permit, ``TRANSLIT``) and, for words of 5+ letters, the closest index words (``FUZZY`` × similarity);
- Latin word: its English stem (1.0) and the Russian word it may transliterate ("ubezhishche" → убежище,
  ``TRANSLIT``); then typos as above;
- a phrase from the synonym table ("кредибл фир", "bond hearing") replaces its words with its concept.
A query that is mostly Latin letters is also read through the ЙЦУКЕН layout ("rfr yfqnb" → "как найти") when
that gives Russian words; the reading that scores best wins.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.search.analyzer import (
    en_stem,
    is_stop,
    ru_common_word,
    ru_known,
    ru_lemma,
    ru_lemmas,
    ru_modifier,
    stop_slip,
    translit_words,
)
from bot.search.index import Index
from bot.search.text import (
    cyrillic_to_latin,
    latin_share,
    latin_to_cyrillic,
    layout_to_en,
    layout_to_ru,
    normalise,
    query_words,
    script,
    tokens,
)

MAX_QUERY_CHARS = 1000
MAX_POSITIONS = 60
TRANSLIT = 0.9
LAYOUT = 0.95  # a whole query read through the other keyboard layout
FUZZY = 0.7
MODIFIER = 0.5  # an adverb, numeral or ordinal: how or when, not what
FAMILY = 0.6  # a word of the same family ("украинский" for Украина)
FAMILY_MIN_LETTERS = 7
FUZZY_MIN_LETTERS = 5
FUZZY_CUTOFF = 80.0
FUZZY_CUTOFF_LONG = 80.0
SENTENCE = 0.95  # one sentence of a long question, read alone
STORY_POSITIONS = 3  # a question this long, made of several sentences, is also read a sentence at a time
MAX_SENTENCES = 12
_ASKED = re.compile(r"[^.!?;\n]*\?")
_SENTENCES = re.compile(r"[.!?;\n]+\s*|,\s+(?=(?:но|а|и|что|как|где|куда|почему|можно|помогите|подскажите|but|and|how|what|where|can|is|so)\b)")


@dataclass
class Position:
    word: str  # the normalised word (kept in memory for the gap counter's lemma only; never stored)
    candidates: list[tuple[str, float]]  # index term, weight
    lemma: str  # the word's own term (or its concept), for the list of unmatched terms
    countable: bool = False  # may be counted by /gaps: a concept or a common dictionary word, never a name

    @property
    def known(self) -> bool:
        return bool(self.candidates)


@dataclass
class Reading:
    positions: list[Position]
    weight: float  # 1.0, or LAYOUT for a re-typed reading
    text: str | None = None  # the question re-typed through the other layout (for the embedding signal)


_CONTRACTIONS = frozenset(("s", "t", "re", "ve", "ll", "d", "m"))  # "judge's", "don't", "we're"…


@functools.lru_cache(maxsize=100_000)
def _readings_of_word(token: str) -> tuple[tuple[str, float], ...]:
    """The word's own terms before synonyms: [(raw term, weight)], the usual reading first."""
    kind = script(token)
    if "'" in token:
        # An apostrophe inside a Latin word: a soft sign in transliterated Russian ("den'gi", "interv'yu"), or
        # English ("judge's", "don't"), read without it.
        head, _, tail = token.partition("'")
        plain = head if tail in _CONTRACTIONS else token.replace("'", "")
        if kind != "lat":
            return _readings_of_word(plain)
        out = dict(_readings_of_word(plain))
        for v in translit_words(token)[:2]:
            lemma = ru_lemma(v)
            if TRANSLIT > out.get(lemma, 0.0):
                out[lemma] = TRANSLIT
        return tuple(out.items())
    if kind == "cyr":
        if not ru_known(token):  # "и" typed for "й" ("днеи", "какои")
            for i, ch in enumerate(token):
                if ch == "и" and ru_known(fixed := token[:i] + "й" + token[i + 1:]):
                    return tuple((lemma, 1.0) for lemma in ru_lemmas(fixed))
        out = [(lemma, 1.0) for lemma in ru_lemmas(token)]
        if not ru_known(token):  # an English word in Cyrillic ("пермит"); a Russian word ("сим") is not "seem"
            for latin in cyrillic_to_latin(token, limit=6):
                out.append((en_stem(latin), TRANSLIT))
        return tuple(out)
    if kind == "lat":
        out = [(en_stem(token), 1.0)]
        variants = latin_to_cyrillic(token)
        known = list(translit_words(token))
        if len(token) < 3:  # "go" is not "го": a two-letter Russian word typed in Latin is a function word
            known = [v for v in known if is_stop(ru_lemma(v))]
            variants = known
        for v in (known[:2] or variants[:1]):
            out.append((ru_lemma(v), TRANSLIT if v in known else TRANSLIT * 0.9))
        return tuple(out)
    return ((token, 1.0),)


DERIVED_LETTERS = 3


def _derived(a: str, b: str) -> bool:
    short, long = sorted((a, b), key=len)
    return len(long) - len(short) >= DERIVED_LETTERS and long.startswith(short)


class QueryAnalyzer:
    def __init__(self, index: Index) -> None:
        self.index = index
        self._keys = {k: tuple(v) for k, v in index.vocab_keys.items()}
        self._fuzzy_cache: dict[tuple[str, str, bool], tuple[tuple[str, float], ...]] = {}

    def _fuzzy(self, term: str, vocab: str, strict: bool = False) -> tuple[tuple[str, float], ...]:
        """The closest index words (at most 3, similarity ≥ FUZZY_CUTOFF), as (word, similarity 0..1).
        ``strict``: ``term`` is itself a guess (a transliteration that is no dictionary word), so a looser match
        for long words is not allowed: "yesterday" read as "естерда" is not a slip for "сестра"."""
        key = (term, vocab, strict)
        found = self._fuzzy_cache.get(key)
        if found is None:
            cutoff = FUZZY_CUTOFF if len(term) <= 6 or strict else FUZZY_CUTOFF_LONG  # two slips in a long word
            matches = process.extract(term, self._keys[vocab], scorer=fuzz.ratio, score_cutoff=cutoff, limit=4)
            # A word that is the start of a longer one, or the other way round, is another word of the same
            # family ("citizen" / "citizenship"), not a slip of the finger: it may mean something else.
            found = tuple((match, score / 100.0) for match, score, _ in matches
                          if not _derived(term, match))[:3]
            if len(self._fuzzy_cache) > 50_000:
                self._fuzzy_cache.clear()
            self._fuzzy_cache[key] = found
        return found

    def readings(self, query: str) -> list[Reading]:
        text = normalise(query[:MAX_QUERY_CHARS])
        readings = [Reading(self._positions(text), 1.0)]
        # A long story: each sentence is also read alone, since the question is usually one of them.
        sentences = [x for x in _SENTENCES.split(text) if tokens(x)]
        if len(sentences) > 1 and len(readings[0].positions) >= STORY_POSITIONS:
            # The sentences that end with "?" are the questions asked.
            asked = {_SENTENCES.split(chunk.rstrip("?"))[-1].strip() for chunk in _ASKED.findall(text)}
            for sentence in sentences[:MAX_SENTENCES]:
                positions = self._positions(sentence)
                # One word alone ("is there any way out?") is not the question of a story, unless it was asked
                # as one and names a concept of the synonym table ("Хабеус что это?", "Бонд хиринг?").
                known = [p for p in positions if p.known]
                if len(known) >= 2 or (sentence.strip() in asked and known
                                       and known[0].candidates[0][0].startswith("@")):
                    readings.append(Reading(positions, SENTENCE))
        if latin_share(text) >= 0.6:
            converted = layout_to_ru(text)
            words = [w for w in tokens(converted) if len(w) > 1]
            if words and sum(self._ru_word(w) for w in words) >= max(1, len(words) / 2):
                readings.append(Reading(self._positions(converted), LAYOUT, converted))
        elif latin_share(text) <= 0.4:
            converted = layout_to_en(text)
            words = [w for w in tokens(converted) if len(w) > 1]
            known = sum(en_stem(w) in self.index.terms or is_stop(en_stem(w)) for w in words)
            if words and known >= max(1, len(words) * 0.6):
                readings.append(Reading(self._positions(converted), LAYOUT, converted))
        return readings

    def _ru_word(self, word: str) -> bool:
        """A Russian word: in the dictionary, or a word the texts or the synonym table use ("детеншн", "пэрол")."""
        return ru_known(word) or word in self.index.vocab["cyr"] or ru_lemma(word) in self.index.vocab["cyr"]

    def _positions(self, text: str) -> list[Position]:
        index, synonyms = self.index, self.index.synonyms
        words = query_words(text)[: MAX_POSITIONS * 2]
        raw = [_readings_of_word(w) for w in words]
        # Phrases from the synonym table, over any reading of each word ("kredibl fir" → кредибл фир → @cfi).
        found: list[tuple[int, int, str]] = []  # (start, end, concept)
        for start in range(len(words)):
            # Grow every reading of the words from ``start`` while it is still the beginning of a phrase.
            frontier: list[tuple[str, ...]] = [(t,) for t, _ in raw[start][:4] if (t,) in synonyms.prefixes]
            end = start + 1
            while frontier and end < len(words):
                grown = []
                for prefix in frontier:
                    for t, _ in raw[end][:4]:
                        candidate = (*prefix, t)
                        if candidate in synonyms.phrases:
                            found.append((start, end + 1, synonyms.phrases[candidate]))
                        if candidate in synonyms.prefixes:
                            grown.append(candidate)
                frontier, end = grown[:16], end + 1
        taken = [False] * len(words)
        phrase_at: dict[int, tuple[int, str]] = {}
        for start, end, concept in sorted(found, key=lambda f: (f[0] - f[1], f[0])):  # longest first
            if not any(taken[start:end]):
                phrase_at[start] = (end, concept)
                taken[start:end] = [True] * (end - start)
        positions: list[Position] = []
        i = 0
        while i < len(words) and len(positions) < MAX_POSITIONS:
            if i in phrase_at:
                end, concept = phrase_at[i]
                candidates = [(concept, 1.0)] if concept in index.terms else []
                positions.append(Position(" ".join(words[i:end]), candidates, concept, countable=True))
                i = end
                continue
            position = self._word_position(words[i], raw[i])
            if position is not None:
                positions.append(position)
            i += 1
        # The same word twice counts once.
        seen: set[tuple] = set()
        unique = []
        for p in positions:
            key = tuple(sorted(p.candidates)) or (p.lemma,)
            if key not in seen:
                seen.add(key)
                unique.append(p)
        return unique

    def _family(self, lemma: str) -> list[tuple[str, float]]:
        """Index words of the same family as a dictionary word the texts do not use: the shorter of the two (7+
        letters) is, but for its last letter, the start of the longer ("украинский" → украина, "подпись" →
        подписать)."""
        out = []
        for raw in self.index.family.get(lemma[:5], ()):
            short = min(len(raw), len(lemma))
            if short < FAMILY_MIN_LETTERS:
                continue
            common = next((i for i, (a, b) in enumerate(zip(raw, lemma, strict=False)) if a != b), short)
            if common == short - 1:  # an ending apart; "диплом" is not "дипломатический"
                out.append((self.index.vocab["cyr"][raw], FAMILY))
        return out

    def _word_position(self, word: str, readings: list[tuple[str, float]]) -> Position | None:
        index, synonyms = self.index, self.index.synonyms
        lemma = readings[0][0]
        kind = script(word)
        if len(word) < 2 and not word.isdigit():
            return None
        if is_stop(lemma):
            return None
        if len(word) >= 3 and not any(w >= 1.0 and t in index.terms for t, w in readings) \
                and word not in index.vocab.get(kind, ()) and stop_slip(word) \
                and not (kind == "cyr" and ru_known(word)) and not (kind == "lat" and translit_words(word)):
            return None  # a slip in a function word ("мжно", "таакое", "shhould"): as little meaning as the word
        candidates: dict[str, float] = {}
        stop_reading = False
        for raw, weight in readings:
            if is_stop(raw):
                stop_reading = stop_reading or weight >= TRANSLIT * 0.9
                continue
            term = synonyms.concept(raw)
            if term in index.terms and weight > candidates.get(term, 0.0):
                candidates[term] = weight
        if stop_reading and (not candidates or len(word) <= 3):
            return None  # "kak", "v", "na", "iz": a transliterated function word
        # A word spelt right is not a typo: a Russian dictionary word or a word of the synonym table that the
        # texts do not use means the question is about something they do not cover ("налоги", "taxes").
        spelt_right = (kind == "cyr" and ru_known(word)) or synonyms.concept(lemma).startswith("@")
        if not any(w >= 1.0 for w in candidates.values()) and len(word) >= FUZZY_MIN_LETTERS and not spelt_right:
            # Typos: the closest words the index knows, for the word as typed, its lemma and its transliteration.
            for raw, weight in ((word, 1.0), *readings[:3]):
                vocab = script(raw)
                if vocab not in index.vocab:
                    continue
                for match, similarity in self._fuzzy(raw, vocab, strict=weight < TRANSLIT):
                    term = index.vocab[vocab][match]
                    value = FUZZY * weight * similarity
                    if value > candidates.get(term, 0.0):
                        candidates[term] = value
        if kind == "cyr" and spelt_right and not candidates and not synonyms.concept(lemma).startswith("@"):
            for term, weight in self._family(lemma):
                candidates[term] = max(candidates.get(term, 0.0), weight)
        if kind == "num" and not candidates:
            return None  # a number the texts never mention: a date or a count, not a topic
        term = synonyms.concept(lemma)
        if kind == "cyr" and not term.startswith("@") and ru_modifier(word):
            candidates = {t: w * MODIFIER for t, w in candidates.items()}
        countable = term.startswith("@") or (kind == "cyr" and ru_common_word(word))
        return Position(word, sorted(candidates.items(), key=lambda kv: -kv[1])[:6], term, countable)
