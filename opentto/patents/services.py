"""Writes for the IP layout: patent families and their filings, the deadlines derived from them,
confidentiality examinations, abandonment, reminders and calendar feeds, fee reductions and the
fee schedule (edited in the admin). Every service validates first (``ValidationError`` keyed by
field), then writes in one transaction and records an audit event. Only TTO staff write."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from opentto.accounts.models import User
from opentto.core.audit import audit_record
from opentto.core.permissions import allows
from opentto.organisations.models import Organisation
from opentto.results.models import IPAsset, Result

from . import deadlines as engine
from .checks import Errors
from .checks import planner as _planner
from .checks import raise_errors as _raise
from .checks import require as _require
from .checks import require_type as _require_type
from .hooks import asset_held
from .models import (
    FILING_OFFICES,
    REMINDER_STEPS,
    AbandonmentDecision,
    ApplicantGroundChoices,
    CalendarFeed,
    ConfidentialityExamination,
    ConfidentialityOutcomeChoices,
    DeadlineReminder,
    DeadlineStatusChoices,
    FeeReductionChoices,
    FeeSchedule,
    FeeScheduleItem,
    Filing,
    FilingApplicant,
    FilingDeadline,
    FilingFeeReduction,
    FilingRouteChoices,
    FilingStatusChoices,
    PatentFamily,
    PatentKindChoices,
)
from .permissions import reminded_without_manager

# --- IP layout --------------------------------------------------------------------------------


def family_create(
    *,
    result: Result,
    kind: str,
    title_zh: str = "",
    title_en: str = "",
    made_in_china: bool = True,
    target_offices: Sequence[str] = (),
    manager: User | None = None,
    actor: User,
) -> PatentFamily:
    _require(actor, result, "plan")
    errors: Errors = {}
    if kind not in PatentKindChoices.values:
        errors["kind"] = [_("Choose invention, utility model or design.")]
    if not title_zh.strip() and not title_en.strip():
        errors["title_zh"] = [_("Give the title in Chinese, in English, or both.")]
    offices: list[str] = []
    try:
        offices = engine.parse_offices(list(target_offices))
    except engine.DeadlineError:
        errors["target_offices"] = [
            _("Choose offices from: %(offices)s.") % {"offices": ", ".join(engine.OFFICES)}
        ]
    if kind in engine.KIND_OFFICES and (
        refused := [o for o in offices if o not in engine.KIND_OFFICES[kind]]
    ):
        errors["target_offices"] = [
            _("These offices grant no such right: %(offices)s.") % {"offices": ", ".join(refused)}
        ]
    _planner(manager, result, "plan", "manager", errors)
    _raise(errors)
    with transaction.atomic():
        family = PatentFamily.objects.create(
            result=result,
            kind=kind,
            title_zh=title_zh.strip(),
            title_en=title_en.strip(),
            made_in_china=made_in_china,
            target_offices=offices,
            manager=manager or actor,
        )
        audit_record(
            actor=actor,
            action="ip.family_create",
            obj=family,
            payload={"result": result.pk, "kind": kind, "offices": offices},
        )
    return family


def confidentiality_clearance(family: PatentFamily) -> ConfidentialityExamination | None:
    """The record that allows a foreign filing: a cleared examination, or the request made by
    filing the PCT application at CNIPA (the PCT itself may then proceed)."""
    return family.confidentiality_examinations.filter(
        outcome=ConfidentialityOutcomeChoices.CLEARED
    ).first()


def foreign_filing_problem(
    family: PatentFamily,
    *,
    office: str,
    route: str,
    receiving_office: str = "",
    parent: Filing | None = None,
) -> str | None:
    """Patent Law art. 19(1): an invention or utility model made in China is filed abroad only
    after the confidentiality examination; filing a PCT application at CNIPA counts as the
    request (art. 19(2)); a breach means no Chinese patent (art. 19(4))."""
    if not family.needs_confidentiality_examination:
        return None
    if office == "CN" and route != FilingRouteChoices.PCT:
        return None
    if route == FilingRouteChoices.PCT and receiving_office == "CN":
        return None  # the PCT filing at CNIPA is itself the request
    if (
        route == FilingRouteChoices.NATIONAL_PHASE
        and parent is not None
        and parent.receiving_office == "CN"
    ):
        return None
    if confidentiality_clearance(family) is not None:
        return None
    refused = family.confidentiality_examinations.filter(
        outcome=ConfidentialityOutcomeChoices.REFUSED
    ).exists()
    if refused:
        return _(
            "CNIPA found this invention needs secrecy: it may not be filed abroad (Patent Law art. 19)."
        )
    return _(
        "Record CNIPA's confidentiality examination first: an invention or utility model made in China "
        "may be filed abroad only after it, or the Chinese patent is forfeited (Patent Law art. 19). Filing the PCT "
        "application at CNIPA counts as the request."
    )


def confidentiality_record(
    *,
    family: PatentFamily,
    requested_on: date,
    outcome: str,
    decided_on: date | None = None,
    reference: str = "",
    actor: User,
) -> ConfidentialityExamination:
    _require(actor, family, "change")
    errors: Errors = {}
    if outcome not in ConfidentialityOutcomeChoices.values:
        errors["outcome"] = [_("Choose the outcome.")]
    if outcome != ConfidentialityOutcomeChoices.REQUESTED and decided_on is None:
        errors["decided_on"] = [_("Give the date of CNIPA's decision.")]
    if decided_on is not None and decided_on < requested_on:
        errors["decided_on"] = [_("The decision cannot come before the request.")]
    if requested_on > timezone.localdate():
        errors["requested_on"] = [_("The date cannot be in the future.")]
    _raise(errors)
    with transaction.atomic():
        record = ConfidentialityExamination.objects.create(
            family=family,
            requested_on=requested_on,
            outcome=outcome,
            decided_on=decided_on if outcome != ConfidentialityOutcomeChoices.REQUESTED else None,
            reference=reference.strip(),
            recorded_by=actor,
        )
        audit_record(
            actor=actor,
            action="ip.confidentiality_record",
            obj=record,
            payload={"family": family.pk, "outcome": outcome},
        )
    return record


@dataclass
class FilingInput:
    office: str
    route: str
    application_number: str = ""
    filing_date: date | None = None
    priority_date: date | None = None
    planned_by: date | None = None
    grant_date: date | None = None
    receiving_office: str = ""
    parent: Filing | None = None
    compensation_days: int = 0
    ip_asset: IPAsset | None = None


def _engine_rows(filing: Filing) -> list[engine.Deadline]:
    """The engine's deadlines for one filing, as this filing owns them."""
    family = filing.family
    if filing.filing_date is None:
        return []
    kind = family.kind
    if filing.route == FilingRouteChoices.PCT:
        offices = [o for o in family.target_offices if o in engine.KIND_OFFICES[kind]] or ["CN"]
        # Offices already covered by a filing made there (a national-phase entry, or the first
        # filing itself, e.g. CN) need no national-phase deadline.
        entered = (
            set(
                family.filings.exclude(route=FilingRouteChoices.PCT)
                .exclude(status__in=[FilingStatusChoices.PLANNED, FilingStatusChoices.ABANDONED])
                .values_list("office", flat=True)
            )
            if family.pk
            else set()
        )
        rows = engine.compute_deadlines(
            kind=kind,
            filing_date=filing.filing_date,
            priority_date=filing.priority_date,
            pct=True,
            offices=offices,
        )
        return [r for r in rows if r.key == "national_phase" and r.office not in entered]
    office = filing.office
    filing_date = filing.filing_date
    if (
        filing.route == FilingRouteChoices.NATIONAL_PHASE
        and filing.parent is not None
        and filing.parent.filing_date
    ):
        filing_date = filing.parent.filing_date  # PCT art. 11(3): the international filing date
    rows = engine.compute_deadlines(
        kind=kind,
        filing_date=filing_date,
        priority_date=filing.priority_date,
        grant_date=filing.grant_date,
        offices=[office],
        first_office=office,
        compensation_days=filing.compensation_days,
    )
    keep = []
    for r in rows:
        if r.key == "paris_priority" and filing.route != FilingRouteChoices.FIRST:
            continue
        if r.key == "cn_examination_request" and filing.grant_date is not None:
            continue  # granted: the request was made
        keep.append(r)
    return keep


