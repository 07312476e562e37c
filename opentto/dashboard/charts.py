"""Charts drawn on the server as SVG: no script, no CDN, no inline style (the CSP allows neither);
colours come from classes in app.css. Each chart has a title (its text alternative); the numbers
are in the tables beside it."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from opentto.core.money import format_yuan


def short_yuan(value: Decimal) -> str:
    """A bar's label: Chinese counts in 万 and 亿, English in thousands, millions and billions."""
    v = float(value)
    if (get_language() or "").startswith("zh"):
        if abs(v) >= 1e8:
            return f"¥{v / 1e8:.2f}亿"
        if abs(v) >= 1e4:
            return f"¥{v / 1e4:.1f}万"
        return format_yuan(value)
    if abs(v) >= 1e9:
        return f"¥{v / 1e9:.2f}B"
    if abs(v) >= 1e6:
        return f"¥{v / 1e6:.1f}M"
    if abs(v) >= 1e4:
        return f"¥{v / 1e3:.0f}K"
    return format_yuan(value)


def bar_chart(
    title: str,
    rows: Sequence[tuple[str, Decimal | int]],
    *,
    money: bool = True,
    css: str = "",
    current: str = "",
) -> SafeString:
    """Vertical bars, one per row (label, value); the row labelled ``current`` (the selected year)
    is marked (class ``chart-bar-current``)."""
    width, height, pad, pad_bottom, pad_top = 640, 240, 8, 36, 22
    n = max(len(rows), 1)
    top = max((float(v) for _l, v in rows), default=0.0) or 1.0
    slot = (width - pad * 2) / n
    bar = min(56.0, slot * 0.7)
    base = height - pad_bottom
    out = [
        f'<svg class="chart {escape(css)}" viewBox="0 0 {width} {height}" role="img"><title>{escape(title)}</title>',
        f'<line class="chart-axis" x1="{pad}" y1="{base}" x2="{width - pad}" y2="{base}"></line>',
    ]
    for i, (label, value) in enumerate(rows):
        h = (base - pad_top) * float(value) / top
        x = pad + slot * i + (slot - bar) / 2
        shown = short_yuan(Decimal(value)) if money else str(value)
        full = format_yuan(Decimal(value)) if money else str(value)
        out.append(
            f'<g><rect class="chart-bar{" chart-bar-current" if current and label == current else ""}" x="{x:.1f}" y="{base - h:.1f}" width="{bar:.1f}" height="{h:.1f}"><title>{escape(label)}: {escape(full)}</title></rect>'
            f'<text class="chart-value" x="{x + bar / 2:.1f}" y="{base - h - 5:.1f}" text-anchor="middle">{escape(shown)}</text>'
            f'<text class="chart-label" x="{x + bar / 2:.1f}" y="{base + 16}" text-anchor="middle">{escape(label[:14])}</text></g>'
        )
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 -- every value above is escaped or a number


def hbar_chart(
    title: str, rows: Sequence[tuple[str, Decimal | int, str]], *, css: str = ""
) -> SafeString:
    """Horizontal bars (label, value, shown text): for the funnel conversion."""
    width, row_h, label_w = 640, 26, 150
    height = row_h * max(len(rows), 1) + 8
    top = max((float(v) for _l, v, _s in rows), default=0.0) or 1.0
    out = [
        f'<svg class="chart {escape(css)}" viewBox="0 0 {width} {height}" role="img"><title>{escape(title)}</title>'
    ]
    for i, (label, value, shown) in enumerate(rows):
        y = 4 + i * row_h
        w = (width - label_w - 90) * float(value) / top
        out.append(
            f'<g><text class="chart-label" x="0" y="{y + 16}">{escape(label)}</text>'
            f'<rect class="chart-bar" x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}"></rect>'
            f'<text class="chart-value" x="{label_w + w + 6:.1f}" y="{y + 16}">{escape(shown)}</text></g>'
        )
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 -- every value above is escaped or a number
