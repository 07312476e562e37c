"""The form renderer: Django's own (``DjangoTemplates``), with ``<select>`` drawn in Python.

Django draws a select by rendering one option template per choice: ~40 µs each, so a form with
an organisation or rubric list (hundreds of options) spent tens of milliseconds there on every
page that shows it. :func:`render_select` produces byte for byte what Django's
``django/forms/widgets/select.html`` and ``select_option.html`` templates produce (the tests
compare the two); every other widget renders through the templates as before. A project that
overrides those two templates would lose its override: OpenTTO does not.
"""

from __future__ import annotations

from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe

SELECT_TEMPLATE = "django/forms/widgets/select.html"
OPTION_TEMPLATE = "django/forms/widgets/select_option.html"


def _attrs(attrs: dict[str, Any]) -> str:
    # django/forms/widgets/attrs.html: False leaves the attribute out, True writes it bare.
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        out.append(
            f" {conditional_escape(name)}"
            if value is True
            else f' {conditional_escape(name)}="{escape(str(value))}"'
        )
    return "".join(out)


def render_select(widget: dict[str, Any]) -> SafeString:
    parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        for option in options:
            if option.get("template_name") != OPTION_TEMPLATE:
                raise LookupError(option.get("template_name"))
            parts.append(
                f'\n  <option value="{escape(str(option["value"]))}"{_attrs(option["attrs"])}>{conditional_escape(option["label"])}</option>\n'
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return mark_safe("".join(parts))  # noqa: S308 - every part is escaped above


class Renderer(DjangoTemplates):
    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        if template_name == SELECT_TEMPLATE and "widget" in context:
            try:
                return render_select(context["widget"])
            except LookupError:  # an option with its own template: Django's way
                pass
        return super().render(template_name, context, request)
