"""A result's slug in its public URLs (the showcase page ``/showcase/<id>-<slug>/``): from its
English title, so both languages share one URL."""

from __future__ import annotations

from typing import Any

from django.utils.text import slugify


def result_slug(result: Any) -> str:
    return slugify(result.title_en)[:70].strip("-") or "technology"
