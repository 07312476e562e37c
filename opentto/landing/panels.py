"""Panels that higher apps add to the deal page, without landing importing them.

An app registers a function from its ``AppConfig.ready`` (``register_deal_panel("tax", fn)``);
the deal page calls each with the request and the deal and shows the HTML it returns (``""``
shows nothing). A panel returns its template's output (``render_to_string``, already a
``SafeString``): nothing here marks text safe. Each panel reads through its own grants: landing only gives it the deal the
viewer may see.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.utils.safestring import SafeString

#: (name, function(request, deal) -> rendered HTML), in registration order.
_DEAL_PANELS: dict[str, Callable[[HttpRequest, Any], SafeString]] = {}


def register_deal_panel(name: str, panel: Callable[[HttpRequest, Any], SafeString]) -> None:
    """Add (or replace, under the same name) a panel on the deal page."""
    _DEAL_PANELS[name] = panel


def deal_panels(request: HttpRequest, deal: Any) -> list[SafeString]:
    """The registered panels' HTML for this viewer and deal (the panels' own template output)."""
    out: list[SafeString] = []
    for panel in _DEAL_PANELS.values():
        html = panel(request, deal)
        if html:
            out.append(html)
    return out
