"""Import jobs: their creator's and the TTO's (registered with :mod:`opentto.core.permissions`).

| object type | action | admin, manager | every other signed-in user |
|---|---|---|---|
| imports.importjob | add (import at all) | all | — |
| imports.importjob | view, change (map the columns, run, repeat) | all | the jobs they created (``own``) |

Only the TTO may import by default, so the ``own`` grants show nothing until an admin grants
another role ``add``; then its users see their own jobs and no one else's.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, Q

from opentto.core.permissions import ALL, SIGNED_IN, STAFF, register, user_role


def _own_job(user: Any, model: type[Model]) -> Q | None:
    return None if user_role(user) is None else Q(created_by_id=user.pk)


register(
    "imports.importjob",
    actions={"view", "change", "add"},
    constraints={"own": _own_job},
    grants=[
        *[(role, ALL, ("view", "change", "add")) for role in STAFF],
        *[(role, "own", ("view", "change")) for role in SIGNED_IN if role not in STAFF],
    ],
)
