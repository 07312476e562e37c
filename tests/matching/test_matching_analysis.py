"""Tokenizer: Chinese search-mode segmentation, English stemming, synonyms, domain words."""

from __future__ import annotations

from opentto.matching.analysis import Analyzer, load_synonyms, normalize
from opentto.matching.passages import split_passages


def test_chinese_search_mode_and_synonym_token() -> None:
    an = Analyzer()
    assert an.analyze("集成电路芯片的封装方法") == [
        "集成",
        "成电",
        "电路",
        "集成电路",
        "芯片",
        "封装",
        "方法",
        "≡集成电路",
        "≡集成电路",
    ]


def test_english_stemming_stopwords_and_plural_synonyms() -> None:
    an = Analyzer()
    assert an.analyze("Running machines were tested with AI chips") == [
        "run",
        "machin",
        "test",
        "ai",
        "chip",
        "≡人工智能",
        "≡集成电路",
    ]


def test_abbreviation_and_full_name_share_a_token() -> None:
    an = Analyzer()
    short = an.analyze("甲维盐杀虫剂")
    assert short == ["甲维盐", "杀虫", "杀虫剂", "≡甲氨基阿维菌素苯甲酸盐"]
    full = an.analyze("甲氨基阿维菌素苯甲酸盐")
    assert "≡甲氨基阿维菌素苯甲酸盐" in full
    assert "甲氨基阿维菌素苯甲酸盐" in full  # the long name is in the segmenter dictionary
    assert an.analyze("emamectin benzoate") == ["emamectin", "benzoat", "≡甲氨基阿维菌素苯甲酸盐"]
    assert set(an.analyze("AI")) & set(an.analyze("artificial intelligence")) & set(
        an.analyze("人工智能")
    ) == {"≡人工智能"}


def test_english_abbreviation_needs_word_boundaries() -> None:
    an = Analyzer()
    assert "≡人工智能" not in an.analyze("He said the rain stopped")
    # the boundary is checked after the form's first letter (a faster pattern): the same words
    syn = [
        t
        for t in an.analyze("ai, 3ai xai ai-based AIs ais2 (ai) 芯片ai chipset chips")
        if t.startswith("≡")
    ]
    assert syn == [
        "≡人工智能",
        "≡人工智能",
        "≡人工智能",
        "≡人工智能",
        "≡集成电路",
        "≡人工智能",
        "≡集成电路",
    ]


def test_the_synonym_pattern_matches_what_the_plain_one_matches() -> None:
    """The synonym pattern checks an English form's word boundary after its first character (for
    speed): the same spans as the plain pattern (boundary first), on texts made of the forms
    themselves glued to letters, digits, punctuation, plurals and line breaks, at the start too."""
    import random
    import re

    from opentto.matching.analysis import _HAS_CJK

    an = Analyzer()
    forms = sorted(an._form_token, key=len, reverse=True)
    plain = re.compile(
        "|".join(
            re.escape(f)
            if _HAS_CJK.search(f)
            else rf"(?<![a-z0-9]){re.escape(f)}(?:e?s)?(?![a-z0-9])"
            for f in forms
        )
    )
    assert an._syn_re is not None and an._syn_re.pattern != plain.pattern
    glue = ["", " ", "x", "3", "-", ".", "s", "es", "e", "\n", "。", "芯", "(", "'"]
    rng = random.Random(7)
    latin = [f for f in forms if not _HAS_CJK.search(f)]
    assert any(f[0].isdigit() for f in latin) and any(not f.isalnum() for f in latin)
    found = 0
    for _ in range(3000):
        text = "".join(
            rng.choice(glue) + rng.choice(forms if rng.random() < 0.3 else latin)
            for _ in range(rng.randint(1, 6))
        )
        ours = [(m.span(), m.group(0)) for m in an._syn_re.finditer(text)]
        assert ours == [(m.span(), m.group(0)) for m in plain.finditer(text)], text
        found += len(ours)
    assert found > 3000  # the texts do hold forms at every kind of boundary


def test_domain_words_join_the_dictionary() -> None:
    an = Analyzer()
    assert "钙钛矿叠层电池" not in an.analyze("钙钛矿叠层电池的制备")
    assert an.add_words(["钙钛矿叠层电池", "x", "钙钛矿叠层电池"]) == ["钙钛矿叠层电池"]
    assert an.analyze("钙钛矿叠层电池的制备") == [
        "叠层",
        "电池",
        "钙钛矿",
        "钙钛矿叠层电池",
        "制备",
        "≡钙钛矿",
    ]


def test_full_width_is_normalised() -> None:
    assert normalize("ＡＩ芯片（１）") == "ai芯片(1)"


def test_synonym_file_has_the_tech_transfer_fields() -> None:
    groups = load_synonyms()
    assert len(groups) >= 60
    names = {g.canonical for g in groups}
    assert {"人工智能", "集成电路", "医疗器械", "石墨烯", "光伏", "甲氨基阿维菌素苯甲酸盐"} <= names


def test_passages_whole_when_short_windows_when_long() -> None:
    assert split_passages("短文本。") == ["短文本。"]
    long_text = "".join(f"第{i}句讲的是一种新的电池材料和它的制备方法。" for i in range(60))
    parts = split_passages(long_text)
    assert len(parts) > 2
    assert parts[0].startswith("第0句") and parts[-1].endswith(
        "第59句讲的是一种新的电池材料和它的制备方法。"
    )
    assert all(len(p) < 400 for p in parts)
