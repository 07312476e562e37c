"""Celery application. In the embedded default (no ``CELERY_BROKER_URL``) tasks run in-process.

Periodic tasks: each app that has them defines ``BEAT_SCHEDULE`` (a Celery beat schedule dict) in
``opentto/<app>/schedule.py``; they are merged here, so ``celery -A opentto beat`` runs them all.
Without a broker, ``opentto run_periodic`` runs them once from cron.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opentto.settings.dev")
app = Celery("opentto")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def collect_beat_schedule() -> dict[str, Any]:
    from django.apps import apps

    schedule: dict[str, Any] = {}

    # App names, not INSTALLED_APPS entries (an entry may name an AppConfig class).
    for name in (config.name for config in apps.get_app_configs()):
        if not name.startswith("opentto."):
            continue
        try:
            module = importlib.import_module(f"{name}.schedule")
        except ModuleNotFoundError as exc:
            if exc.name == f"{name}.schedule":
                continue
            raise
        schedule.update(getattr(module, "BEAT_SCHEDULE", {}))
    return schedule


@app.on_after_finalize.connect
def _setup_periodic_tasks(sender: Celery, **kwargs: Any) -> None:
    sender.conf.beat_schedule = {**(sender.conf.beat_schedule or {}), **collect_beat_schedule()}
