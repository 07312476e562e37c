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
