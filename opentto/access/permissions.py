"""Results shared under a live NDA (registered with :mod:`opentto.core.permissions` on the results
app's type): an enterprise user or investor sees and reads a result whose access grant has not
expired or been revoked."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, Q
from django.utils import timezone

from opentto.core.permissions import ENTERPRISE, INVESTOR, register, user_role


def _result_shared_under_nda(user: Any, model: type[Model]) -> Q | None:
    """Results shared with this user under an NDA whose access has not expired or been revoked."""
    if user_role(user) is None:
        return None
    from .models import AccessGrant

    live = AccessGrant.objects.filter(user_id=user.pk, revoked_at__isnull=True, expires_at__gt=timezone.now())
    return Q(pk__in=live.values("result_id"))


register("results.result", constraints={"shared_under_nda": _result_shared_under_nda},
         grants=[(role, "shared_under_nda", ("view", "view_details")) for role in (ENTERPRISE, INVESTOR)])
