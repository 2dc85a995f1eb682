"""Search robustness: the pack's own questions re-typed the ways people type: still found?

Independent of the labelled set (tests/search_eval.yaml): alternative questions of the pack (Russian ones written
in Cyrillic, and English ones) that the search ranks first for their own topic as written are re-typed, and the
figure is how often their topic is still first (and among the first three). Russian questions four ways, English
ones the last two:
- **translit**: Latin letters, chat style, each letter's spelling drawn at random from the ones people use (ж → zh
  or j, х → h or kh, я → ya, ja or ia, ь → ' or nothing, й → y, i or j …);
- **layout**: typed with the English keyboard layout on (ЙЦУКЕН keys pressed as QWERTY);
- **typo**: one slip in one word of 5+ letters (a letter dropped, doubled, swapped with the next or replaced; in
  English, short function words too: "shhould", "sommeone");
- **story**: asked with a question mark inside a message of greetings and circumstances (two sentences before,
  one after, drawn from a fixed list that names no topic).

The question itself is in the index, so this measures how well the search *reads* re-typed text (transliteration,
layout, fuzzy matching), not its ranking of new questions (bench.search does that). Seeded: the same run gives the
same figures.

    python -m bench.search_retyped [--limit 800] [--seed 1] [--show-misses]
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass, field

from bench import command_line, print_table

# Each Cyrillic letter's Latin spellings as people type them in chats (not one standard).
CHAT_TRANSLIT: dict[str, tuple[str, ...]] = {
    "а": ("a",), "б": ("b",), "в": ("v",), "г": ("g",), "д": ("d",), "е": ("e",), "ё": ("e", "yo"),
    "ж": ("zh", "j"), "з": ("z",), "и": ("i",), "й": ("y", "i", "j"), "к": ("k",), "л": ("l",), "м": ("m",),
    "н": ("n",), "о": ("o",), "п": ("p",), "р": ("r",), "с": ("s",), "т": ("t",), "у": ("u",), "ф": ("f",),
    "х": ("h", "kh"), "ц": ("ts", "c"), "ч": ("ch",), "ш": ("sh",), "щ": ("sch", "shch"), "ъ": ("",),
    "ы": ("y", "i"), "ь": ("", "'"), "э": ("e",), "ю": ("yu", "ju", "iu"), "я": ("ya", "ja", "ia"),
}
_RU_KEYS = "йцукенгшщзхъфывапролджэячсмитьбюё"
_EN_KEYS = "qwertyuiop[]asdfghjkl;'zxcvbnm,.`"
_TO_QWERTY = dict(zip(_RU_KEYS, _EN_KEYS, strict=True))
KINDS = ("translit", "layout", "typo", "story")
KINDS_BY_LANGUAGE = {"ru": KINDS, "en": ("typo", "story")}
# Sentences people put around a question, about none of the topics.
BEFORE = ("Здравствуйте, подскажите пожалуйста.", "Добрый вечер! Мы из Самары, уехали осенью 2022 года.",
          "Всем привет, ситуация такая.", "Извините за длинное сообщение, я очень переживаю.",
          "Мы с семьей уже полгода в Тихуане, сняли комнату.", "Муж программист, у нас двое детей, младшей три года.")
AFTER = ("Заранее спасибо!", "Буду очень благодарна за любой ответ.", "Не знаю, к кому еще обратиться.",
         "Деньги пока не собрали.", "Пишу с телефона, простите за ошибки.")
BEFORE_EN = ("Hi, I need some help please.", "My husband and I crossed in March and we have two kids.",
             "Sorry for the long message, I am really worried.", "We have been in Tijuana for half a year.")
AFTER_EN = ("Thanks in advance!", "Any advice is appreciated.", "I am writing from my phone, sorry for typos.")


def translit(text: str, rnd: random.Random) -> str:
    return "".join(rnd.choice(CHAT_TRANSLIT[ch]) if ch in CHAT_TRANSLIT else ch for ch in text.lower())


def layout(text: str, rnd: random.Random) -> str:
    return "".join(_TO_QWERTY.get(ch, ch) for ch in text.lower())


def typo(text: str, rnd: random.Random) -> str | None:
    words = text.split()
    long = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not long:
        return None
    i = rnd.choice(long)
    w = words[i]
    j = rnd.randrange(1, len(w) - 1)
    kind = rnd.choice(("drop", "double", "swap", "replace"))
    if kind == "drop":
        w = w[:j] + w[j + 1:]
    elif kind == "double":
        w = w[:j] + w[j] + w[j:]
    elif kind == "swap":
        w = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    else:
        w = w[:j] + rnd.choice("аеиоуыкнтсрвлмп" if "а" <= w[0] <= "я" else "aeioustrnlm") + w[j + 1:]
    words[i] = w
    return " ".join(words)


def story(text: str, rnd: random.Random) -> str:
    before, after = (BEFORE, AFTER) if any("а" <= ch <= "я" for ch in text.lower()) else (BEFORE_EN, AFTER_EN)
    return f"{rnd.choice(before)} {rnd.choice(before)} {text[:1].upper()}{text[1:].rstrip('?')}? {rnd.choice(after)}"


RETYPE = {"translit": translit, "layout": layout, "typo": typo, "story": story}


@dataclass
class Retyped:
    questions: dict[str, int] = field(default_factory=dict)  # language → questions found first as written
    tried: dict[str, int] = field(default_factory=dict)  # "ru translit" … → re-typed questions
    top1: dict[str, int] = field(default_factory=dict)
    top3: dict[str, int] = field(default_factory=dict)
    misses: list[tuple[str, str, str, list[str]]] = field(default_factory=list)  # kind, re-typed, slug, shown

    def share(self, kind: str, what: str = "top1") -> float:
        return getattr(self, what).get(kind, 0) / self.tried[kind] if self.tried.get(kind) else 0.0


def pack_questions(language: str = "ru") -> list[tuple[str, str]]:
    """(topic, question) for the pack's alternative questions in ``language`` (Russian ones written in Cyrillic)."""
    from bot.knowledge.pack import read_pack

    out = []
    for topic in read_pack():
        if topic.kind != "answer" or topic.hidden:
            continue
        for q in topic.questions.get(language, []):
            if language != "ru" or sum(ch.isascii() and ch.isalpha() for ch in q) < 2:
                out.append((topic.slug, q))
    return out