def _deadline_errors(filing: Filing) -> str | None:
    try:
        _engine_rows(filing)
    except engine.DeadlineError as exc:
        return str(exc)
    return None


def filing_deadlines_refresh(*, filing: Filing) -> list[FilingDeadline]:
    """Derive the filing's deadlines again. Open rows the engine no longer gives are removed;
    rows already done stay; abandoned and lapsed filings have no open deadlines."""
    rows = (
        []
        if filing.status in {FilingStatusChoices.ABANDONED, FilingStatusChoices.LAPSED}
        else _engine_rows(filing)
    )
    with transaction.atomic():
        seen: set[int] = set()
        for r in rows:
            obj, _created = FilingDeadline.objects.update_or_create(
                filing=filing,
                key=r.key,
                office=r.office,
                year=r.year,
                defaults={
                    "due": r.due,
                    "late_until": r.late_until,
                    "source": r.source,
                    "note": r.note or "",
                },
            )
            seen.add(obj.pk)
        stale = filing.deadlines.filter(status=DeadlineStatusChoices.OPEN).exclude(pk__in=seen)
        if filing.status in {FilingStatusChoices.ABANDONED, FilingStatusChoices.LAPSED}:
            stale.update(status=DeadlineStatusChoices.WAIVED)
        else:
            stale.delete()
    return list(filing.deadlines.all())


