"""Writes for proof of concept: programmes (a site's configuration), projects and their state
machine (``models.POC_TRANSITIONS``), commitments by source within a programme's cap per project,
spending within what each source committed, milestones with evidence, and the go/no-go review (a
round of the evaluation app, purpose ``poc_gate``) whose outcome concludes the project.

Every service asks the grant the page asks (``opentto/poc/permissions.py``), validates first
(a ``ValidationError`` keyed by field, in the user's language), then works in one transaction that
locks the project row, writes, records a ``PocEvent`` for a transition and an audit event. Money
is ``Decimal`` yuan rounded half-up to the fen (``opentto.core.money.to_yuan``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opentto.accounts.models import User
from opentto.core.audit import audit_record
from opentto.core.cache import figures_changed
from opentto.core.money import yuan_field
from opentto.core.permissions import allows, permitted
from opentto.core.transitions import transition
from opentto.core.uploads import check_upload
from opentto.evaluation.models import ReviewPurposeChoices, ReviewRound, Rubric
from opentto.evaluation.services import review_assign, round_open
from opentto.results.models import Result

from .models import (
    POC_TRANSITIONS,
    ROUND_OUTCOME,
    START_STAGES,
    PocBudgetLine,
    PocCommitment,
    PocEvent,
    PocEvidence,
    PocMilestone,
    PocProgramme,
    PocProject,
    PocSourceChoices,
    PocSpending,
    PocStatusChoices,
)

S = PocStatusChoices
COMMIT_STATUSES = (S.PROPOSED, S.RUNNING)
SPEND_STATUSES = (S.RUNNING, S.REVIEW)
Errors = dict[str, list[str]]


def _yuan(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def _require(actor: Any, project: PocProject, message: str) -> None:
    if not allows(actor, project, "manage"):
        raise PermissionError(message)


def _money(value: Any, field: str, errors: Errors) -> Decimal | None:
    return yuan_field(value, field, errors, positive=True)


def _lock(project: PocProject) -> PocProject:
    return PocProject.objects.select_for_update().get(pk=project.pk)


# --- programmes ---------------------------------------------------------------------------------


def programme_create(
    *,
    name_zh: str,
    name_en: str = "",
    funder: str,
    source_zh: str,
    source_en: str = "",
    cap_per_project_cny: Decimal | str,
    active_from: date,
    active_until: date | None = None,
    actor: User | None,
) -> PocProgramme:
    """A proof-of-concept programme as the site configures it (``actor=None``: the site's own
    configuration, e.g. the demo)."""
    if actor is not None and not permitted(actor, PocProgramme, "add"):
        raise PermissionError(_("Only TTO managers configure proof-of-concept programmes."))
    errors: Errors = {}
    if not name_zh.strip():
        errors["name_zh"] = [_("Give the programme's Chinese name.")]
    if not funder.strip():
        errors["funder"] = [_("Name the funder.")]
    if not source_zh.strip():
        errors["source_zh"] = [_("Cite the policy the programme implements.")]
    cap = _money(cap_per_project_cny, "cap_per_project_cny", errors)
    if active_until is not None and active_until < active_from:
        errors["active_until"] = [_("The programme cannot end before it starts.")]
    if errors:
        raise ValidationError(errors)
    assert cap is not None
    with transaction.atomic():
        programme = PocProgramme.objects.create(
            name_zh=name_zh.strip(),
            name_en=name_en.strip(),
            funder=funder.strip(),
            source_zh=source_zh.strip(),
            source_en=source_en.strip(),
            cap_per_project_cny=cap,
            active_from=active_from,
            active_until=active_until,
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action="poc.programme_create",
            obj=programme,
            payload={"cap": cap, "from": active_from, "until": active_until},
        )
    return programme


# --- projects -----------------------------------------------------------------------------------


def project_create(
    *, result: Result, title_zh: str = "", title_en: str = "", lead: User | None = None, actor: User
) -> PocProject:
    """A proposed project on a result in evaluation or planning."""
    if not permitted(actor, PocProject, "add") or not allows(actor, result, "view"):
        raise PermissionError(_("Only TTO managers propose proof-of-concept projects."))
    errors: Errors = {}
    if not (title_zh.strip() or title_en.strip()):
        errors["title_zh"] = [_("Give the project a title in Chinese, in English, or both.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Result.objects.select_for_update().get(pk=result.pk)
        if locked.stage not in START_STAGES:
            raise ValidationError(
                {
                    "result": [
                        _(
                            "A proof of concept runs while its result is in evaluation or planning; this result is in “%(stage)s”."
                        )
                        % {"stage": locked.get_stage_display()}
                    ]
                }
            )
        project = PocProject.objects.create(
            result=locked,
            title_zh=title_zh.strip(),
            title_en=title_en.strip(),
            lead=lead,
            created_by=actor,
        )
        if not allows(
            actor, project, "add"
        ):  # ADR 0008: the row just written, inside the transaction
            raise PermissionError(_("Only TTO managers propose proof-of-concept projects."))
        PocEvent.objects.create(project=project, from_status="", to_status=S.PROPOSED, actor=actor)
        audit_record(
            actor=actor, action="poc.project_create", obj=project, payload={"result": locked.pk}
        )
    figures_changed()
    return project


def project_problem(project: PocProject, target: str) -> str | None:
    """Why ``project`` cannot move to ``target`` now (``None`` when it can): the edge and its guard
    (``POC_TRANSITIONS``; the grant is asked by the caller)."""
    problem = POC_TRANSITIONS.problem(project, target, None, system=True)
    return problem.message if problem is not None else None


def _move(
    project: PocProject, target: str, actor: User, *, note: str = "", **fields: Any
) -> PocProject:
    """The kit's move (``opentto.core.transitions.transition``): lock, check the edge, the grant
    (``manage``) and the guard, set the status (and ``fields``), save, record the event and the audit
    entry. A refusal writes nothing."""
    now = timezone.now()

    def values(locked: PocProject) -> dict[str, Any]:
        extra = dict(fields)
        if target == S.RUNNING and locked.started_at is None:
            extra["started_at"] = now
        if target in (S.CONCLUDED, S.STOPPED):
            extra["ended_at"] = now
        return extra

    return transition(
        obj=project,
        target=target,
        actor=actor,
        table=POC_TRANSITIONS,
        fields=values,
        queryset=PocProject.objects.select_for_update(of=("self",)).select_related(
            "result", "review_round"
        ),
        event=lambda row, source, edge: PocEvent.record(
            row, source=source, target=target, actor=actor, note=note, occurred_at=now
        ),
        audit_payload=lambda row, source: {
            "from": source,
            "to": target,
            "note": note,
            **{k: (v.pk if hasattr(v, "pk") else v) for k, v in fields.items()},
        },
        on_commit=[lambda row, source: figures_changed()],
    )


def project_start(*, project: PocProject, actor: User) -> PocProject:
    return _move(project, S.RUNNING, actor)


def project_resume(*, project: PocProject, actor: User) -> PocProject:
    """Back to work after the go/no-go round was cancelled."""
    return _move(project, S.RUNNING, actor)


def project_stop(*, project: PocProject, reason: str, actor: User) -> PocProject:
    _require(actor, project, _("Only TTO managers run proof-of-concept projects."))
    if not reason.strip():
        raise ValidationError({"reason": [_("Give the reason for stopping the project.")]})
    return _move(project, S.STOPPED, actor, note=reason.strip(), stop_reason=reason.strip())


def project_conclude(*, project: PocProject, actor: User) -> PocProject:
    """Conclude from the finalised go/no-go round: its recommendation "proceed" is go, "decline"
    no-go, "improve" a pivot."""
    _require(actor, project, _("Only TTO managers run proof-of-concept projects."))
    review_round = (
        ReviewRound.objects.filter(pk=project.review_round_id).first()
        if project.review_round_id is not None
        else None
    )
    recommendation = review_round.recommendation if review_round is not None else ""
    outcome = ROUND_OUTCOME.get(recommendation)
    if outcome is None:
        raise ValidationError(
            {"status": [_("The project is concluded once its go/no-go review round is finalised.")]}
        )
    return _move(project, S.CONCLUDED, actor, note=recommendation, outcome=str(outcome))


def project_open_review(
    *,
    project: PocProject,
    rubric: Rubric,
    deadline: date,
    reviewers: Sequence[User] = (),
    min_reviews: int = 2,
    actor: User,
) -> PocProject:
    """The go/no-go review: a round of the evaluation app (purpose ``poc_gate``) on the project's
    result, with the invited experts (conflicts of interest checked by evaluation); the project
    moves to review."""
    _require(actor, project, _("Only TTO managers open the go/no-go review."))
    with transaction.atomic():
        locked = (
            PocProject.objects.select_for_update(of=("self",))
            .select_related("result", "review_round")
            .get(pk=project.pk)
        )
        problem = project_problem(locked, S.REVIEW)
        if problem is not None:
            raise ValidationError({"status": [problem]})
        review_round = round_open(
            result=locked.result,
            rubric=rubric,
            purpose=ReviewPurposeChoices.POC_GATE,
            deadline=deadline,
            actor=actor,
            min_reviews=min_reviews,
        )
        for reviewer in reviewers:
            review_assign(review_round=review_round, reviewer=reviewer, actor=actor)
        return _move(
            locked, S.REVIEW, actor, note=f"round {review_round.pk}", review_round=review_round
        )


# --- money --------------------------------------------------------------------------------------


def _cap_refusal(programme: PocProgramme, cap: Decimal, committed: Decimal, amount: Decimal) -> str:
    return _(
        "%(programme)s caps a project at %(cap)s yuan: %(committed)s yuan is committed and %(remaining)s yuan remains, "
        "so %(amount)s yuan cannot be committed."
    ) % {
        "programme": programme.name,
        "cap": _yuan(cap),
        "committed": _yuan(committed),
        "remaining": _yuan(max(cap - committed, Decimal("0.00"))),
        "amount": _yuan(amount),
    }


def budget_commit(
    *,
    project: PocProject,
    source: str,
    amount_cny: Decimal | str,
    actor: User,
    programme: PocProgramme | None = None,
    note: str = "",
) -> PocBudgetLine:
    """Commit ``amount_cny`` from ``source`` (a district programme names its programme). The
    project's row is locked first, so commitments to one project happen one after the other; a
    programme's line may not pass the cap per project (the smaller of the cap when first committed
    and the programme's cap now, never below what is committed), and the database's check
    constraint refuses it too."""
    _require(actor, project, _("Only TTO managers commit proof-of-concept budgets."))
    errors: Errors = {}
    if source not in PocSourceChoices.values:
        errors["source"] = [_("Choose the source of the money.")]
    elif source == PocSourceChoices.DISTRICT_PROGRAMME and programme is None:
        errors["programme"] = [_("Choose the district programme.")]
    elif source != PocSourceChoices.DISTRICT_PROGRAMME and programme is not None:
        errors["programme"] = [_("A programme is named only for the district programme's money.")]
    amount = _money(amount_cny, "amount_cny", errors)
    today = timezone.localdate()
    if programme is not None and "programme" not in errors:
        if not allows(actor, programme, "view"):
            errors["programme"] = [_("Choose the district programme.")]
        elif not programme.is_active_on(today):
            errors["programme"] = [
                _("%(programme)s is not active on %(today)s.")
                % {"programme": programme.name, "today": today.isoformat()}
            ]
    if errors:
        raise ValidationError(errors)
    assert amount is not None
    try:
        with transaction.atomic():
            locked = _lock(project)
            if locked.status not in COMMIT_STATUSES:
                raise ValidationError(
                    {"status": [_("Money is committed to a proposed or running project.")]}
                )
            if programme is not None:
                line = (
                    PocBudgetLine.objects.select_for_update()
                    .filter(project=locked, programme=programme)
                    .first()
                )
                if line is None:
                    line = PocBudgetLine(
                        project=locked,
                        source=source,
                        programme=programme,
                        cap_cny=programme.cap_per_project_cny,
                    )
                else:
                    assert line.cap_cny is not None
                    line.cap_cny = max(
                        min(line.cap_cny, programme.cap_per_project_cny), line.committed_cny
                    )
                assert line.cap_cny is not None
                if line.committed_cny + amount > line.cap_cny:
                    raise ValidationError(
                        {
                            "amount_cny": [
                                _cap_refusal(programme, line.cap_cny, line.committed_cny, amount)
                            ]
                        }
                    )
            else:
                line = (
                    PocBudgetLine.objects.select_for_update()
                    .filter(project=locked, source=source, programme__isnull=True)
                    .first()
                )
                if line is None:
                    line = PocBudgetLine(project=locked, source=source)
            line.committed_cny = line.committed_cny + amount
            line.save()
            PocCommitment.objects.create(
                line=line, amount_cny=amount, note=note.strip(), committed_by=actor
            )
            locked.committed_cny = locked.committed_cny + amount
            locked.save(update_fields=["committed_cny"])
            audit_record(
                actor=actor,
                action="poc.commit",
                obj=locked,
                payload={
                    "line": line.pk,
                    "source": source,
                    "programme": programme.pk if programme else None,
                    "amount": amount,
                    "committed": line.committed_cny,
                    "cap": line.cap_cny,
                },
            )
    except IntegrityError as exc:  # the database's check constraint: the last line of defence
        raise ValidationError(
            {"amount_cny": [_("The amount is above the programme's cap per project.")]}
        ) from exc
    figures_changed()
    return line


def spending_record(
    *,
    line: PocBudgetLine,
    amount_cny: Decimal | str,
    spent_on: date,
    description: str,
    actor: User,
    confirm_duplicate: bool = False,
) -> PocSpending:
    """Record money spent from one source's commitment: never more than it committed. An identical
    record (same source, amount, date and description) is held back unless ``confirm_duplicate``
    (ADR 0011); the check runs under the project's and the line's row locks."""
    _require(actor, line.project, _("Only TTO managers record proof-of-concept spending."))
    errors: Errors = {}
    amount = _money(amount_cny, "amount_cny", errors)
    if not description.strip():
        errors["description"] = [_("Describe what the money was spent on.")]
    if spent_on > timezone.localdate():
        errors["spent_on"] = [_("Spending cannot be recorded in the future.")]
    if errors:
        raise ValidationError(errors)
    assert amount is not None
    with transaction.atomic():
        project = _lock(line.project)
        locked = PocBudgetLine.objects.select_for_update().get(pk=line.pk)
        if project.status not in SPEND_STATUSES:
            raise ValidationError(
                {
                    "status": [
                        _("Spending is recorded while the project is running or under review.")
                    ]
                }
            )
        if locked.spent_cny + amount > locked.committed_cny:
            raise ValidationError(
                {
                    "amount_cny": [
                        _(
                            "%(source)s committed %(committed)s yuan and %(spent)s yuan is spent: %(remaining)s yuan remains, so %(amount)s yuan cannot be recorded."
                        )
                        % {
                            "source": locked.source_label,
                            "committed": _yuan(locked.committed_cny),
                            "spent": _yuan(locked.spent_cny),
                            "remaining": _yuan(locked.remaining_cny),
                            "amount": _yuan(amount),
                        }
                    ]
                }
            )
        same = locked.spendings.filter(
            amount_cny=amount, spent_on=spent_on, description=description.strip()
        ).first()
        if same is not None and not confirm_duplicate:
            message = _(
                "An identical spending (%(amount)s yuan on %(day)s, “%(description)s”) was recorded at %(time)s. Confirm to record it again."
            ) % {
                "amount": _yuan(amount),
                "day": spent_on.isoformat(),
                "description": same.description,
                "time": timezone.localtime(same.recorded_at).strftime("%Y-%m-%d %H:%M"),
            }
            raise ValidationError({"confirm_duplicate": ValidationError(message, code="duplicate")})
        spending = PocSpending.objects.create(
            line=locked,
            amount_cny=amount,
            spent_on=spent_on,
            description=description.strip(),
            recorded_by=actor,
        )
        locked.spent_cny = locked.spent_cny + amount
        locked.save(update_fields=["spent_cny"])
        project.spent_cny = project.spent_cny + amount
        project.save(update_fields=["spent_cny"])
        audit_record(
            actor=actor,
            action="poc.spend",
            obj=project,
            payload={"line": locked.pk, "spending": spending.pk, "amount": amount},
        )
    figures_changed()
    return spending


# --- milestones ---------------------------------------------------------------------------------


def milestone_add(
    *, project: PocProject, title_zh: str = "", title_en: str = "", due_on: date, actor: User
) -> PocMilestone:
    _require(actor, project, _("Only TTO managers plan milestones."))
    if not (title_zh.strip() or title_en.strip()):
        raise ValidationError(
            {"title_zh": [_("Give the milestone a title in Chinese, in English, or both.")]}
        )
    with transaction.atomic():
        locked = _lock(project)
        if locked.status not in (S.PROPOSED, S.RUNNING):
            raise ValidationError(
                {"status": [_("Milestones are planned for a proposed or running project.")]}
            )
        milestone = PocMilestone.objects.create(
            project=locked, title_zh=title_zh.strip(), title_en=title_en.strip(), due_on=due_on
        )
        audit_record(
            actor=actor,
            action="poc.milestone_add",
            obj=locked,
            payload={"milestone": milestone.pk, "due": due_on},
        )
    return milestone


def _store_evidence(milestone: PocMilestone, checked: Any, actor: User) -> PocEvidence:
    evidence = PocEvidence(
        milestone=milestone,
        original_name=checked.safe_name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=actor,
    )
    evidence.file.save(checked.safe_name, checked.file, save=False)
    evidence.save()
    return evidence


def milestone_complete(
    *,
    milestone: PocMilestone,
    done_on: date,
    note: str,
    evidence: Sequence[UploadedFile],
    actor: User,
) -> PocMilestone:
    """Mark a milestone done with what was shown and at least one evidence file (checked by its
    content, as every upload)."""
    _require(actor, milestone.project, _("Only TTO managers record milestones."))
    errors: Errors = {}
    if not note.strip():
        errors["note"] = [_("Say what was shown.")]
    if done_on > timezone.localdate():
        errors["done_on"] = [_("A milestone cannot be done in the future.")]
    if not evidence:
        errors["evidence"] = [_("Attach the evidence: a PDF, an image or an Office file.")]
    checked = []
    for upload in evidence:
        try:
            checked.append(check_upload(upload))
        except ValidationError as exc:
            errors.setdefault("evidence", []).extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        project = _lock(milestone.project)
        locked = PocMilestone.objects.select_for_update().get(pk=milestone.pk)
        if project.status != S.RUNNING:
            raise ValidationError(
                {"status": [_("Milestones are recorded while the project is running.")]}
            )
        if locked.done_on is not None:
            raise ValidationError({"status": [_("This milestone is already done.")]})
        locked.done_on, locked.note = done_on, note.strip()
        locked.save(update_fields=["done_on", "note"])
        stored = [_store_evidence(locked, c, actor) for c in checked]
        audit_record(
            actor=actor,
            action="poc.milestone_done",
            obj=project,
            payload={
                "milestone": locked.pk,
                "done": done_on,
                "evidence": [e.pk for e in stored],
                "sha256": [e.sha256 for e in stored],
            },
        )
    return locked
