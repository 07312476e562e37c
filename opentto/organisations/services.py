"""Writes for organisations and people. Each asks the grant the views ask (``add`` on the type):
``actor=None`` is the system (imports, the demo)."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from opentto.accounts.models import User
from opentto.clashes.services import clash_hold, split_by_visibility
from opentto.core.audit import audit_record
from opentto.core.cache import figures_changed
from opentto.core.permissions import permitted
from opentto.core.validators import validate_unified_social_credit_code

from .models import Membership, MembershipRoleChoices, Organisation, OrganisationKindChoices, Person

#: The kinds of clash an organisation or a person is held for (``opentto.organisations.clashes``).
ORGANISATION_CLASH = "organisations.organisation"
PERSON_CLASH = "organisations.person"


def organisation_create(
    *,
    kind: str,
    name_zh: str = "",
    name_en: str = "",
    credit_code: str = "",
    city_zh: str = "",
    city_en: str = "",
    description_zh: str = "",
    description_en: str = "",
    actor: User | None,
) -> Organisation:
    """Create an organisation; the credit code is checked with its check character where given.
    A code already on the platform is refused only if ``actor`` may see that organisation; else
    the new one is stored ``is_held`` and held for the TTO (``opentto.clashes``), and ``actor``
    is told nothing."""
    if actor is not None and not permitted(actor, Organisation, "add"):
        raise PermissionError(_("Only TTO managers add organisations."))
    errors: dict[str, list[str]] = {}
    if not name_zh.strip() and not name_en.strip():
        errors["name_zh"] = [_("Give the name in Chinese, in English, or both.")]
    if kind not in OrganisationKindChoices.values:
        errors["kind"] = [_("Choose the kind of organisation.")]
    code = credit_code.strip().upper()
    clash: Organisation | None = None
    if code:
        try:
            code = validate_unified_social_credit_code(code)
        except ValidationError as exc:
            errors["credit_code"] = exc.messages
        else:
            # only an organisation the user may see refuses the code; one they may not see is held
            visible, hidden = split_by_visibility(
                Organisation.objects.filter(credit_code=code), actor
            )
            if visible.exists():
                errors["credit_code"] = [_("An organisation with this credit code already exists.")]
            else:
                clash = hidden.filter(is_held=False).order_by("pk").first()
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        organisation = Organisation.objects.create(
            kind=kind,
            name_zh=name_zh.strip(),
            name_en=name_en.strip(),
            credit_code=code,
            city_zh=city_zh.strip(),
            city_en=city_en.strip(),
            description_zh=description_zh.strip(),
            description_en=description_en.strip(),
            is_held=clash is not None,
        )
        audit_record(
            actor=actor,
            action="organisation.create",
            obj=organisation,
            payload={"name_zh": name_zh, "name_en": name_en},
        )
        if clash is not None:
            clash_hold(
                kind=ORGANISATION_CLASH,
                held=organisation,
                existing=clash,
                actor=actor,
                detail={"credit_code": code},
            )
        figures_changed()  # cached directory pages and filters list it from now on
    return organisation


def person_create(
    *,
    name_zh: str = "",
    name_en: str = "",
    email: str = "",
    memberships: Sequence[tuple[Organisation, str, str, str]] = (),
    actor: User | None,
) -> Person:
    """Create a person with memberships ``(organisation, role, position_zh, position_en)``."""
    if actor is not None and not permitted(actor, Person, "add"):
        raise PermissionError(_("Only TTO managers add people."))
    errors: dict[str, list[str]] = {}
    if not name_zh.strip() and not name_en.strip():
        errors["name_zh"] = [_("Give the name in Chinese, in English, or both.")]
    for _org, role, _zh, _en in memberships:
        if role not in MembershipRoleChoices.values:
            errors["memberships"] = [_("Choose the role in the organisation.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        person = Person.objects.create(
            name_zh=name_zh.strip(), name_en=name_en.strip(), email=email.strip()
        )
        Membership.objects.bulk_create(
            [
                Membership(
                    person=person, organisation=org, role=role, position_zh=zh, position_en=en
                )
                for org, role, zh, en in memberships
            ]
        )
        audit_record(
            actor=actor,
            action="person.create",
            obj=person,
            payload={"name_zh": name_zh, "name_en": name_en},
        )
        figures_changed()
    return person