def _validate_filing(family: PatentFamily, data: FilingInput, errors: Errors) -> None:
    if data.office not in FILING_OFFICES:
        errors["office"] = [_("Choose an office.")]
    if data.route not in FilingRouteChoices.values:
        errors["route"] = [_("Choose the route.")]
    if data.route == FilingRouteChoices.PCT and data.office != "WO":
        errors["office"] = [_("A PCT international application is filed with WO as its office.")]
    if data.route != FilingRouteChoices.PCT and data.office == "WO":
        errors["route"] = [_("WO is used only for PCT international applications.")]
    if data.route == FilingRouteChoices.PCT and family.kind == PatentKindChoices.DESIGN:
        errors["route"] = [_("Designs go abroad through the Hague system, not the PCT.")]
    if data.route == FilingRouteChoices.PCT and not data.receiving_office:
        errors["receiving_office"] = [_("Give the receiving office (CN for CNIPA).")]
    if data.route == FilingRouteChoices.NATIONAL_PHASE and (
        data.parent is None
        or data.parent.route != FilingRouteChoices.PCT
        or data.parent.family_id != family.pk
    ):
        errors["parent"] = [
            _("Choose the PCT application of this family that enters the national phase.")
        ]
    if (
        data.route in {FilingRouteChoices.PARIS, FilingRouteChoices.NATIONAL_PHASE}
        and data.priority_date is None
        and data.parent is None
    ):
        errors["priority_date"] = [_("Give the priority date claimed.")]
    if (
        data.office in engine.OFFICES
        and family.kind in engine.KIND_OFFICES
        and data.office not in engine.KIND_OFFICES[family.kind]
    ):
        errors["office"] = [_("This office grants no such right.")]
    if data.filing_date is None and data.planned_by is None:
        errors["filing_date"] = [
            _("Give the filing date, or the date to file by for a planned filing.")
        ]
    if data.grant_date is not None and data.filing_date is None:
        errors["grant_date"] = [_("A granted filing needs its filing date.")]
    if (
        data.grant_date is not None
        and data.filing_date is not None
        and data.grant_date < data.filing_date
    ):
        errors["grant_date"] = [_("The grant date cannot be before the filing date.")]
    if data.filing_date is not None and data.filing_date > timezone.localdate():
        errors["filing_date"] = [
            _("A filing date cannot be in the future; use “file by” for a planned filing.")
        ]
    if data.ip_asset is not None and data.ip_asset.result_id != family.result_id:
        errors["ip_asset"] = [_("Choose an IP asset of this result.")]
    if data.filing_date is not None and (
        problem := foreign_filing_problem(
            family,
            office=data.office,
            route=data.route,
            receiving_office=data.receiving_office,
            parent=data.parent,
        )
    ):
        errors["office"] = [problem]


def filing_create(*, family: PatentFamily, data: FilingInput, actor: User) -> Filing:
    """A filing (or a planned one) in the layout; its deadlines are derived at once. A foreign or
    PCT filing of an invention made in China is refused until the confidentiality examination is
    recorded (``foreign_filing_problem``)."""
    _require(actor, family, "change")
    errors: Errors = {}
    priority = data.priority_date or (
        data.parent.priority_date or data.parent.filing_date if data.parent else None
    )
    data.priority_date = priority
    _validate_filing(family, data, errors)
    _raise(errors)
    status = FilingStatusChoices.PLANNED
    if data.filing_date is not None:
        status = FilingStatusChoices.GRANTED if data.grant_date else FilingStatusChoices.FILED
    filing = Filing(
        family=family,
        office=data.office,
        route=data.route,
        receiving_office=data.receiving_office.strip().upper(),
        parent=data.parent,
        application_number=data.application_number.strip(),
        filing_date=data.filing_date,
        priority_date=priority,
        planned_by=data.planned_by,
        grant_date=data.grant_date,
        compensation_days=data.compensation_days,
        status=status,
        ip_asset=data.ip_asset,
    )
    if problem := _deadline_errors(filing):
        raise ValidationError({"filing_date": [problem]})
    with transaction.atomic():
        filing.save()
        _record_pct_request(filing, actor)
        filing_deadlines_refresh(filing=filing)
        if filing.parent is not None and filing.status != FilingStatusChoices.PLANNED:
            filing_deadlines_refresh(filing=filing.parent)
        audit_record(
            actor=actor,
            action="ip.filing_create",
            obj=filing,
            payload={
                "family": family.pk,
                "office": filing.office,
                "route": filing.route,
                "status": status,
            },
        )
    return filing


