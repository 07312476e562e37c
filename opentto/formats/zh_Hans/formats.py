"""Chinese input formats with the ISO date first.

A date field's widget writes its value in the first input format; Django's zh_Hans list starts
with ``2024/01/17``, which an ``<input type="date">`` does not accept, so the field showed empty
and saving the form cleared the date. ISO first; the other Chinese spellings are still read."""

DATE_INPUT_FORMATS = [
    "%Y-%m-%d",  # 2024-01-17
    "%Y/%m/%d",  # 2024/01/17
    "%Y年%m月%d日",  # 2024年1月17日 (strptime accepts the month and day without a leading zero)
]

DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",  # as in English; Django also reads ISO 8601 (2024-01-17T09:30)
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
]
