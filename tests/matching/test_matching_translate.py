"""Query translation: English -> Chinese (reversed CC-CEDICT) and Chinese -> English."""

from __future__ import annotations

from opentto.matching import Document, MatchEngine
from opentto.matching.analysis import Analyzer
from opentto.matching.translate import dense_text, get_lexicon

EN_DOCS = [
    Document("e-weed", "Paddy weeding machine", "A weeding machine for paddy fields with rollers."),
    Document("e-battery", "Battery cathode", "A cathode material for lithium batteries."),
    Document("e-tea", "Green tea drink", "A process for making a green tea beverage."),
]


def test_chinese_words_are_cut_in_precise_mode() -> None:
    an = Analyzer()
    assert an.chinese_words("锂离子电池的正极材料") == ["锂离子电池", "正极", "材料"]
    assert an.chinese_tokens("锂离子电池") == ["离子", "电池", "锂离子", "锂离子电池"]


def test_chinese_query_gets_english_terms_weighted_per_word() -> None:
    lex = get_lexicon()
    out = lex.translate_chinese("电池")
    assert out and {src for _, _, src, _ in out} == {"电池"}
    assert "batteri" in {t for t, _, _, _ in out}
    # one word spends a weight of 1.0 over its senses and their words
    assert abs(sum(w for _, w, _, _ in out) - 1.0) < 1e-6
    # with corpus frequencies, senses unknown to the corpus are dropped
    kept = lex.translate_chinese("电池", df=lambda t: 5 if t == "batteri" else 0)
    assert [(t, round(w, 6)) for t, w, _, _ in kept] == [("batteri", 1.0)]


def test_english_candidates_are_weighted_by_corpus_frequency() -> None:
    lex = get_lexicon()
    freq = {"电池": 50, "电瓶": 1}
    out = [(z, w) for z, w, _ in lex.translate("battery", df=lambda z: freq.get(z, 0))]
    assert [z for z, _ in out] == ["电池", "电瓶"]
    assert out[0][1] > out[1][1] and abs(sum(w for _, w in out) - 1.0) < 1e-6


def test_chinese_query_finds_english_documents_lexically() -> None:
    eng = MatchEngine(None, dense=False)
    eng.upsert(EN_DOCS)
    hits = eng.search("一种电池的正极材料", mode="lexical", explain=True)
    assert [h.id for h in hits] == ["e-battery"]
    ex = hits[0].explanation
    assert ex is not None
    terms = {t.term: t for t in ex.terms}
    assert terms["batteri"].translated and terms["batteri"].query_form == "电池"
    assert terms["materi"].translated and terms["materi"].doc_form == "material"
    # a Chinese query on a Chinese index is not translated
    zh = MatchEngine(None, dense=False)
    zh.upsert([Document("z", "", "一种锂离子电池正极材料。"), Document("y", "", "绿茶饮料。")])
    prep = zh._prepare("锂离子电池正极材料", True, False)
    assert not prep.cross_lingual and not prep.translated
    # nor on a bilingual one, although its translations would meet the English words there
    both = MatchEngine(None, dense=False)
    both.upsert([Document("b", "锂电池材料", "Lithium battery material, cathode.")])
    prep = both._prepare("电池材料", True, False)
    assert not prep.cross_lingual and not prep.translated


def test_dense_text_keeps_the_best_candidates_per_source_word() -> None:
    trans = [
        ("a1", 0.5, "x", "a one"),
        ("a2", 0.5, "x", "a one"),
        ("b", 0.3, "x", "b"),
        ("c", 0.1, "x", "c"),
        ("d", 0.1, "x", "d"),
        ("e", 1.0, "y", "e  e"),
        ("b", 1.0, "z", "b"),
    ]
    assert dense_text(trans, per_source=3) == "a one b c e e"
    assert dense_text(trans, per_source=1) == "a one e e b"


def test_unknown_chinese_word_is_looked_up_by_its_parts() -> None:
    lex = get_lexicon()
    # known to the dictionary: the word itself
    assert lex._pieces("电池") == ["电池"]
    # unknown, with known search-mode sub-words: those
    assert "控制器" not in lex.forward
    assert lex._pieces("控制器") == ["控制"]
    # unknown, without any: the fewest dictionary words (single characters too) covering it
    assert "机架" not in lex.forward and "壳体" not in lex.forward
    assert lex._pieces("机架") == ["机", "架"]
    assert lex._pieces("壳体") == ["壳", "体"]
    assert lex._cover("平行四边形液压") == ["平行四边形", "液压"]
    kept = lex.translate_chinese("机架", df=lambda t: 5 if t in ("machin", "frame") else 0)
    assert [(t, w, src) for t, w, src, _ in kept] == [("machin", 0.5, "机"), ("frame", 0.5, "架")]


def test_one_character_chinese_word_spends_half_a_budget() -> None:
    lex = get_lexicon()
    out = lex.translate_chinese("架")
    assert {src for _, _, src, _ in out} == {"架"}
    assert abs(sum(w for _, w, _, _ in out) - 0.5) < 1e-9
    out = lex.translate_chinese("电池")
    assert abs(sum(w for _, w, _, _ in out) - 1.0) < 1e-9


def test_word_known_only_by_its_characters_does_not_make_a_query_cross_lingual() -> None:
    # "虢国考" is unknown to the index and to the dictionary; its characters 国 and 考 would
    # reach the English words of the mixed index, but only whole words and their search-mode
    # parts count as evidence of another language
    eng = MatchEngine(None, dense=False)
    eng.upsert([Document("z", "", "一种国家考试系统。"), Document("y", "", "Nation state test.")])
    lex = get_lexicon()
    assert [s for _, _, s, _ in lex.translate_chinese("虢国考")][:1] == ["国"]
    assert lex.translate_chinese("虢国考", cover=False) == []
    prep = eng._prepare("虢国考", True, False)
    assert not prep.cross_lingual and not prep.translated