def measure(engine, limit: int = 800, seed: int = 1) -> Retyped:
    """Up to ``limit`` questions per language, drawn at random."""
    out = Retyped()
    for language, kinds in KINDS_BY_LANGUAGE.items():
        rnd = random.Random(seed)
        questions = pack_questions(language)
        rnd.shuffle(questions)
        out.questions[language] = 0
        for slug, question in questions[:limit]:
            hits = engine.search(question, language).hits
            if not hits or hits[0].slug != slug:
                continue
            out.questions[language] += 1
            for kind in kinds:
                text = RETYPE[kind](question, rnd)
                if text is None:
                    continue
                key = f"{language} {kind}"
                shown = [h.slug for h in engine.search(text, language).hits]
                out.tried[key] = out.tried.get(key, 0) + 1
                out.top1[key] = out.top1.get(key, 0) + (bool(shown) and shown[0] == slug)
                out.top3[key] = out.top3.get(key, 0) + (slug in shown[:3])
                if not shown or shown[0] != slug:
                    out.misses.append((key, text, slug, shown[:3]))
    return out


def main() -> None:
    from bot.search.engine import Engine, pack_documents

    ap = argparse.ArgumentParser(prog="python -m bench.search_retyped", description=__doc__.split("\n")[0])
    ap.add_argument("--limit", type=int, default=800, help="pack questions to re-type per language (drawn at random)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--show-misses", action="store_true")
    args = ap.parse_args()
    r = measure(Engine(pack_documents()), args.limit, args.seed)
    print("Pack questions that search finds first as written: " + ", ".join(
        f"{n} {lang}" for lang, n in r.questions.items()) + f" (of up to {args.limit} drawn per language), re-typed:")
    print_table("Found first / among the first three, re-typed", ["re-typed as", "questions", "top-1", "top-3"],
                [[k, str(n), f"{r.share(k):.1%}", f"{r.share(k, 'top3'):.1%}"] for k, n in r.tried.items()])
    if args.show_misses:
        for kind, text, slug, shown in r.misses:
            print(f"  [{kind}] {text!r} → {shown} (its topic: {slug})")
    print(f"\n{command_line('bench.search_retyped')}")


if __name__ == "__main__":
    main()