def _record_pct_request(filing: Filing, actor: User) -> None:
    """A PCT application filed at CNIPA counts as the confidentiality-examination request
    (Patent Law art. 19; Implementing Regulations (2023 revision) rule 8): record it once."""
    family = filing.family
    if (
        filing.route == FilingRouteChoices.PCT
        and filing.receiving_office == "CN"
        and filing.filing_date
        and family.needs_confidentiality_examination
        and not family.confidentiality_examinations.filter(
            via_pct_at_cnipa=True, reference=filing.application_number
        ).exists()
    ):
        ConfidentialityExamination.objects.create(
            family=family,
            requested_on=filing.filing_date,
            via_pct_at_cnipa=True,
            outcome=ConfidentialityOutcomeChoices.REQUESTED,
            reference=filing.application_number,
            recorded_by=actor,
        )


#: Fields the edit screen may change, in the order the audit event lists them.
FILING_EDIT_FIELDS = (
    "office",
    "route",
    "receiving_office",
    "parent_id",
    "application_number",
    "filing_date",
    "priority_date",
    "planned_by",
    "grant_date",
    "compensation_days",
    "ip_asset_id",
)


def filing_edit(*, filing: Filing, data: FilingInput, actor: User) -> Filing:
    """Correct or complete a filing (the edit screen): every field the creation form has. The
    office and the route change only while the filing is planned; a filed application keeps a
    filing date; an abandoned or lapsed filing is not changed. The filing's deadlines (and its PCT
    application's) are derived again; all of it in one transaction, or nothing."""
    _require(actor, filing, "change")
    with transaction.atomic():
        locked = (
            Filing.objects.select_for_update(of=("self",))
            .select_related("family__result", "parent")
            .get(pk=filing.pk)
        )
        if locked.status in {FilingStatusChoices.ABANDONED, FilingStatusChoices.LAPSED}:
            raise ValidationError({"status": [_("An abandoned or lapsed filing is not changed.")]})
        errors: Errors = {}
        if locked.status != FilingStatusChoices.PLANNED and (
            data.office != locked.office or data.route != locked.route
        ):
            errors["office"] = [
                _(
                    "The office and the route of a filed application do not change: abandon it and add the right one."
                )
            ]
        if locked.status != FilingStatusChoices.PLANNED and data.filing_date is None:
            errors["filing_date"] = [_("A filed application keeps its filing date.")]
        if data.parent is not None and data.parent.pk == locked.pk:
            errors["parent"] = [
                _("Choose the PCT application of this family that enters the national phase.")
            ]
        if (
            locked.route == FilingRouteChoices.PCT
            and data.route != FilingRouteChoices.PCT
            and locked.national_phases.exists()
        ):
            errors["route"] = [
                _(
                    "National-phase entries depend on this PCT application: it stays a PCT application."
                )
            ]
        if (
            locked.ip_asset_id
            and (data.ip_asset is None or data.ip_asset.pk != locked.ip_asset_id)
            and asset_held(locked.ip_asset_id)
        ):
            errors["ip_asset"] = [
                _(
                    "This patent is under a standing pledge: it stays linked to its filing until the pledge is released."
                )
            ]
        if data.route != FilingRouteChoices.NATIONAL_PHASE:
            data.parent = None
        if data.route != FilingRouteChoices.PCT:
            data.receiving_office = ""
        data.priority_date = data.priority_date or (
            data.parent.priority_date or data.parent.filing_date if data.parent else None
        )
        fixed: Errors = {k: errors[k] for k in ("office", "route") if k in errors}
        _validate_filing(locked.family, data, errors)
        errors.update(fixed)  # a filed application's office and route: the first thing to correct
        _raise(errors)
        before = {name: getattr(locked, name) for name in FILING_EDIT_FIELDS}
        old_parent = locked.parent
        was_planned = locked.status == FilingStatusChoices.PLANNED
        locked.office, locked.route = data.office, data.route
        locked.receiving_office = data.receiving_office.strip().upper()
        locked.parent = data.parent
        locked.application_number = data.application_number.strip()
        locked.filing_date, locked.priority_date, locked.planned_by = (
            data.filing_date,
            data.priority_date,
            data.planned_by,
        )
        locked.grant_date, locked.compensation_days, locked.ip_asset = (
            data.grant_date,
            data.compensation_days,
            data.ip_asset,
        )
        locked.status = FilingStatusChoices.PLANNED
        if data.filing_date is not None:
            locked.status = (
                FilingStatusChoices.GRANTED if data.grant_date else FilingStatusChoices.FILED
            )
        if problem := _deadline_errors(locked):
            raise ValidationError({"filing_date": [problem]})
        locked.save()
        if was_planned:
            _record_pct_request(locked, actor)
        filing_deadlines_refresh(filing=locked)
        for parent in {p.pk: p for p in (old_parent, locked.parent) if p is not None}.values():
            filing_deadlines_refresh(filing=parent)
        changed = {
            name: [str(before[name] or ""), str(getattr(locked, name) or "")]
            for name in FILING_EDIT_FIELDS
            if before[name] != getattr(locked, name)
        }
        audit_record(
            actor=actor,
            action="ip.filing_edit",
            obj=locked,
            payload={"status": locked.status, "changed": changed},
        )
    return locked


