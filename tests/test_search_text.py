"""The text-level parts of search: normalisation, transliteration both ways, the wrong keyboard layout, lemmas."""

from __future__ import annotations

from bot.search.analyzer import Synonyms, document_terms, load_synonym_groups, ru_lemma
from bot.search.text import cyrillic_to_latin, latin_to_cyrillic, layout_to_en, layout_to_ru, normalise, tokens


def test_normalise_folds_case_yo_stress_and_full_width():
    assert normalise("Ёлка СРА́ЗУ ｂｏｎｄ") == "елка сразу bond"
    assert normalise("йод") == "йод"  # й keeps its mark
    assert tokens("CAT-интервью, EOIR-26; I-589!") == ["cat", "интервью", "eoir", "26", "i", "589"]


def test_transliteration_longest_match_first():
    assert latin_to_cyrillic("ubezhishche")[0] == "убежище"
    assert latin_to_cyrillic("zayavlenie")[0] == "заявление"
    assert latin_to_cyrillic("deportatsiya")[0] == "депортация"
    assert "аэропорту" in latin_to_cyrillic("aeroportu")
    assert cyrillic_to_latin("пермит")[0] == "permit"
    assert len(latin_to_cyrillic("x" * 40)) <= 24  # a long word cannot blow up


def test_wrong_keyboard_layout_both_ways():
    assert layout_to_ru("rfr yfqnb xtkjdtrf") == "как найти человека"
    assert layout_to_ru("ltgjhnfwbz d nhtnm. cnhfye") == "депортация в третью страну"
    assert layout_to_en("рщц ещ") == "how to"


def test_lemmas_and_synonyms_make_one_concept():
    assert ru_lemma("залогом") == "залог"
    synonyms = Synonyms.from_groups(load_synonym_groups())
    # Russian, slang and English words for bond all become one term; a phrase adds its concept.
    bond = {document_terms(word, synonyms)[0] for word in ("залог", "бонда", "bond", "бейл")}
    assert len(bond) == 1
    assert synonyms.concept(ru_lemma("адвокатом")) == synonyms.concept(ru_lemma("лоер"))
    assert "@интервью_на_достоверный_страх" in document_terms("кредибл фир", synonyms)


def test_chat_transliteration_j_for_zh_and_apostrophe_soft_sign():
    from bot.search.query import _readings_of_word
    from bot.search.text import query_words

    assert "мужа" in latin_to_cyrillic("muja")  # j for ж
    assert "жалоба" in latin_to_cyrillic("jaloba")
    assert "первый" in latin_to_cyrillic("pervii")
    # An apostrophe inside a Latin word stays in it: a soft sign in transliterated Russian, dropped in English.
    assert query_words("kak derzhat'sya, judge’s don't") == ["kak", "derzhat'sya", "judge's", "don't"]
    assert ("держаться", 0.9) in _readings_of_word("derzhat'sya")
    assert _readings_of_word("judge's")[0][0] == _readings_of_word("judge")[0][0]
    assert _readings_of_word("don't")[0][0] == "don"


def test_a_slip_in_a_function_word_is_still_a_function_word():
    from bot.search.analyzer import stop_slip

    assert all(stop_slip(w) for w in ("мжно", "таакое", "чеерз", "бует", "каике", "shhould", "sommeone", "whhich"))
    # Words of the topics, slang included, are not function words however short.
    assert not any(stop_slip(w) for w in ("судьи", "детеншн", "пэрол", "кфи", "биа", "лоер", "хиринг", "bond",
                                          "parole", "bia", "court"))
