"""Writes for researchers' ownership and use rights (赋权, 国科发区〔2020〕128号).

Each service is keyword-only, asks the grant (``opentto/rights/permissions.py``), validates with a
translated message, writes in one transaction with the application's row locked, records a
:class:`~opentto.rights.models.RightsEvent` and an audit event. A refusal writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from opentto.accounts.models import User
from opentto.core.audit import audit_record
from opentto.core.permissions import allows, permitted
from opentto.core.transitions import transition
from opentto.core.uploads import check_upload
from opentto.organisations.models import Organisation, Person
from opentto.results.models import Result

from .hooks import owner_shares_providers
from .models import (
    TRANSITIONS,
    USE_MIN_YEARS,
    HolderKindChoices,
    OwnershipShare,
    PilotInstitution,
    PilotProgrammeChoices,
    RightsApplication,
    RightsEvent,
    RightsKindChoices,
    RightsStatusChoices,
    RightsTeamMember,
)

HUNDRED = Decimal(100)
#: Ownership shares are kept to the millionth of a percent; the last holder takes the rest, so they sum to 100.
SHARE_PLACES = Decimal("0.000001")


@dataclass(frozen=True)
class TeamMemberInput:
    person: Person
    split: Decimal | str


def _decimal(value: Any, field: str, errors: dict[str, list[str]], message: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors.setdefault(field, []).append(message)
        return None
    if not d.is_finite():
        errors.setdefault(field, []).append(message)
        return None
    return d


def _record(
    application: RightsApplication,
    from_status: str,
    actor: User | None,
    action: str,
    note: str = "",
    payload: dict[str, Any] | None = None,
) -> None:
    RightsEvent.objects.create(
        application=application,
        from_status=from_status,
        to_status=application.status,
        note=note,
        actor=actor,
    )
    audit_record(
        actor=actor,
        action=f"rights.{action}",
        obj=application,
        payload={
            "from": from_status,
            "to": application.status,
            "result": application.result_id,
            **(payload or {}),
        },
    )


def _lock(application: RightsApplication, target: str, actor: User) -> RightsApplication:
    """Ask the edge's action (``TRANSITIONS``), lock the row, check the edge."""
    action = TRANSITIONS.action_for(application.status, target)
    if action is None or not allows(actor, application, action):
        raise PermissionError(_("You may not do this with this application."))
    locked = (
        RightsApplication.objects.select_for_update()
        .select_related("pilot", "pilot__organisation", "result")
        .get(pk=application.pk)
    )
    TRANSITIONS.check_edge(locked, target)
    return locked


def _owns(result: Result, organisation: Organisation) -> bool:
    return result.ownerships.filter(organisation=organisation).exists()


# --- pilot institutions ---------------------------------------------------------------------------


def pilot_create(
    *,
    organisation: Organisation,
    programme: str,
    programme_name: str,
    legal_basis: str,
    citation: str,
    starts_on: dt.date,
    ends_on: dt.date,
    notice_min_days: int = 15,
    actor: User,
) -> PilotInstitution:
    """Record that an organisation is a pilot institution of a programme, with its basis and dates."""
    if not permitted(actor, PilotInstitution, "add"):
        raise PermissionError(_("Only the TTO records pilot institutions."))
    errors: dict[str, list[str]] = {}
    if programme not in PilotProgrammeChoices.values:
        errors["programme"] = [_("Choose the national pilot or a local programme.")]
    if not programme_name.strip():
        errors["programme_name"] = [_("Name the programme.")]
    if not legal_basis.strip():
        errors["legal_basis"] = [_("State the legal basis of the pilot.")]
    if not citation.strip():
        errors["citation"] = [
            _("Cite the document that names the institution (e.g. Guokefaqu [2020] No. 128).")
        ]
    if ends_on < starts_on:
        errors["ends_on"] = [_("The pilot cannot end before it starts.")]
    if notice_min_days < 1:
        errors["notice_min_days"] = [_("The notice runs at least one day.")]
    if not organisation.is_research:
        errors["organisation"] = [
            _("Pilot institutions are universities, institutes and hospitals.")
        ]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        pilot = PilotInstitution.objects.create(
            organisation=organisation,
            programme=programme,
            programme_name=programme_name.strip(),
            legal_basis=legal_basis.strip(),
            citation=citation.strip(),
            starts_on=starts_on,
            ends_on=ends_on,
            notice_min_days=notice_min_days,
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action="rights.pilot_create",
            obj=pilot,
            payload={
                "organisation": organisation.pk,
                "programme": programme,
                "starts_on": starts_on,
                "ends_on": ends_on,
            },
        )
    return pilot


