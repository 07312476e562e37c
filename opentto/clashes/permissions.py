"""Clash holds (registered with :mod:`opentto.core.permissions`): the TTO sees them and resolves
them. Whoever holds these grants sees both records of a hold, including the one its creator may
not see: grant them only to those who may see every record.

| role | view | resolve |
|---|---|---|
| admin, manager | all | all |
| everyone else | — | — |
"""

from __future__ import annotations

from opentto.core.permissions import ALL, STAFF, register

register(
    "clashes.clashhold",
    actions={"view", "resolve"},
    grants=[(role, ALL, ("view", "resolve")) for role in STAFF],
)
