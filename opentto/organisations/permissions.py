"""The directory of organisations and people: for signed-in users (registered with
:mod:`opentto.core.permissions`). A person's e-mail address (``view_email``) only for the TTO:
the person page, the people export and anything else that prints it ask this grant."""

from __future__ import annotations

from opentto.core.permissions import ALL, SIGNED_IN, STAFF, register

register("organisations.organisation", actions={"view"}, grants=[(role, ALL, ("view",)) for role in SIGNED_IN])
register("organisations.person", actions={"view", "view_email"},
         grants=[(role, ALL, ("view", "view_email") if role in STAFF else ("view",)) for role in SIGNED_IN])