# --- the application ------------------------------------------------------------------------------


def _clean_team(
    result: Result, team: Sequence[TeamMemberInput], errors: dict[str, list[str]]
) -> list[tuple[Person, Decimal]]:
    inventors = set(result.inventorships.values_list("person_id", flat=True))
    out: list[tuple[Person, Decimal]] = []
    seen: set[int] = set()
    if not team:
        errors.setdefault("team", []).append(
            _("Name the team: at least one of the result's inventors.")
        )
    for member in team:
        split = _decimal(
            member.split, "team", errors, _("Give each member's part as a percentage.")
        )
        if member.person.pk not in inventors:
            errors.setdefault("team", []).append(
                _("%(name)s is not an inventor of this result.") % {"name": member.person.name}
            )
        if member.person.pk in seen:
            errors.setdefault("team", []).append(
                _("%(name)s is listed twice.") % {"name": member.person.name}
            )
        seen.add(member.person.pk)
        if split is not None and not 0 < split <= 100:
            errors.setdefault("team", []).append(
                _("Each member's part is above 0 and at most 100%.")
            )
        if split is not None and split.as_tuple().exponent < -3:  # type: ignore[operator]
            errors.setdefault("team", []).append(_("Give each part with at most 3 decimals."))
        out.append((member.person, split if split is not None else Decimal(0)))
    if team and "team" not in errors and sum((s for _p, s in out), Decimal(0)) != HUNDRED:
        errors.setdefault("team", []).append(_("The members' parts must add up to 100%."))
    return out


def _clean_terms(
    kind: str, share: Any, term_years: Any, errors: dict[str, list[str]], prefix: str
) -> tuple[Decimal | None, int | None]:
    """The share (ownership) or the term (use) the kind needs, validated."""
    if kind not in RightsKindChoices.values:
        errors[f"{prefix}_kind"] = [_("Choose a share of ownership or a long-term right of use.")]
        return None, None
    if kind == RightsKindChoices.OWNERSHIP:
        value = _decimal(share, f"{prefix}_share", errors, _("Give the share as a percentage."))
        if value is None and f"{prefix}_share" not in errors:
            errors[f"{prefix}_share"] = [_("Give the team's share of ownership.")]
        elif value is not None and not 0 < value <= 100:
            errors[f"{prefix}_share"] = [
                _("The team's share of ownership is above 0 and at most 100%.")
            ]
        elif value is not None and value.as_tuple().exponent < -3:  # type: ignore[operator]
            errors[f"{prefix}_share"] = [_("Give the share with at most 3 decimals.")]
        return value, None
    try:
        years = int(term_years) if term_years not in (None, "") else None
    except (TypeError, ValueError):
        years = None
    if years is None:
        errors[f"{prefix}_term_years"] = [_("Give the term of the right of use in years.")]
    elif years < USE_MIN_YEARS:
        errors[f"{prefix}_term_years"] = [
            _("A long-term right of use runs at least %(years)s years (Guokefaqu [2020] No. 128).")
            % {"years": USE_MIN_YEARS}
        ]
    return None, years


