"""Installing the built-in rubrics (idempotent): by migration ``0003_builtin_rubrics`` on a new
database, and again after ``flush`` (``post_migrate``), so they are always there."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .builtin_rubrics import BUILTIN_RUBRICS


def install_builtin_rubrics(apps: Any = None) -> int:
    """Create version 1 of each built-in rubric whose key has no version yet; returns how many."""
    if apps is None:
        from django.apps import apps as registry

        apps = registry
    Rubric = apps.get_model("evaluation", "Rubric")
    Criterion = apps.get_model("evaluation", "RubricCriterion")
    created = 0
    for data in BUILTIN_RUBRICS:
        if Rubric.objects.filter(key=data["key"]).exists():
            continue
        rubric = Rubric.objects.create(
            key=data["key"],
            version=1,
            title_zh=data["title_zh"],
            title_en=data["title_en"],
            standard=data["standard"],
            description_zh=data["description_zh"],
            description_en=data["description_en"],
            kind=data["kind"],
            scale_min=data["scale_min"],
            scale_max=data["scale_max"],
            is_active=True,
            is_builtin=True,
        )
        Criterion.objects.bulk_create(
            [
                Criterion(
                    rubric=rubric,
                    key=c["key"],
                    position=position,
                    group_key=c["group_key"],
                    group_zh=c["group_zh"],
                    group_en=c["group_en"],
                    title_zh=c["title_zh"],
                    title_en=c["title_en"],
                    description_zh=c["description_zh"],
                    description_en=c["description_en"],
                    clause=c["clause"],
                    weight=Decimal(c["weight"]),
                    purpose_weights=c["purpose_weights"],
                    kinds=c["kinds"],
                    levels=c["levels"],
                )
                for position, c in enumerate(data["criteria"])
            ]
        )
        created += 1
    return created