def filing_update(
    *,
    filing: Filing,
    application_number: str,
    filing_date: date | None,
    grant_date: date | None,
    compensation_days: int = 0,
    actor: User,
) -> Filing:
    """Record progress (filed, granted) on a filing; its deadlines follow."""
    _require(actor, filing, "change")
    with transaction.atomic():
        locked = (
            Filing.objects.select_for_update(of=("self",))
            .select_related("family", "parent")
            .get(pk=filing.pk)
        )
        if locked.status in {FilingStatusChoices.ABANDONED, FilingStatusChoices.LAPSED}:
            raise ValidationError({"status": [_("An abandoned or lapsed filing is not changed.")]})
        data = FilingInput(
            office=locked.office,
            route=locked.route,
            application_number=application_number,
            filing_date=filing_date,
            priority_date=locked.priority_date,
            planned_by=locked.planned_by,
            grant_date=grant_date,
            receiving_office=locked.receiving_office,
            parent=locked.parent,
            compensation_days=compensation_days,
            ip_asset=locked.ip_asset,
        )
        errors: Errors = {}
        _validate_filing(locked.family, data, errors)
        _raise(errors)
        locked.application_number = application_number.strip()
        locked.filing_date = filing_date
        locked.grant_date = grant_date
        locked.compensation_days = compensation_days
        if filing_date is not None:
            locked.status = FilingStatusChoices.GRANTED if grant_date else FilingStatusChoices.FILED
        if problem := _deadline_errors(locked):
            raise ValidationError({"filing_date": [problem]})
        locked.save()
        filing_deadlines_refresh(filing=locked)
        if locked.parent is not None:
            filing_deadlines_refresh(filing=locked.parent)
        audit_record(
            actor=actor, action="ip.filing_update", obj=locked, payload={"status": locked.status}
        )
    return locked


def deadline_mark_done(*, deadline: FilingDeadline, done_on: date, actor: User) -> FilingDeadline:
    _require(actor, deadline, "change")
    with transaction.atomic():
        locked = FilingDeadline.objects.select_for_update().get(pk=deadline.pk)
        if locked.status != DeadlineStatusChoices.OPEN:
            raise ValidationError({"status": [_("This deadline is no longer open.")]})
        if done_on > timezone.localdate():
            raise ValidationError({"done_on": [_("The date cannot be in the future.")]})
        locked.status = DeadlineStatusChoices.DONE
        locked.done_on = done_on
        locked.save(update_fields=["status", "done_on"])
        audit_record(
            actor=actor,
            action="ip.deadline_done",
            obj=locked,
            payload={"key": locked.key, "office": locked.office, "year": locked.year},
        )
    return locked


def filing_abandon(
    *, filing: Filing, decided_on: date, reason: str, approved_by: User, actor: User
) -> AbandonmentDecision:
    """Stop a filing (no more fees): recorded with its reason and the approving manager; its
    open deadlines are waived."""
    _require(actor, filing, "change")
    errors: Errors = {}
    if not reason.strip():
        errors["reason"] = [_("Give the reason for abandoning the patent.")]
    _planner(approved_by, filing, "change", "approved_by", errors)
    if decided_on > timezone.localdate():
        errors["decided_on"] = [_("The date cannot be in the future.")]
    _raise(errors)
    with transaction.atomic():
        locked = Filing.objects.select_for_update().get(pk=filing.pk)
        if locked.status in {FilingStatusChoices.ABANDONED, FilingStatusChoices.LAPSED}:
            raise ValidationError({"status": [_("This filing is already abandoned or lapsed.")]})
        if locked.ip_asset_id and asset_held(locked.ip_asset_id):
            raise ValidationError(
                {
                    "status": [
                        _(
                            "This patent is under a standing pledge: release the pledge before abandoning it."
                        )
                    ]
                }
            )
        decision = AbandonmentDecision.objects.create(
            filing=locked,
            decided_on=decided_on,
            reason=reason.strip(),
            decided_by=actor,
            approved_by=approved_by,
        )
        locked.status = FilingStatusChoices.ABANDONED
        locked.save(update_fields=["status"])
        filing_deadlines_refresh(filing=locked)
        audit_record(
            actor=actor,
            action="ip.filing_abandon",
            obj=locked,
            payload={"reason": reason.strip(), "approved_by": approved_by.pk},
        )
    return decision