def rights_application_create(
    *,
    result: Result,
    pilot: PilotInstitution,
    requested_kind: str,
    team: Sequence[TeamMemberInput],
    requested_share: Decimal | str | None = None,
    requested_term_years: int | str | None = None,
    requested_exclusive: bool = False,
    statement: str = "",
    actor: User,
) -> RightsApplication:
    """A draft application of the team (persons among the result's inventors) for a result owned by
    the pilot institution."""
    if not permitted(actor, RightsApplication, "add"):
        raise PermissionError(_("You may not apply for ownership or use rights."))
    errors: dict[str, list[str]] = {}
    if not _owns(result, pilot.organisation):
        errors["pilot"] = [
            _("%(org)s does not own this result.") % {"org": pilot.organisation.name}
        ]
    share, years = _clean_terms(
        requested_kind, requested_share, requested_term_years, errors, "requested"
    )
    members = _clean_team(result, team, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        application = RightsApplication.objects.create(
            result=result,
            pilot=pilot,
            requested_kind=requested_kind,
            requested_share=share,
            requested_term_years=years,
            requested_exclusive=bool(requested_exclusive)
            and requested_kind == RightsKindChoices.USE,
            statement=statement.strip(),
            created_by=actor,
        )
        RightsTeamMember.objects.bulk_create(
            [
                RightsTeamMember(application=application, person=p, split=s, position=n)
                for n, (p, s) in enumerate(members)
            ]
        )
        if not allows(
            actor, application, "add"
        ):  # ADR 0008: the row's constraint, inside the transaction
            raise ValidationError({"team": [_("You may apply only for a team you are in.")]})
        _record(
            application,
            "",
            actor,
            "create",
            payload={
                "kind": requested_kind,
                "share": share,
                "term_years": years,
                "team": {p.pk: s for p, s in members},
            },
        )
    return application


def _move(
    application: RightsApplication, target: str, actor: User, fields: Any = None, note: str = ""
) -> RightsApplication:
    """The kit's move (``opentto.core.transitions.transition``): the edge's action, the edge, the
    fields, a ``RightsEvent`` and the audit entry ``rights.<verb>``."""
    return transition(
        obj=application,
        target=target,
        actor=actor,
        table=TRANSITIONS,
        fields=fields,
        queryset=RightsApplication.objects.select_related("pilot", "pilot__organisation", "result"),
        event=lambda row, source, edge: RightsEvent.record(
            row, source=source, target=row.status, actor=actor, note=note
        ),
        audit_payload=lambda row, source: {
            "from": source,
            "to": row.status,
            "result": row.result_id,
        },
    )


def rights_application_submit(*, application: RightsApplication, actor: User) -> RightsApplication:
    return _move(application, RightsStatusChoices.SUBMITTED, actor)


def rights_application_grant(
    *,
    application: RightsApplication,
    decided_on: dt.date,
    kind: str,
    share: Decimal | str | None = None,
    term_years: int | str | None = None,
    exclusive: bool = False,
    conditions: str = "",
    actor: User,
) -> RightsApplication:
    """The institution grants the team a share of ownership (a percentage of the institution's own
    share of the result) or a right of use of at least 10 years, with its conditions. Refused when
    the institution is not a pilot on the decision date."""
    with transaction.atomic():
        locked = _lock(application, RightsStatusChoices.GRANTED, actor)
        errors: dict[str, list[str]] = {}
        pilot = locked.pilot
        if not pilot.covers(decided_on):
            errors["decided_on"] = [
                _(
                    "%(org)s is not a pilot institution on %(day)s (the pilot runs from %(start)s to %(end)s)."
                )
                % {
                    "org": pilot.organisation.name,
                    "day": decided_on.isoformat(),
                    "start": pilot.starts_on.isoformat(),
                    "end": pilot.ends_on.isoformat(),
                }
            ]
        if decided_on > timezone.localdate():
            errors["decided_on"] = [
                *errors.get("decided_on", []),
                _("The decision date cannot be in the future."),
            ]
        if not _owns(locked.result, pilot.organisation):
            errors["pilot"] = [
                _("%(org)s no longer owns this result.") % {"org": pilot.organisation.name}
            ]
        value, years = _clean_terms(kind, share, term_years, errors, "granted")
        if errors:
            raise ValidationError(errors)
        before = locked.status
        locked.status = RightsStatusChoices.GRANTED
        locked.decided_on = decided_on
        locked.granted_kind = kind
        locked.granted_share = value
        locked.granted_term_years = years
        locked.granted_exclusive = bool(exclusive) and kind == RightsKindChoices.USE
        locked.conditions = conditions.strip()
        locked.save(
            update_fields=[
                "status",
                "decided_on",
                "granted_kind",
                "granted_share",
                "granted_term_years",
                "granted_exclusive",
                "conditions",
            ]
        )
        _record(
            locked,
            before,
            actor,
            "grant",
            note=locked.conditions,
            payload={"kind": kind, "share": value, "term_years": years, "decided_on": decided_on},
        )
    return locked


def rights_application_refuse(
    *, application: RightsApplication, decided_on: dt.date, reasons: str, actor: User
) -> RightsApplication:
    """Refuse the application (on its merits, or after an objection to the notice is upheld)."""
    with transaction.atomic():
        locked = _lock(application, RightsStatusChoices.REFUSED, actor)
        if not reasons.strip():
            raise ValidationError({"reasons": [_("Give the reasons for the refusal.")]})
        before = locked.status
        locked.status = RightsStatusChoices.REFUSED
        locked.decided_on = decided_on
        locked.refusal_reasons = reasons.strip()
        locked.save(update_fields=["status", "decided_on", "refusal_reasons"])
        _record(locked, before, actor, "refuse", note=locked.refusal_reasons)
    return locked


def rights_application_notice_start(
    *,
    application: RightsApplication,
    starts_on: dt.date,
    ends_on: dt.date,
    text_zh: str = "",
    text_en: str = "",
    actor: User,
) -> RightsApplication:
    """Run the public notice (公示) for at least the days the institution's rule says."""
    with transaction.atomic():
        locked = _lock(application, RightsStatusChoices.NOTICE, actor)
        errors: dict[str, list[str]] = {}
        days = (ends_on - starts_on).days + 1
        if ends_on < starts_on:
            errors["ends_on"] = [_("The notice cannot end before it starts.")]
        elif days < locked.pilot.notice_min_days:
            errors["ends_on"] = [
                _(
                    "The notice runs %(days)s days; the institution's rule asks for at least %(min)s."
                )
                % {"days": days, "min": locked.pilot.notice_min_days}
            ]
        if locked.decided_on and starts_on < locked.decided_on:
            errors["starts_on"] = [_("The notice cannot start before the decision.")]
        if not (text_zh.strip() or text_en.strip()):
            errors["text_zh"] = [_("Write the text of the notice.")]
        if errors:
            raise ValidationError(errors)
        before = locked.status
        locked.status = RightsStatusChoices.NOTICE
        locked.notice_starts_on, locked.notice_ends_on = starts_on, ends_on
        locked.notice_text_zh, locked.notice_text_en = text_zh.strip(), text_en.strip()
        locked.save(
            update_fields=[
                "status",
                "notice_starts_on",
                "notice_ends_on",
                "notice_text_zh",
                "notice_text_en",
            ]
        )
        _record(
            locked,
            before,
            actor,
            "notice_start",
            payload={"starts_on": starts_on, "ends_on": ends_on},
        )
    return locked


def rights_application_objection_record(
    *, application: RightsApplication, objection: str, actor: User
) -> RightsApplication:
    """Add an objection received during the notice (not a status change; the event records it)."""
    if not allows(actor, application, "notice"):
        raise PermissionError(_("You may not do this with this application."))
    with transaction.atomic():
        locked = RightsApplication.objects.select_for_update().get(pk=application.pk)
        if locked.status != RightsStatusChoices.NOTICE:
            raise ValidationError(
                {"objection": [_("Objections are recorded while the notice runs.")]}
            )
        if not objection.strip():
            raise ValidationError({"objection": [_("Write the objection.")]})
        today = timezone.localdate().isoformat()
        locked.objections = f"{locked.objections}\n{today}: {objection.strip()}".strip()
        locked.save(update_fields=["objections"])
        RightsEvent.objects.create(
            application=locked,
            from_status=locked.status,
            to_status=locked.status,
            note=objection.strip(),
            actor=actor,
        )
        audit_record(
            actor=actor,
            action="rights.objection",
            obj=locked,
            payload={"objection": objection.strip()},
        )
    return locked


def rights_application_agreement_record(
    *,
    application: RightsApplication,
    signed_on: dt.date,
    document: UploadedFile,
    reference: str = "",
    actor: User,
) -> RightsApplication:
    """Record the agreement between the institution and the team, signed after the notice ended."""
    with transaction.atomic():
        locked = _lock(application, RightsStatusChoices.AGREED, actor)
        errors: dict[str, list[str]] = {}
        if locked.notice_ends_on is None or signed_on <= locked.notice_ends_on:
            errors["signed_on"] = [
                _("The agreement is signed after the notice has ended (it ends on %(day)s).")
                % {"day": locked.notice_ends_on.isoformat() if locked.notice_ends_on else "—"}
            ]
        if signed_on > timezone.localdate():
            errors["signed_on"] = [
                *errors.get("signed_on", []),
                _("The signing date cannot be in the future."),
            ]
        checked = None
        if document is None:
            errors["document"] = [_("Attach the signed agreement.")]
        else:
            try:
                checked = check_upload(document)
            except ValidationError as exc:
                errors["document"] = exc.messages
        if errors:
            raise ValidationError(errors)
        assert checked is not None
        before = locked.status
        locked.status = RightsStatusChoices.AGREED
        locked.agreement_signed_on = signed_on
        locked.agreement_reference = reference.strip()
        locked.agreement_file_name = checked.safe_name
        locked.agreement_file_type = checked.content_type
        locked.agreement_file_sha256 = checked.sha256
        locked.agreement_file.save("agreement", checked.file, save=False)
        locked.save(
            update_fields=[
                "status",
                "agreement_signed_on",
                "agreement_reference",
                "agreement_file",
                "agreement_file_name",
                "agreement_file_type",
                "agreement_file_sha256",
            ]
        )
        _record(
            locked,
            before,
            actor,
            "agreement",
            payload={"signed_on": signed_on, "sha256": checked.sha256},
        )
    return locked


def _in_both_languages(text: Callable[[], str]) -> str:
    """A recorded basis in Chinese and English (it is data, read later in either language)."""
    with translation.override("zh-hans"):
        zh = str(text())
    with translation.override("en"):
        en = str(text())
    return zh if zh == en else f"{zh} / {en}"


def _years_later(day: dt.date, years: int) -> dt.date:
    """The day before the ``years``-th anniversary (a right of 10 years from 2026-01-01 ends on 2035-12-31)."""
    try:
        anniversary = day.replace(year=day.year + years)
    except ValueError:  # 29 February
        anniversary = day.replace(year=day.year + years, day=28) + dt.timedelta(days=1)
    return anniversary - dt.timedelta(days=1)


def initial_owner_shares(result: Result) -> tuple[list[tuple[Organisation, Decimal]], str]:
    """The owners' shares before any 赋权: a co-owner agreement's (from a registered provider) or equal."""
    owners = [
        o.organisation for o in result.ownerships.select_related("organisation").order_by("id")
    ]
    if not owners:
        return [], ""
    for provider in owner_shares_providers():
        answer = provider(result)
        if answer is None:
            continue
        shares, basis = answer
        if {o.pk for o in owners} <= set(shares) and sum(shares[o.pk] for o in owners) > 0:
            return _normalised([(o, Decimal(shares[o.pk])) for o in owners]), basis
    return _normalised([(o, Decimal(1)) for o in owners]), _in_both_languages(
        lambda: _("the owners in equal shares")
    )


def _normalised(weights: list[tuple[Any, Decimal]]) -> list[tuple[Any, Decimal]]:
    """Percentages to the millionth summing to exactly 100 (the first takes the rest)."""
    total = sum((w for _o, w in weights), Decimal(0))
    parts = [
        (o, (w * HUNDRED / total).quantize(SHARE_PLACES, rounding=ROUND_DOWN)) for o, w in weights
    ]
    rest = HUNDRED - sum((p for _o, p in parts), Decimal(0))
    first, value = parts[0]
    return [(first, value + rest), *parts[1:]]


def _change_ownership(application: RightsApplication, effective_on: dt.date) -> None:
    """Close the result's current ownership rows and open new ones: the team takes its granted share
    (a percentage of the institution's share), the institution keeps the rest, other owners are unchanged."""
    result = application.result
    institution = application.pilot.organisation
    rows = list(
        OwnershipShare.objects.select_for_update()
        .filter(result=result)
        .order_by("valid_from", "id")
    )
    if any(r.valid_from > effective_on for r in rows):
        raise ValidationError(
            {"effective_on": [_("The result's ownership already changes after that date.")]}
        )
    current = [r for r in rows if r.valid_to is None or r.valid_to > effective_on]
    if not rows:
        weights, basis = initial_owner_shares(result)
        start = min(timezone.localtime(result.onboarded_at).date(), effective_on)
        current = [
            OwnershipShare.objects.create(
                result=result,
                holder_kind=HolderKindChoices.ORGANISATION,
                organisation=org,
                share=share,
                valid_from=start,
                basis=str(basis)[:300],
            )
            for org, share in weights
        ]
    held = [
        r
        for r in current
        if r.holder_kind == HolderKindChoices.ORGANISATION and r.organisation_id == institution.pk
    ]
    if not held:
        raise ValidationError(
            {
                "effective_on": [
                    _("%(org)s holds no share of the result on that date.")
                    % {"org": institution.name}
                ]
            }
        )
    granted = application.granted_share or Decimal(0)
    team_share = (held[0].share * granted / HUNDRED).quantize(SHARE_PLACES, rounding=ROUND_DOWN)
    kept = held[0].share - team_share
    basis = _in_both_languages(
        lambda: (
            _("Vesting of rights of application %(pk)s (%(citation)s)")
            % {"pk": application.pk, "citation": application.pilot.citation}
        )
    )
    for r in current:
        r.valid_to = effective_on
        r.save(update_fields=["valid_to"])
        if r.pk == held[0].pk:
            if kept > 0:
                OwnershipShare.objects.create(
                    result=result,
                    holder_kind=r.holder_kind,
                    organisation=r.organisation,
                    team=None,
                    share=kept,
                    valid_from=effective_on,
                    source=application,
                    basis=basis[:300],
                )
            OwnershipShare.objects.create(
                result=result,
                holder_kind=HolderKindChoices.TEAM,
                organisation=institution,
                team=application,
                share=team_share,
                valid_from=effective_on,
                source=application,
                basis=basis[:300],
            )
        else:
            OwnershipShare.objects.create(
                result=result,
                holder_kind=r.holder_kind,
                organisation=r.organisation,
                team=r.team,
                share=r.share,
                valid_from=effective_on,
                source=application,
                basis=r.basis,
            )


def rights_application_bring_into_effect(
    *, application: RightsApplication, effective_on: dt.date, actor: User
) -> RightsApplication:
    """The grant takes effect: an ownership share changes the result's owners (with history); a right
    of use is recorded with the day it ends."""
    with transaction.atomic():
        locked = _lock(application, RightsStatusChoices.IN_EFFECT, actor)
        if locked.agreement_signed_on is None or effective_on < locked.agreement_signed_on:
            raise ValidationError(
                {
                    "effective_on": [
                        _("The grant takes effect on or after the agreement's signing date.")
                    ]
                }
            )
        before = locked.status
        locked.status = RightsStatusChoices.IN_EFFECT
        locked.effective_on = effective_on
        if locked.granted_kind == RightsKindChoices.OWNERSHIP:
            _change_ownership(locked, effective_on)
        else:
            locked.use_ends_on = _years_later(
                effective_on, locked.granted_term_years or USE_MIN_YEARS
            )
        locked.save(update_fields=["status", "effective_on", "use_ends_on"])
        _record(
            locked,
            before,
            actor,
            "in_effect",
            payload={"effective_on": effective_on, "use_ends_on": locked.use_ends_on},
        )
    return locked


def rights_application_withdraw(
    *, application: RightsApplication, reason: str, actor: User
) -> RightsApplication:
    def fields(row: RightsApplication) -> dict[str, str]:
        if not reason.strip():
            raise ValidationError({"reason": [_("Give the reason for withdrawing.")]})
        return {"withdrawn_reason": reason.strip()}

    return _move(application, RightsStatusChoices.WITHDRAWN, actor, fields, note=reason.strip())
