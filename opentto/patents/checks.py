"""The checks the planning desk's services share (``opentto.patents``, ``opentto.financing``,
``opentto.planning``): the refusal every write gives a user who may not do it, the errors keyed by
field, amounts in yuan and rates as fractions, and a user chosen for planning work. They live in
the lowest of the three apps so that the others may import them."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from opentto.accounts.models import User
from opentto.core.permissions import allows, permitted

Errors = dict[str, list[str]]


def require(actor: Any, obj: Any, action: str) -> None:
    """The rule the pages ask too (``opentto.patents.permissions``): refuse with PermissionError."""
    if not allows(actor, obj, action):
        raise PermissionError(_("Only TTO managers do operations planning."))


def require_type(actor: Any, model: Any, action: str) -> None:
    if not permitted(actor, model, action):
        raise PermissionError(_("Only TTO managers do operations planning."))


def raise_errors(errors: Errors) -> None:
    if errors:
        raise ValidationError(errors)


def money(
    value: object, field: str, errors: Errors, *, required: bool = False, positive: bool = False
) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors.setdefault(field, []).append(_("This amount is required."))
        return None
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation:
        errors.setdefault(field, []).append(_("Enter an amount in yuan, e.g. 1200000.00."))
        return None
    if not amount.is_finite() or amount < 0 or (positive and amount == 0):
        errors.setdefault(field, []).append(
            _("Enter an amount above zero.") if positive else _("An amount cannot be negative.")
        )
        return None
    if amount != amount.quantize(Decimal("0.01")):
        errors.setdefault(field, []).append(
            _("Amounts are in yuan with at most two decimals (fen).")
        )
        return None
    return amount


def fraction(
    value: object,
    field: str,
    errors: Errors,
    *,
    required: bool = True,
    upper: Decimal = Decimal(1),
    lower_open: bool = False,
) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors.setdefault(field, []).append(_("This rate is required."))
        return None
    try:
        rate = Decimal(str(value).strip())
    except InvalidOperation:
        errors.setdefault(field, []).append(_("Enter a rate as a fraction, e.g. 0.05 for 5%."))
        return None
    if not rate.is_finite() or rate < 0 or rate >= upper or (lower_open and rate == 0):
        errors.setdefault(field, []).append(
            _(
                "Enter a rate as a fraction from 0 up to (not including) %(upper)s, e.g. 0.05 for 5%%."
            )
            % {"upper": upper}
        )
        return None
    return rate


def planner(user: User | None, obj: Any, action: str, field: str, errors: Errors) -> None:
    """A user chosen for planning work (a family's manager, a task's owner, an abandonment's
    approver) must be allowed that work on ``obj``."""
    if user is not None and not allows(user, obj, action):
        errors[field] = [_("Choose a TTO manager.")]
