"""The bar charts' labels count money in the reader's language."""

from decimal import Decimal

import pytest
from django.utils import translation

from opentto.dashboard.charts import short_yuan


@pytest.mark.parametrize(
    "value, chinese, english",
    [
        ("177800000.00", "¥1.78亿", "¥177.8M"),
        ("23860000.00", "¥2386.0万", "¥23.9M"),
        ("1350000000.00", "¥13.50亿", "¥1.35B"),
        ("715800.00", "¥71.6万", "¥716K"),
        ("9999.00", "¥9,999.00", "¥9,999.00"),
    ],
)
def test_short_labels_in_both_languages(value, chinese, english):
    with translation.override("zh-hans"):
        assert short_yuan(Decimal(value)) == chinese
    with translation.override("en"):
        assert short_yuan(Decimal(value)) == english
