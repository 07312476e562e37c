"""``manage.py match`` / ``opentto match``: see :mod:`opentto.matching.cli`."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from opentto.matching import cli


class Command(BaseCommand):
    help = "Rank a JSONL corpus for JSONL queries (no database needed); writes a JSONL run."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: ArgumentParser) -> None:
        cli.add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        argv: list[str] = []
        for name in ("corpus", "queries", "out", "top", "mode", "cache_dir", "index_dir"):
            value = options.get(name)
            if value is not None:
                argv += ["--" + name.replace("_", "-"), str(value)]
        if options.get("quiet"):
            argv.append("--quiet")
        code = cli.main(argv)
        if code:
            raise CommandError(f"match failed with exit code {code}")
