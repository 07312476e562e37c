"""Stored XSS in every free-text field, new ones included: auto-escaping is never switched off in a
template, and the only Python code that marks HTML safe escapes every piece it is given (tested
with the payloads). A new ``mark_safe`` or ``|safe`` fails here until it is reviewed."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import opentto
from opentto.dashboard.charts import bar_chart, hbar_chart
from opentto.demands.selectors import highlight

from .test_attacks import XSS, _assert_escaped

ROOT = Path(opentto.__file__).parent
#: Reviewed escape bypasses: (file, count of mark_safe calls). Each escapes all input.
REVIEWED_MARK_SAFE = {
    "demands/selectors.py": 2,
    "demands/explain.py": 2,
    "dashboard/charts.py": 2,
    "core/forms_renderer.py": 1,
}


def test_no_template_switches_auto_escaping_off():
    bad = []
    for path in ROOT.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for pattern in (
            r"\|\s*safe\b",
            r"\|\s*safeseq\b",
            r"{%\s*autoescape\s+off",
            r"\|\s*unescape",
        ):
            if re.search(pattern, text):
                bad.append(f"{path.relative_to(ROOT)}: {pattern}")
    assert not bad, "auto-escaping bypassed (review and escape the input instead):\n" + "\n".join(
        bad
    )


def test_only_reviewed_code_marks_html_safe():
    found: dict[str, int] = {}
    for path in ROOT.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        n = len(
            re.findall(
                r"\bmark_safe\(|\bSafeString\(|format_html\([^)]*\)\s*%|\bSafeText\(",
                path.read_text(encoding="utf-8"),
            )
        )
        if n:
            found[str(path.relative_to(ROOT))] = n
    assert found == REVIEWED_MARK_SAFE, f"new escape bypasses to review: {found}"


def test_the_reviewed_bypasses_escape_the_payloads():
    from opentto.core.forms_renderer import render_select

    for payload in XSS:
        _assert_escaped(str(highlight(payload, ["alert", "script"])))
        option = {
            "value": payload,
            "label": payload,
            "attrs": {"data-x": payload},
            "template_name": "django/forms/widgets/select_option.html",
        }
        _assert_escaped(
            str(
                render_select(
                    {
                        "name": payload,
                        "attrs": {"id": payload},
                        "optgroups": [(payload, [option], 0)],
                    }
                )
            )
        )
        _assert_escaped(str(highlight(payload, [])))
        _assert_escaped(str(bar_chart(payload, [(payload, Decimal("12.50"))], css=payload)))
        _assert_escaped(str(hbar_chart(payload, [(payload, 3, payload)], css=payload)))
    assert "<mark>alert</mark>" in str(highlight("call alert now", ["alert"]))
