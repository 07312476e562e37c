"""Reads on accounts for the people who run the platform."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from .models import User


def sign_in_locks(*, user: User) -> list[str | None]:
    """The addresses from which django-axes now refuses this user name (the failure limit reached
    within the lock's time)."""
    from axes.models import AccessAttempt

    since = timezone.now() - settings.AXES_COOLOFF_TIME
    attempts = AccessAttempt.objects.filter(username=user.get_username(), attempt_time__gte=since)
    failures: dict[str | None, int] = {}
    for address, count in attempts.values_list("ip_address", "failures_since_start"):
        failures[address] = failures.get(address, 0) + count
    return sorted(
        (a for a, n in failures.items() if n >= settings.AXES_FAILURE_LIMIT), key=lambda a: a or ""
    )
