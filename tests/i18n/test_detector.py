"""The page-language detector (``pages.wrong_language``) finds what it must and nothing else: a
planted untranslated string fails it, data and declared other-language text do not."""

from __future__ import annotations

from django.utils import translation

from opentto.core.i18n import bilingual

from .pages import wrong_language

ZH_PAGE = """<html lang="zh-Hans"><head><title>成果 · OpenTTO</title><style>.x{color:red}</style></head><body>
<form><button lang="en">English</button></form><h1>成果</h1><p>导出 CSV · PDF · API</p>
<p>申请号 CN202310000001.5，金额 ¥1,000.00，联系 a.b@example.org，见 https://example.org/docs</p>
<td>Own deal QW1</td>%s<script>var label = "Loading";</script></body></html>"""
EN_PAGE = """<html lang="en"><body><button lang="zh-Hans">中文</button><h1>Results</h1><td>保密需求</td>%s</body></html>"""


def test_a_clean_chinese_page_passes_and_a_planted_english_string_fails():
    data = ["Own deal QW1"]
    assert wrong_language(ZH_PAGE % "", "zh-hans", data) == []
    assert wrong_language(ZH_PAGE % "<p>Save changes</p>", "zh-hans", data) == ["Save", "changes"]
    assert wrong_language(ZH_PAGE % '<input placeholder="Search results">', "zh-hans", data) == [
        "Search",
        "results",
    ]
    # without the data value, the data would count as fixed text
    assert wrong_language(ZH_PAGE % "", "zh-hans", []) == ["Own", "deal"]


def test_a_clean_english_page_passes_and_a_planted_chinese_string_fails():
    data = ["保密需求"]
    assert wrong_language(EN_PAGE % "", "en", data) == []
    assert wrong_language(EN_PAGE % "<p>保存修改</p>", "en", data) == ["保存修改"]
    assert wrong_language(EN_PAGE % '<a title="专利权">x</a>', "en", data) == ["专利权"]


def test_bilingual_data_falls_back_with_a_visible_marker_in_the_page_language():
    from django.template import Context, Template

    page = Template("{{ a }}|{{ b }}")
    with translation.override("zh-hans"):
        assert (
            page.render(
                Context(
                    {
                        "a": bilingual("中文名", "English", "zh-hans"),
                        "b": bilingual("", "Only English", "zh-hans"),
                    }
                )
            )
            == "中文名|Only English （仅英文）"
        )
    with translation.override("en"):
        assert (
            page.render(
                Context(
                    {"a": bilingual("中文名", "English", "en"), "b": bilingual("仅中文", "", "en")}
                )
            )
            == "English|仅中文 (Chinese only)"
        )
    # outside HTML (exports, PDFs, the API) the text is bare
    assert str(bilingual("", "Only English", "zh-hans")) == "Only English"