def layout_proposals(family: PatentFamily, today: date | None = None) -> list[FilingInput]:
    """Filings the layout still needs to cover its target offices, with the date to file by:
    a PCT application within the priority year when two or more offices abroad are still
    uncovered, otherwise Paris filings; national-phase entries once a PCT application exists."""
    today = today or timezone.localdate()
    filings = list(
        family.filings.exclude(
            status__in=[FilingStatusChoices.ABANDONED, FilingStatusChoices.LAPSED]
        )
    )
    first = next(
        (f for f in filings if f.route == FilingRouteChoices.FIRST and f.filing_date), None
    )
    if first is None or first.filing_date is None:
        return []
    covered = {f.office for f in filings if f.route != FilingRouteChoices.PCT}
    missing = [o for o in family.target_offices if o not in covered]
    if not missing:
        return []
    priority = first.filing_date
    months = engine.PRIORITY_MONTHS[family.kind]
    paris_end = engine.add_months(priority, months)
    pct = next((f for f in filings if f.route == FilingRouteChoices.PCT), None)
    proposals: list[FilingInput] = []
    if pct is not None and pct.filing_date is not None:
        for office in missing:
            due = (
                pct.deadlines.filter(key="national_phase", office=office)
                .values_list("due", flat=True)
                .first()
            )
            if due is not None:
                proposals.append(
                    FilingInput(
                        office=office,
                        route=FilingRouteChoices.NATIONAL_PHASE,
                        planned_by=due,
                        parent=pct,
                        priority_date=pct.priority_date or pct.filing_date,
                    )
                )
        return proposals
    if paris_end < today:
        return []
    if len(missing) >= 2 and family.kind != PatentKindChoices.DESIGN and pct is None:
        return [
            FilingInput(
                office="WO",
                route=FilingRouteChoices.PCT,
                planned_by=paris_end,
                priority_date=priority,
                receiving_office="CN",
            )
        ]
    return [
        FilingInput(
            office=o, route=FilingRouteChoices.PARIS, planned_by=paris_end, priority_date=priority
        )
        for o in missing
    ]


def layout_propose_filings(*, family: PatentFamily, actor: User) -> list[Filing]:
    """Add the proposed filings to the layout as planned filings."""
    _require(actor, family, "change")
    created = []
    with transaction.atomic():
        for proposal in layout_proposals(family):
            if family.filings.filter(
                office=proposal.office, route=proposal.route, status=FilingStatusChoices.PLANNED
            ).exists():
                continue
            created.append(filing_create(family=family, data=proposal, actor=actor))
    return created


# --- reminders and calendar -------------------------------------------------------------------


OVERDUE_WINDOW_DAYS = 60


def _reminder_step(deadline: FilingDeadline, today: date) -> str | None:
    if deadline.due < today:
        return "overdue"
    days = (deadline.due - today).days
    for step, limit in REMINDER_STEPS:
        if days <= limit:
            return step
    return None


