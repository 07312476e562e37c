"""The result page's security panel (the results app includes ``access/partials/result_panel.html``;
core knows nothing of access)."""

from __future__ import annotations

from typing import Any

from django import template

from ..selectors import result_security_panel_data

register = template.Library()


@register.inclusion_tag("access/partials/security_panel.html", takes_context=True)
def result_security_panel(context: dict[str, Any], result: Any) -> dict[str, Any]:
    request = context.get("request")
    return result_security_panel_data(getattr(request, "user", None), result)
