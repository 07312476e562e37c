"""A result held for the TTO (``opentto.clashes``): onboarded or saved by a user who may not see a
result it may duplicate (the same application number, or a nearly identical title in the same
organisation). The TTO decides:

- **merge**: the new result's owners become co-owners of the existing one, its IP assets that
  the existing one lacks, its funding and its attachments move there, and the new result is
  withdrawn ("merged into result #…"). Inventors are not moved: their shares add up to 100 on
  each result, so the TTO revises them on the existing result if needed.
- **keep both**: nothing changes (held IP assets stay outside the number's uniqueness).
- **reject**: the new result is withdrawn ("rejected as a duplicate").
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opentto.accounts.models import User
from opentto.clashes.models import ClashHold
from opentto.clashes.services import register_clash_kind
from opentto.core.cache import figures_changed
from opentto.search.enqueue import enqueue_result_index

from .models import Result, ResultOwner, ResultStageChoices
from .pipeline import TransitionError, result_transition
from .services import RESULT_CLASH


def _withdraw(result: Result, reason: str, actor: User) -> None:
    if result.stage == ResultStageChoices.WITHDRAWN:
        return
    try:
        result_transition(
            result=result, target=ResultStageChoices.WITHDRAWN, actor=actor, reason=reason
        )
    except TransitionError as exc:
        raise ValidationError({"decision": exc.messages}) from exc


def _merge(
    *, hold: ClashHold, held: Result, existing: Result, actor: User, note: str
) -> dict[str, Any]:
    owners = set(existing.ownerships.values_list("organisation_id", flat=True))
    added = [
        o for o in held.ownerships.values_list("organisation_id", flat=True) if o not in owners
    ]
    ResultOwner.objects.bulk_create(
        [ResultOwner(result=existing, organisation_id=o) for o in added]
    )
    numbers = set(existing.ip_assets.values_list("jurisdiction", "application_number"))
    moving = [
        a.pk
        for a in held.ip_assets.filter(is_held=False)
        if (a.jurisdiction, a.application_number) not in numbers
    ]
    held.ip_assets.filter(pk__in=moving).update(result=existing)
    held.fundings.update(result=existing)
    attachments = held.attachments.update(result=existing)
    _withdraw(held, _("Merged into result #%(pk)s.") % {"pk": existing.pk}, actor)
    figures_changed()
    for pk in (existing.pk, held.pk):
        transaction.on_commit(lambda pk=pk: enqueue_result_index(pk))  # type: ignore[misc]
    return {"owners_added": added, "ip_assets_moved": moving, "attachments_moved": attachments}


def _keep_both(
    *, hold: ClashHold, held: Result, existing: Result, actor: User, note: str
) -> dict[str, Any]:
    return {}


def _reject(
    *, hold: ClashHold, held: Result, existing: Result, actor: User, note: str
) -> dict[str, Any]:
    _withdraw(
        held, note or _("Rejected as a duplicate of a result already on the platform."), actor
    )
    return {}


register_clash_kind(
    RESULT_CLASH,
    label=gettext_lazy("A result that may duplicate another"),
    url_name="results:detail",
    merge=_merge,
    keep_both=_keep_both,
    reject=_reject,
)
