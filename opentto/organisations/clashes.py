"""Organisations and people held for the TTO (``opentto.clashes``): added by a user who may not
see the one already on the platform with the same credit code (or, in a bulk import, the same
name or e-mail address). The TTO decides:

- **merge**: every record that refers to the new one (memberships, ownerships, users …) is
  pointed at the existing one — where the existing one already has the same link, its own wins —
  and the new one is deleted;
- **keep both** (people, and organisations matched by name only): nothing changes;
- **reject**: the new one is deleted, if nothing refers to it yet (else: merge it).

Two organisations with the same credit code are one legal entity: that clash cannot be kept.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opentto.accounts.models import User
from opentto.clashes.models import ClashHold
from opentto.clashes.services import delete_unreferenced, merge_references, register_clash_kind
from opentto.core.cache import figures_changed

from .services import ORGANISATION_CLASH, PERSON_CLASH


def _merge(
    *, hold: ClashHold, held: models.Model, existing: models.Model, actor: User, note: str
) -> dict[str, Any]:
    account = merge_references(source=held, target=existing)
    delete_unreferenced(held)
    figures_changed()
    return account


def _keep_both(
    *, hold: ClashHold, held: models.Model, existing: models.Model, actor: User, note: str
) -> dict[str, Any]:
    if hold.detail.get("credit_code"):
        raise ValidationError(
            {
                "decision": [
                    _("Two organisations with the same credit code are one: merge or reject.")
                ]
            }
        )
    return {}


def _reject(
    *, hold: ClashHold, held: models.Model, existing: models.Model, actor: User, note: str
) -> dict[str, Any]:
    delete_unreferenced(held)
    figures_changed()
    return {}


register_clash_kind(
    ORGANISATION_CLASH,
    label=gettext_lazy("An organisation that may duplicate another"),
    url_name="organisations:detail",
    merge=_merge,
    keep_both=_keep_both,
    reject=_reject,
)
register_clash_kind(
    PERSON_CLASH,
    label=gettext_lazy("A person who may duplicate another"),
    url_name="organisations:person",
    merge=_merge,
    keep_both=_keep_both,
    reject=_reject,
)
