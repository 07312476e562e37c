from __future__ import annotations

from typing import Any

from django import template

from opentto.subsidies.services import eligibility_text

register = template.Library()


@register.filter
def check_text(check: dict[str, Any]) -> str:
    """An eligibility check's explanation in the reader's language."""
    return eligibility_text(check)