def deadline_reminders_send(*, today: date | None = None) -> int:
    """Remind each family's manager of open deadlines 60, 30 and 7 days ahead and once when
    overdue. Idempotent: one reminder per deadline and step (a unique constraint)."""
    from opentto.notifications.services import notification_send

    today = today or timezone.localdate()
    horizon = today + timedelta(days=max(limit for _step, limit in REMINDER_STEPS))
    candidates = (
        FilingDeadline.objects.filter(status=DeadlineStatusChoices.OPEN, due__lte=horizon)
        # Overdue: still within its late period, or missed within the last 60 days (older open
        # rows are history entered late, not news).
        .filter(Q(due__gte=today - timedelta(days=OVERDUE_WINDOW_DAYS)) | Q(late_until__gte=today))
        .exclude(key="term_end")
        .exclude(filing__status__in=[FilingStatusChoices.ABANDONED, FilingStatusChoices.LAPSED])
        .select_related("filing__family__result", "filing__family__manager")
    )
    fallback = list(reminded_without_manager())
    sent = 0
    for deadline in candidates:
        step = _reminder_step(deadline, today)
        if step is None or deadline.reminders.filter(step=step).exists():
            continue
        family = deadline.filing.family
        # The family's manager, while they may still see the deadline (a notification names the result).
        manager = family.manager
        recipients = (
            [manager]
            if manager is not None and manager.is_active and allows(manager, deadline, "view")
            else fallback
        )
        with transaction.atomic():
            try:
                with transaction.atomic():
                    DeadlineReminder.objects.create(
                        deadline=deadline,
                        step=step,
                        recipient=recipients[0] if recipients else None,
                    )
            except IntegrityError:
                continue
            overdue = step == "overdue"
            result = family.result
            late = deadline.late_until.isoformat() if deadline.late_until else "—"
            with translation.override("zh-hans"):
                label_zh = str(deadline.label)
            with translation.override("en"):
                label_en = str(deadline.label)
            title_zh = f"{'已逾期' if overdue else '期限临近'}：{label_zh}（{deadline.office}，{deadline.due.isoformat()}）· {result.title_zh or result.title_en}"
            title_en = f"{'Overdue' if overdue else 'Deadline coming'}: {label_en} ({deadline.office}, {deadline.due.isoformat()}) · {result.title_en or result.title_zh}"
            notification_send(
                recipients=recipients,
                kind="planning.deadline_overdue" if overdue else "planning.deadline_due",
                title_zh=title_zh[:300],
                title_en=title_en[:300],
                body_zh=f"到期日 {deadline.due.isoformat()}；宽限期至 {late}。依据：{deadline.source}",
                body_en=f"Due {deadline.due.isoformat()}; late until {late}. Source: {deadline.source}",
                url=f"/planning/results/{result.pk}/ip/",
            )
            sent += 1
    return sent


def calendar_feed_get_or_create(*, user: User) -> CalendarFeed:
    _require_type(user, CalendarFeed, "add")
    feed, created = CalendarFeed.objects.get_or_create(user=user)
    if created:
        audit_record(actor=user, action="planning.calendar_feed_create", obj=feed)
    return feed


def calendar_feed_reset(*, user: User) -> CalendarFeed:
    """A new secret address; the old one stops working."""
    _require_type(user, CalendarFeed, "add")
    with transaction.atomic():
        CalendarFeed.objects.filter(user=user).delete()
        feed = CalendarFeed.objects.create(user=user)
        audit_record(actor=user, action="planning.calendar_feed_reset", obj=feed)
    return feed


# --- fee reductions -------------------------------------------------------------------------


def fee_reduction_allowed(grounds: Sequence[str]) -> str:
    """The reduction the applicants' grounds give (专利收费减缴办法, 财税〔2016〕78号): 85% for a
    single qualifying applicant, 70% for two or more when every one qualifies, else none."""
    if not grounds or any(g == ApplicantGroundChoices.NOT_QUALIFYING for g in grounds):
        return FeeReductionChoices.NONE
    return FeeReductionChoices.PERCENT_85 if len(grounds) == 1 else FeeReductionChoices.PERCENT_70


