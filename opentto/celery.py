"""Celery application. In the embedded default (no ``CELERY_BROKER_URL``) tasks run in-process."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opentto.settings.dev")
app = Celery("opentto")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
