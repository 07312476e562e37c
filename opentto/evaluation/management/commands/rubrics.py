from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from opentto.evaluation.models import ReviewPurposeChoices, Rubric


def rubrics_as_json() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    # The command line reads the reference data itself (no user: the operator's own shell).
    for rubric in (
        Rubric.objects.filter(is_active=True).prefetch_related("criteria").order_by("key")
    ):
        criteria = []
        for c in rubric.criteria.all():
            item: dict[str, Any] = {
                "key": c.key,
                "title_zh": c.title_zh,
                "title_en": c.title_en,
                "weight": float(c.weight),
                "clause": c.clause,
                "dimension": c.group_key,
                "dimension_zh": c.group_zh,
                "dimension_en": c.group_en,
                # The weight each purpose gives the criterion (its own, the fallback purpose's, or the default).
                "weights_by_purpose": {
                    p: float(c.purpose_weight(p)) for p in ReviewPurposeChoices.values
                },
                "kinds": list(c.kinds or []),
            }
            if c.levels:
                item["levels"] = c.levels
            criteria.append(item)
        out.append(
            {
                "key": rubric.key,
                "version": rubric.version,
                "title_zh": rubric.title_zh,
                "title_en": rubric.title_en,
                "standard": rubric.standard,
                "kind": rubric.kind,
                "scale": [rubric.scale_min, rubric.scale_max],
                "criteria": criteria,
            }
        )
    return out


class Command(BaseCommand):
    help = "Print the active evaluation rubrics (key, version, standard, criteria with their place in the standard)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print a JSON list")

    def handle(self, *args: Any, **options: Any) -> None:
        data = rubrics_as_json()
        if options["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        for rubric in data:
            self.stdout.write(
                f"{rubric['key']} v{rubric['version']}  {rubric['standard']}  {rubric['title_zh']} / {rubric['title_en']}"
            )
            for c in rubric["criteria"]:
                self.stdout.write(
                    f"  {c['key']:<28} {c['weight']:>6.3f}  {c['title_zh']} / {c['title_en']}  [{c['clause']}]"
                )
