from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.http import QueryDict

from opentto.core.money import format_yuan

register = template.Library()


@register.filter
def yuan(value: Decimal | int | None) -> str:
    """Money in yuan with thousands separators: ``¥512,345,678.00``."""
    return format_yuan(value)


@register.simple_tag(takes_context=True)
def query_with(context: dict[str, Any], **changes: Any) -> str:
    """The current query string with some parameters replaced (for sorting and paging links)."""
    params: QueryDict = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = str(value)
    return "?" + params.urlencode() if params else "?"


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key)
