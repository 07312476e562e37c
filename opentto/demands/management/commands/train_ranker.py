"""``opentto train_ranker``: train a ranker from the site's feedback (see opentto.demands.ranking)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opentto.demands import ranking


class Command(BaseCommand):
    help = (
        "Train a ranker from the relevance feedback (marks, contacts, NDAs, deals). It replaces the "
        "current ranking only when it beats it on held-out demands by the margin; every version is kept."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--min-judgements", type=int, default=ranking.MIN_JUDGEMENTS)
        parser.add_argument(
            "--margin",
            type=float,
            default=ranking.MARGIN,
            help="nDCG@10 to gain on the held-out demands",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            version = ranking.ranker_train(
                min_judgements=options["min_judgements"], margin=options["margin"]
            )
        except ranking.TooFewJudgements as exc:
            raise CommandError(f"No ranker trained: {exc}") from exc
        state = "active" if version.active else "kept aside (today's ranking stays)"
        self.stdout.write(
            f"ranker v{version.version}: {version.judgements} judged pairs, held-out nDCG@10 "
            f"{version.held_out_before:.4f} → {version.held_out_after:.4f} (margin {version.margin}); {state}"
        )
        weights = ranking.LinearRanker.from_dict(version.model).feature_weights()
        for name, weight in sorted(weights.items(), key=lambda x: -abs(x[1])):
            self.stdout.write(f"  {name}: {weight:+.4f}")
