"""``opentto reindex``: rebuild the matching indexes from the database (see opentto.search.index)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from opentto.search import index


class Command(BaseCommand):
    help = (
        "Rebuild the matching indexes (results, confidential details, demands) from the database. "
        "Embeddings of unchanged text come from the cache. --missing only adds what is missing or changed. "
        "Then computes the live demands' fit profiles that are missing or stale."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--lexical-only", action="store_true", help="skip the dense (embedding) indexes"
        )
        parser.add_argument(
            "--missing",
            action="store_true",
            help="only index what is missing or changed (resumable)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dense = index.dense_enabled() and not options["lexical_only"]
        started = time.monotonic()
        last = [0.0]

        def progress(name: str, done: int, total: int) -> None:
            now = time.monotonic()
            if done == total or now - last[0] > 2:
                last[0] = now
                self.stdout.write(f"  {name}: {done}/{total} ({now - started:.1f} s)")

        if options["missing"]:
            counts = {}
            for name in ["results-lex", "details", "demands-lex"] + (
                ["results-dense", "demands-dense"] if dense else []
            ):
                counts[name] = index.tier(name).sync(progress=index._named(progress, name))
        else:
            counts = index.rebuild_all(dense=dense, progress=progress)
        for name, n in counts.items():
            self.stdout.write(f"{name}: {n} documents indexed")
        # The live demands' fit profiles ("who needs this" on result pages reads them).
        fits = index.refresh_fits(progress=index._named(progress, "demand fits"))
        self.stdout.write(f"demand fits: {fits} computed")
        if dense:  # the live demands' query vectors (their matches pages read them)
            queries = index.embed_demand_queries(progress=index._named(progress, "demand queries"))
            self.stdout.write(f"demand queries: {queries} embedded")
        self.stdout.write(f"done in {time.monotonic() - started:.1f} s")
