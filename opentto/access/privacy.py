"""Personal data of people under China's Personal Information Protection Law (PIPL, 个人信息保护法).

ID numbers and bank details are sensitive personal information (PIPL art. 28): they are encrypted
at rest, shown masked, revealed in full only to those who pay inventors (the grants of
``view_private_data`` on ``organisations.person``: admins and TTO managers), each reveal is recorded; processing needs the person's separate consent (art. 29),
which is recorded with the version of the text; a person can obtain a copy of their data (art. 45);
data past its retention date is erased (art. 47) while the audit trail keeps only ids."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opentto.accounts import crypto
from opentto.accounts.models import User
from opentto.core.audit import audit_record
from opentto.core.permissions import allows, permitted
from opentto.organisations.models import Person
from opentto.results.models import Result

CONSENT_VERSION = "2026-11"
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def validate_id_number(value: str) -> str:
    """A resident identity card number (GB 11643-1999): 18 characters, the last a check
    character over the first 17 (ISO 7064 MOD 11-2)."""
    value = value.strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", value):
        raise ValidationError(
            _("An ID number has 18 characters: 17 digits and a digit or X."), code="format"
        )
    check = _ID_CHECK[sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS, strict=True)) % 11]
    if value[17] != check:
        raise ValidationError(
            _("This ID number's check character is wrong; please check it."), code="check"
        )
    return value


def validate_bank_account(value: str) -> str:
    value = re.sub(r"[\s-]", "", value)
    if not re.fullmatch(r"\d{12,30}", value):
        raise ValidationError(_("A bank account number has 12 to 30 digits."), code="format")
    return value


def can_see_private_data(user: Any, person: Person | None = None) -> bool:
    """Whether ``user`` may see people's ID and bank details (those who pay inventors' rewards):
    ``person``'s, or anyone's at all when no person is given (the link on a person page)."""
    if person is None:
        return permitted(user, Person, "view_private_data")
    return allows(user, person, "view_private_data")


def _require(actor: Any, person: Person, action: str, message: str) -> None:
    if not allows(actor, person, action):
        raise PermissionError(message)


def person_private_data(person: Person, *, masked: bool = True) -> dict[str, str]:
    id_number = crypto.decrypt(person.id_number_encrypted)
    bank_name = crypto.decrypt(person.bank_name_encrypted)
    account = crypto.decrypt(person.bank_account_encrypted)
    if masked:
        return {
            "id_number": crypto.mask(id_number, keep_start=0, keep_end=4),
            "bank_name": bank_name,
            "bank_account": crypto.mask(account),
        }
    return {"id_number": id_number, "bank_name": bank_name, "bank_account": account}


def person_set_private_data(
    *,
    person: Person,
    id_number: str,
    bank_name: str,
    bank_account: str,
    retain_until: date | None,
    actor: User,
    request: Any = None,
) -> Person:
    _require(
        actor,
        person,
        "change_private_data",
        "only those who pay inventors record their ID and bank details",
    )
    errors: dict[str, list[str]] = {}
    clean: dict[str, str] = {}
    for key, value, check in (
        ("id_number", id_number, validate_id_number),
        ("bank_account", bank_account, validate_bank_account),
    ):
        if value and value.strip():
            try:
                clean[key] = check(value)
            except ValidationError as exc:
                errors[key] = exc.messages
        else:
            clean[key] = ""
    bank_name = (bank_name or "").strip()[:100]
    if person.consent_given_at is None and (clean.get("id_number") or clean.get("bank_account")):
        errors.setdefault("__all__", []).append(
            _("Record the person's consent before storing their ID or bank details.")
        )
    if retain_until is not None and retain_until <= timezone.localdate():
        errors["retain_until"] = [_("The retention date must be in the future.")]
    if person.erased_at is not None:
        errors.setdefault("__all__", []).append(_("This person's data has been erased."))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        Person.objects.filter(pk=person.pk).update(
            id_number_encrypted=crypto.encrypt(clean["id_number"]),
            bank_name_encrypted=crypto.encrypt(bank_name),
            bank_account_encrypted=crypto.encrypt(clean["bank_account"]),
            private_data_retain_until=retain_until,
        )
        # The audit trail records that the data changed, never the data.
        audit_record(
            actor=actor,
            action="person.set_private_data",
            obj=person,
            payload={
                "id_number": bool(clean["id_number"]),
                "bank_account": bool(clean["bank_account"]),
                "retain_until": retain_until,
            },
            request=request,
        )
    person.refresh_from_db()
    return person


def person_reveal_private_data(
    *, person: Person, actor: User, request: Any = None
) -> dict[str, str]:
    _require(
        actor,
        person,
        "view_private_data",
        "only those who pay inventors see their ID and bank details",
    )
    audit_record(actor=actor, action="person.reveal_private_data", obj=person, request=request)
    return person_private_data(person, masked=False)


def person_record_consent(*, person: Person, actor: User, request: Any = None) -> Person:
    """The person (signed in as themselves) or the TTO on their written consent."""
    _require(
        actor,
        person,
        "manage_consent",
        "consent is the person's (or recorded by the TTO from their signed form)",
    )
    with transaction.atomic():
        now = timezone.now()
        Person.objects.filter(pk=person.pk).update(
            consent_given_at=now, consent_version=CONSENT_VERSION
        )
        audit_record(
            actor=actor,
            action="person.consent",
            obj=person,
            payload={"version": CONSENT_VERSION},
            request=request,
        )
    person.consent_given_at, person.consent_version = now, CONSENT_VERSION
    return person


def person_withdraw_consent(*, person: Person, actor: User, request: Any = None) -> Person:
    """Withdrawing consent (PIPL art. 15) erases the sensitive data it covered."""
    _require(actor, person, "manage_consent", "consent is the person's")
    with transaction.atomic():
        Person.objects.filter(pk=person.pk).update(
            consent_given_at=None,
            consent_version="",
            id_number_encrypted="",
            bank_name_encrypted="",
            bank_account_encrypted="",
        )
        audit_record(actor=actor, action="person.withdraw_consent", obj=person, request=request)
    person.refresh_from_db()
    return person


def person_export(*, person: Person, actor: User, request: Any = None) -> dict[str, Any]:
    """A copy of everything the platform holds about the person (PIPL art. 45)."""
    _require(actor, person, "export_data", "a person's data is exported for that person")
    from .selectors import audit_events_visible

    user = getattr(person, "user", None)
    data: dict[str, Any] = {
        "exported_at": timezone.now().isoformat(),
        "person": {
            "id": person.pk,
            "name_zh": person.name_zh,
            "name_en": person.name_en,
            "email": person.email,
            "created_at": person.created_at.isoformat(),
            "consent_given_at": person.consent_given_at.isoformat()
            if person.consent_given_at
            else None,
            "consent_version": person.consent_version,
            **person_private_data(person, masked=False),
        },
        "memberships": [
            {
                "organisation": m.organisation.name_zh or m.organisation.name_en,
                "role": m.role,
                "position_zh": m.position_zh,
                "position_en": m.position_en,
            }
            for m in person.memberships.select_related("organisation")
        ],
        "inventorships": [],
    }
    # Every inventorship share is the person's; a title only where the actor may see the result.
    inventorships = list(person.inventorships.select_related("result"))
    visible = set(
        Result.objects.restrict(actor, "view")
        .filter(pk__in=[i.result_id for i in inventorships])
        .values_list("pk", flat=True)
    )
    data["inventorships"] = [
        {
            "result_id": i.result_id,
            "title_zh": i.result.title_zh if i.result_id in visible else "",
            "title_en": i.result.title_en if i.result_id in visible else "",
            "share": str(i.share),
        }
        for i in inventorships
    ]
    data["consents"] = [
        {
            "at": e.occurred_at.isoformat(),
            "action": e.action,
            "version": (e.payload or {}).get("version", ""),
        }
        for e in audit_events_visible(actor)
        .filter(
            object_type="organisations.person",
            object_id=str(person.pk),
            action__in=("person.consent", "person.withdraw_consent"),
        )
        .order_by("occurred_at", "id")
    ]
    if user is not None:
        data["user"] = {
            "username": user.username,
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "role": user.role,
            "language": user.language,
            "date_joined": user.date_joined.isoformat(),
            "two_factor": user.has_two_factor,
        }
        data["sign_ins"] = [
            {"at": e.occurred_at.isoformat(), "action": e.action, "from": e.remote_addr}
            for e in audit_events_visible(actor).filter(
                object_type="accounts.user", object_id=str(user.pk), action__startswith="user.login"
            )[:200]
        ]
    audit_record(actor=actor, action="person.export", obj=person, request=request)
    return data


def person_erase(*, person: Person, actor: User, request: Any = None) -> Person:
    """Erase a person's personal data (PIPL art. 47). The row stays, so results keep their
    inventorship shares and the audit trail keeps its ids; names become a placeholder."""
    _require(actor, person, "erase", "only the TTO erases a person's data")
    if person.erased_at is not None:
        raise ValidationError({"__all__": [_("This person's data has already been erased.")]})
    with transaction.atomic():
        Person.objects.filter(pk=person.pk).update(
            name_zh=f"已删除的个人 #{person.pk}",
            name_en=f"Erased person #{person.pk}",
            email="",
            id_number_encrypted="",
            bank_name_encrypted="",
            bank_account_encrypted="",
            consent_given_at=None,
            consent_version="",
            private_data_retain_until=None,
            erased_at=timezone.now(),
        )
        user = User.objects.filter(person=person).first()
        if user is not None:
            User.objects.filter(pk=user.pk).update(
                first_name="", last_name="", email="", is_active=False
            )
        audit_record(
            actor=actor,
            action="person.erase",
            obj=person,
            payload={"user": user.pk if user else None},
            request=request,
        )
    person.refresh_from_db()
    return person


def personal_data_purge_expired(*, today: date | None = None) -> int:
    """Clear ID and bank details whose retention date has passed (run daily)."""
    today = today or timezone.localdate()
    count = 0
    for person in Person.objects.filter(
        private_data_retain_until__lt=today, erased_at__isnull=True
    ):
        with transaction.atomic():
            Person.objects.filter(pk=person.pk).update(
                id_number_encrypted="",
                bank_name_encrypted="",
                bank_account_encrypted="",
                private_data_retain_until=None,
            )
            audit_record(
                actor=None,
                action="person.purge_private_data",
                obj=person,
                payload={"retained_until": person.private_data_retain_until},
            )
        count += 1
    return count
