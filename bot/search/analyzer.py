"""Words → search terms: Russian lemmas (pymorphy3), English stems (Snowball), synonyms as shared concepts.

A *term* is what the index stores and the query looks up:
- a Russian lemma ("перевели" → "перевести"), ё written as е;
- an English Snowball stem ("hearings" → "hear");
- a number ("589");
- a concept from the synonym table, written ``@name`` ("залог", "бонд", "bond", "bail" → "@bond").

The same function analyses the texts and the queries, so both sides always agree.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

import pymorphy3
import snowballstemmer
import yaml
from rapidfuzz.distance import OSA

from bot.search.text import latin_to_cyrillic, query_words, script, soft_sign_variants, tokens

SYNONYMS_FILE = Path(__file__).resolve().parent / "synonyms.yaml"

# Function words and question words: they say nothing about which topic is meant. Lemmas (ru) and stems (en).
RU_STOP = frozenset("""
а без бы быть в вам вас ваш во вот все всё вы где да даже для до его ее если есть еще же за здесь и из или им
их к как какой когда кто ли либо мне мной мой мы на над надо наш не нет него нее ни но ну о об около он она они
оно от по под при про с со так также такой там то тогда тоже только тот ты у уже хотя что чтобы чей это этот
я себя свой весь сам который мочь можно нужно нужный сказать подсказать пожалуйста спасибо привет здравствуйте
добрый день вечер утро ребята подскажите подсказка нибудь очень просто вообще сюда туда отсюда оттуда через перед между среди кроме вместо ради возле
теперь сейчас ещё потом почему зачем сколько куда откуда быть бывать делать сделать сей пора много мало раз
всего вдруг наверное тут потому поэтому ведь уж либо нибудь зато впрочем также итак значит тогда разве неужели
будто словно ибо пока пусть давай давайте чей ещё вот-вот куда-то где-то ничего никто никак нигде никогда иногда
всегда часто сразу просто очень совсем почти уже именно лишь только даже хоть может точно ладно блин вроде какой-то здравствуй хотеть знать понять понимать
""".split())
EN_STOP_WORDS = tuple("""
a about after again all am an and any are as at be been before being both but by can could did do does doing
down during each few for from further had has have having he her here hers him his how i if in into is it its
just me more most my no nor not now of off on once only or other our out over own same she should so some such
than that the their them then there these they this those through to too under until up very was we were what
when where which while who whom why will with would you your yours please hi hello thanks thank anyone someone
know need tell me get another other also still because since though although unless whether either neither
really just already even ever maybe perhaps anyway however therefore so such very much many lot lots thing things
something anything nothing everything someone anyone everyone somebody anybody nobody there's it's that's what's i've
i'd i'll you're we're they're isn't aren't wasn't weren't doesn't didn't won't wouldn't shouldn't couldn't got let lets want wanna gonna can't cannot dont don't im i'm
don won didn doesn isn aren wasn weren wouldn shouldn couldn haven hasn ll ve re
""".split())
EN_STOP = frozenset(snowballstemmer.stemmer("english").stemWords(EN_STOP_WORDS))

_morph = pymorphy3.MorphAnalyzer()
_english = snowballstemmer.stemmer("english")


_russian = snowballstemmer.stemmer("russian")


@functools.cache
def _ru_stop_forms() -> dict[int, tuple[str, ...]]:
    """Every form of the Russian function words (можно, какие, через, будет…), by length."""
    forms: set[str] = set()
    for lemma in RU_STOP:
        forms.add(lemma)
        for parse in _morph.parse(lemma)[:1]:
            forms.update(f.word.replace("ё", "е") for f in parse.lexeme)
    by_length: dict[int, list[str]] = {}
    for form in forms:
        if len(form) >= 2 and "-" not in form:
            by_length.setdefault(len(form), []).append(form)
    return {n: tuple(sorted(v)) for n, v in by_length.items()}


@functools.cache
def _en_stop_forms() -> dict[int, tuple[str, ...]]:
    by_length: dict[int, list[str]] = {}
    for word in EN_STOP_WORDS:
        if word.isalpha() and len(word) >= 2:
            by_length.setdefault(len(word), []).append(word)
    return {n: tuple(sorted(v)) for n, v in by_length.items()}


@functools.lru_cache(maxsize=50_000)
def stop_slip(word: str) -> bool:
    """Is this (not a word the dictionary or the texts know) one slip away from a function word: a letter dropped,
    added, replaced or two letters swapped ("мжно", "таакое", "чеерз", "бует"; "shhould", "sommeone", "whhich")?
    Only words of 3+ letters."""
    if len(word) < 3:
        return False
    kind = script(word)
    forms = _ru_stop_forms() if kind == "cyr" else _en_stop_forms() if kind == "lat" else {}
    for n in (len(word) - 1, len(word), len(word) + 1):
        for form in forms.get(n, ()):
            if form[0] == word[0] and OSA.distance(word, form, score_cutoff=1) <= 1:
                return True
    return False


@functools.lru_cache(maxsize=200_000)
def ru_lemma(word: str) -> str:
    """The dictionary lemma of a Russian word; for a word the dictionary does not know (slang, English words in
    Cyrillic: "детеншене", "кредибла") a Snowball stem, which stays the same across endings where pymorphy3's
    guesses do not."""
    if ru_known(word):
        return _morph.parse(word)[0].normal_form.replace("ё", "е")
    return _russian.stemWord(word)


@functools.lru_cache(maxsize=200_000)
def ru_known(word: str) -> bool:
    """Is this a word of the Russian dictionary (not a guess of the predictor)?"""
    return len(word) > 1 and _morph.word_is_known(word)


_PERSONAL_TAGS = frozenset({"Name", "Surn", "Patr", "Geox", "Orgn", "Trad", "Abbr", "Init"})


@functools.lru_cache(maxsize=50_000)
def ru_common_word(word: str) -> bool:
    """A dictionary word that is not a name, surname, patronymic, place, organisation or abbreviation in any of
    its readings: the only kind of word the gap counter may count."""
    return ru_known(word) and not any(_PERSONAL_TAGS & p.tag.grammemes for p in _morph.parse(word))


@functools.lru_cache(maxsize=50_000)
def ru_noun_like(word: str) -> bool:
    """A noun (in its likeliest reading), or a word the dictionary does not know (slang, English in Cyrillic)."""
    if not ru_known(word):
        return True
    return _morph.parse(word)[0].tag.POS == "NOUN"


_MODIFIER_POS = frozenset({"ADVB", "NUMR"})
# The same in English, for words no text contains: numbers and times say when or how much, not what about.
EN_MODIFIERS = frozenset("""
one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty hundred thousand first
second third fourth fifth once twice ago yesterday today tomorrow tonight lately recently soon already ever never
""".split())


@functools.lru_cache(maxsize=50_000)
def ru_modifier(word: str) -> bool:
    """An adverb, a numeral or an ordinal ("срочно", "давно", "второй", "пять"): it says how or when, not what the
    question is about, in its likeliest reading."""
    if not ru_known(word):
        return False
    tag = _morph.parse(word)[0].tag
    return tag.POS in _MODIFIER_POS or "Anum" in tag.grammemes


@functools.lru_cache(maxsize=200_000)
def en_stem(word: str) -> str:
    return _english.stemWord(word)


def word_term(token: str) -> str:
    """The term of one normalised token, without synonyms."""
    kind = script(token)
    if kind == "cyr":
        return ru_lemma(token)
    if kind == "lat":
        return en_stem(token)
    return token


def is_stop(term: str) -> bool:
    return term in RU_STOP or term in EN_STOP or (len(term) < 2 and not term.isdigit())


@dataclass(frozen=True)
class Synonyms:
    """Single words map to a concept (they are replaced); phrases add their concept where they occur."""

    words: dict[str, str]
    phrases: dict[tuple[str, ...], str]
    longest: int
    prefixes: frozenset[tuple[str, ...]] = frozenset()  # every beginning of a phrase, for a quick search
    surface: dict[str, str] = field(default_factory=dict)  # single words as written in the table → concept

    @classmethod
    def from_groups(cls, groups: list[list[str]]) -> Synonyms:
        words: dict[str, str] = {}
        surface: dict[str, str] = {}
        phrases: dict[tuple[str, ...], str] = {}
        for group in groups:
            if not group:
                continue
            concept = "@" + "_".join(tokens(str(group[0]))) if not str(group[0]).startswith("@") else str(group[0])
            for entry in group:
                if str(entry).startswith("@"):
                    continue
                written = tokens(str(entry))
                terms = tuple(word_term(t) for t in written)
                if len(terms) == 1:
                    words.setdefault(terms[0], concept)
                    surface.setdefault(written[0], concept)
                elif terms:
                    phrases.setdefault(terms, concept)
        prefixes = frozenset(p[:i] for p in phrases for i in range(1, len(p)))
        return cls(words, phrases, max((len(p) for p in phrases), default=1), prefixes, surface)

    def concept(self, term: str) -> str:
        return self.words.get(term, term)

    def phrase_spans(self, terms: list[str]) -> list[tuple[int, int, str]]:
        """(start, end, concept) of every phrase in the term sequence, longest first, not overlapping."""
        spans: list[tuple[int, int, str]] = []
        taken = [False] * len(terms)
        for size in range(self.longest, 1, -1):
            for start in range(len(terms) - size + 1):
                if any(taken[start:start + size]):
                    continue
                concept = self.phrases.get(tuple(terms[start:start + size]))
                if concept:
                    spans.append((start, start + size, concept))
                    for i in range(start, start + size):
                        taken[i] = True
        return sorted(spans)


def load_synonym_groups(path: Path = SYNONYMS_FILE) -> list[list[str]]:
    return [list(group) for group in _synonym_file(path, path.stat().st_mtime_ns)]


@functools.lru_cache(maxsize=4)
def _synonym_file(path: Path, _mtime: int) -> tuple[tuple[str, ...], ...]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or []
    return tuple(tuple(str(x) for x in group) for group in data if isinstance(group, list))


@functools.lru_cache(maxsize=50_000)
def translit_term(token: str) -> str:
    """The Russian term a Latin word spells: the lemma of its first reading that is a dictionary word ("zalog" →
    залог), else the stem of its usual reading ("detenshena" → детеншен)."""
    if script(token) != "lat":
        return word_term(token)
    variants = latin_to_cyrillic(token)
    known = translit_words(token)
    return ru_lemma(known[0] if known else variants[0])


@functools.lru_cache(maxsize=50_000)
def translit_words(token: str) -> tuple[str, ...]:
    """The dictionary words a Latin word may spell, the usual reading first; if none, the same with one soft sign
    put back ("dengi" → деньги)."""
    variants = latin_to_cyrillic(token)
    known = [v for v in variants if ru_known(v)]
    if not known:
        known = [s for v in variants[:4] for s in soft_sign_variants(v) if ru_known(s)]
    return tuple(dict.fromkeys(known))


@functools.lru_cache(maxsize=200_000)
def ru_lemmas(word: str) -> tuple[str, ...]:
    """The distinct lemmas of a Russian word's likely readings ("перешли" → переслать, перейти), most likely first."""
    if not ru_known(word):
        return (ru_lemma(word),)
    out: list[str] = []
    for parse in _morph.parse(word)[:4]:
        lemma = parse.normal_form.replace("ё", "е")
        if lemma not in out and (not out or parse.score >= 0.05):
            out.append(lemma)
    return tuple(out[:3])


def document_terms(text: str, synonyms: Synonyms, *, translit: bool = False, phrases_replace: bool = False
                   ) -> list[str]:
    """Terms of a text for the index: words (synonyms replaced) plus the concepts of the phrases found.

    ``translit``: the text is Russian written in Latin letters (an alternative question typed the way people
    type, "zalog iz detenshena"): words that spell Russian words count as those words.
    ``phrases_replace``: a phrase's words give way to its concept, as they do in a query (for single questions).
    """
    # A transliterated question keeps its apostrophes (soft signs), as a question typed to the bot does.
    words = query_words(text) if translit else tokens(text)
    raw = [translit_term(t) for t in words] if translit else [word_term(t) for t in words]
    spans = synonyms.phrase_spans(raw)
    if phrases_replace and spans:
        inside = {i for start, end, _ in spans for i in range(start, end)}
        out = [synonyms.concept(t) for i, t in enumerate(raw) if i not in inside and not is_stop(t)]
    else:
        out = [synonyms.concept(t) for t in raw if not is_stop(t)]
    out.extend(concept for _, _, concept in spans)
    return out
