"""core.i18n.text_language / has_chinese: the one place that tells a quoted text's language."""

import pytest

from opentto.core.i18n import has_chinese, text_language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("机械臂控制", "zh-Hans"),
        ("Robot arm control", "en"),
        ("强化学习 RL", "zh-Hans"),  # 4 characters, 2 letters
        ("保密需求Own demand DM1", "en"),  # 4 characters, 13 letters
        ("2025-01-31 ¥120,000.00", "en"),  # neither: English
        ("", "en"),
    ],
)
def test_the_language_of_a_quoted_text(text, expected):
    assert text_language(text) == expected


def test_has_chinese():
    assert has_chinese("see 机") and has_chinese("兀") and not has_chinese("café 2025")
