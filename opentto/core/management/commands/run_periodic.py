from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from opentto.celery import app, collect_beat_schedule


class Command(BaseCommand):
    help = "Run every periodic task once, in-process (for cron when no Celery beat runs)."

    def handle(self, *args: Any, **options: Any) -> None:
        for name, entry in sorted(collect_beat_schedule().items()):
            app.loader.import_default_modules()
            task = app.tasks[entry["task"]]
            result = task.apply(args=entry.get("args", ()), kwargs=entry.get("kwargs", {}))
            self.stdout.write(f"{name}: {result.result!r}")
