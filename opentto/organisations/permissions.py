"""The directory of organisations and people: for signed-in users (registered with
:mod:`opentto.core.permissions`)."""

from __future__ import annotations

from opentto.core.permissions import ALL, SIGNED_IN, register

for _object_type in ("organisations.organisation", "organisations.person"):
    register(_object_type, actions={"view"}, grants=[(role, ALL, ("view",)) for role in SIGNED_IN])