def filing_fee_reduction_record(
    *,
    filing: Filing,
    reduction: str,
    grounds: dict[int, str],
    open_licence_from: date | None = None,
    open_licence_until: date | None = None,
    actor: User,
) -> FilingFeeReduction:
    """Record a CN filing's fee-reduction status: the rate, the ground of each applicant (the
    applicants are the result's owners, every one of them) and an open licence with its period.
    85% only for a single qualifying applicant, 70% only for two or more that all qualify
    (财税〔2016〕78号; qualifying: 财税〔2019〕45号)."""
    _require(actor, filing, "change")
    errors: Errors = {}
    if filing.office != "CN":
        errors["reduction"] = [_("Fee reductions are recorded on CN filings only.")]
    if reduction not in FeeReductionChoices.values:
        errors["reduction"] = [_("Choose %(a)s%%, %(b)s%% or no reduction.") % {"a": 85, "b": 70}]
    owners = {
        o.pk: o for o in Organisation.objects.filter(ownerships__result_id=filing.family.result_id)
    }
    if not owners:
        errors["grounds"] = [
            _(
                "The result has no owner recorded: the applicants are the result's owners, record them first."
            )
        ]
    elif set(grounds) != set(owners):
        errors["grounds"] = [
            _("Give a ground for every applicant (the result's owners), and for no one else.")
        ]
    elif any(g not in ApplicantGroundChoices.values for g in grounds.values()):
        errors["grounds"] = [_("Choose a ground for each applicant.")]
    if not errors:
        allowed = fee_reduction_allowed(list(grounds.values()))
        if reduction == FeeReductionChoices.PERCENT_85 and len(grounds) != 1:
            errors["reduction"] = [
                _(
                    "85%% is for a single applicant; this filing has %(n)s applicants (two or more qualifying applicants get 70%%)."
                )
                % {"n": len(grounds)}
            ]
        elif reduction == FeeReductionChoices.PERCENT_70 and len(grounds) < 2:
            errors["reduction"] = [
                _(
                    "%(b)s%% is for two or more applicants together; a single qualifying applicant gets %(a)s%%."
                )
                % {"a": 85, "b": 70}
            ]
        elif reduction != FeeReductionChoices.NONE and allowed == FeeReductionChoices.NONE:
            names = ", ".join(
                owners[pk].name
                for pk, g in grounds.items()
                if g == ApplicantGroundChoices.NOT_QUALIFYING
            )
            errors["reduction"] = [
                _("Every applicant must qualify for the reduction; %(names)s does not.")
                % {"names": names}
            ]
    if open_licence_until is not None and open_licence_from is None:
        errors["open_licence_from"] = [_("Give the date the open licence starts.")]
    if open_licence_from and open_licence_until and open_licence_until < open_licence_from:
        errors["open_licence_until"] = [_("The open licence cannot end before it starts.")]
    _raise(errors)
    with transaction.atomic():
        locked = Filing.objects.select_for_update().get(pk=filing.pk)
        if locked.status in {FilingStatusChoices.ABANDONED, FilingStatusChoices.LAPSED}:
            raise ValidationError(
                {"reduction": [_("An abandoned or lapsed filing is not changed.")]}
            )
        record, created = FilingFeeReduction.objects.get_or_create(
            filing=locked, defaults={"recorded_by": actor}
        )
        before = {
            "reduction": record.reduction,
            "grounds": {str(a.organisation_id): a.ground for a in record.applicants.all()},
            "open_licence_from": record.open_licence_from,
            "open_licence_until": record.open_licence_until,
        }
        record.reduction = reduction
        record.open_licence_from, record.open_licence_until = open_licence_from, open_licence_until
        record.recorded_by, record.recorded_at = actor, timezone.now()
        record.save()
        record.applicants.all().delete()
        FilingApplicant.objects.bulk_create(
            [
                FilingApplicant(reduction=record, organisation=owners[pk], ground=g)
                for pk, g in sorted(grounds.items())
            ]
        )
        audit_record(
            actor=actor,
            action="ip.fee_reduction_record",
            obj=locked,
            payload={
                "before": None if created else before,
                "reduction": reduction,
                "grounds": {str(pk): g for pk, g in sorted(grounds.items())},
                "open_licence_from": open_licence_from,
                "open_licence_until": open_licence_until,
            },
        )
    return record


# --- the fee schedule (edited in the admin) ---------------------------------------------------


def _fee_fields(obj: Any, names: Sequence[str]) -> dict[str, str]:
    return {name: str(getattr(obj, name)) for name in names}


SCHEDULE_FIELDS = ("office", "source", "effective_from", "note")
ITEM_FIELDS = ("patent_kind", "fee_kind", "year_from", "year_to", "amount_cny", "is_confirmed")


def fee_schedule_save(*, schedule: FeeSchedule, actor: User) -> FeeSchedule:
    """Save a fee schedule as the admin edited it (validated), with an audit event holding what
    changed."""
    schedule.full_clean()
    with transaction.atomic():
        before = (
            _fee_fields(FeeSchedule.objects.get(pk=schedule.pk), SCHEDULE_FIELDS)
            if schedule.pk
            else None
        )
        schedule.save()
        audit_record(
            actor=actor,
            action="fees.schedule_save",
            obj=schedule,
            payload={"before": before, "after": _fee_fields(schedule, SCHEDULE_FIELDS)},
        )
    return schedule


def fee_schedule_item_save(*, item: FeeScheduleItem, actor: User) -> FeeScheduleItem:
    item.full_clean()
    with transaction.atomic():
        before = (
            _fee_fields(FeeScheduleItem.objects.get(pk=item.pk), ITEM_FIELDS) if item.pk else None
        )
        item.save()
        audit_record(
            actor=actor,
            action="fees.item_save",
            obj=item,
            payload={
                "schedule": item.schedule_id,
                "before": before,
                "after": _fee_fields(item, ITEM_FIELDS),
            },
        )
    return item


def fee_schedule_item_delete(*, item: FeeScheduleItem, actor: User) -> None:
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="fees.item_delete",
            obj=item.schedule,
            payload={"item": item.pk, "was": _fee_fields(item, ITEM_FIELDS)},
        )
        item.delete()


def fee_schedule_delete(*, schedule: FeeSchedule, actor: User) -> None:
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="fees.schedule_delete",
            payload={"schedule": schedule.pk, "was": _fee_fields(schedule, SCHEDULE_FIELDS)},
        )
        schedule.delete()
