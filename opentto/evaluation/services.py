"""Writes for evaluation: rubric revisions, review rounds and their state machine
(``models.ROUND_TRANSITIONS``), assignments with conflict-of-interest checks, scoring, reminders,
and the manager's recorded outcome (``evaluation_record``, the override path).

Every service validates first (``ValidationError`` keyed by field, in the user's language), then
works in one transaction that locks the round, writes a ``ReviewRoundEvent`` and an audit event,
and defers e-mail until the transaction commits.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from opentto.accounts.models import User
from opentto.core.audit import audit_record
from opentto.core.permissions import allows, permitted, users_permitted
from opentto.core.uploads import check_upload
from opentto.notifications.services import notification_send
from opentto.results.models import Result, ResultStageChoices

from .models import (
    LIVE_ROUND_STATUSES,
    PURPOSE_WEIGHT_FALLBACK,
    ROUND_TRANSITIONS,
    CriterionScore,
    EvaluationDecisionChoices,
    EvaluationSummary,
    ReviewAssignment,
    ReviewerConflict,
    ReviewPurposeChoices,
    ReviewReminder,
    ReviewRound,
    ReviewRoundEvent,
    Rubric,
    RubricCriterion,
    TransferModeChoices,
)
from .permissions import EXPERT_ROLE
from .scoring import criteria_in_use, round_statistics
from .selectors import reviewer_conflicts, reviewers_eligible

#: Reminders go out this many days before the deadline, and once the deadline has passed.
DUE_SOON_DAYS = 3
CLOSED_RESULT_STAGES = (ResultStageChoices.WITHDRAWN, ResultStageChoices.DECLINED)
#: A transfer evaluation is opened in the evaluation step; later stages may be re-evaluated (only a
#: round finalised while the result is in evaluation moves the pipeline).
TRANSFER_EVALUATION_STAGES = (
    ResultStageChoices.EVALUATION,
    ResultStageChoices.PLANNING,
    ResultStageChoices.LANDING,
    ResultStageChoices.LANDED,
    ResultStageChoices.ON_HOLD,
)


def _require_manage(actor: Any, review_round: ReviewRound) -> None:
    """The grant the round's page asks too (``manage`` on the round): view and service agree."""
    if not allows(actor, review_round, "manage"):
        raise PermissionError(_("Only TTO managers run evaluations."))


def _require_review(actor: Any, assignment: ReviewAssignment, message: str) -> None:
    """The reviewer's own assignment (``review`` on it), as the review page asks."""
    if not allows(actor, assignment, "review"):
        raise PermissionError(message)


def _lock_round(review_round: ReviewRound) -> ReviewRound:
    return (
        ReviewRound.objects.select_for_update()
        .select_related("rubric", "result")
        .get(pk=review_round.pk)
    )


def _event(
    review_round: ReviewRound,
    kind: str,
    actor: User | None,
    payload: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    ReviewRoundEvent.objects.create(
        review_round=review_round,
        kind=kind,
        actor=actor,
        payload=payload or {},
        occurred_at=at or timezone.now(),
    )


def _move(review_round: ReviewRound, target: str) -> None:
    """The table's edge (the service asked ``manage`` or ``review`` already)."""
    ROUND_TRANSITIONS.check_edge(review_round, target)
    review_round.status = target


def _round_url(review_round: ReviewRound) -> str:
    return reverse("evaluation:round", args=[review_round.pk])


def _assignment_url(assignment: ReviewAssignment) -> str:
    return reverse("evaluation:review", args=[assignment.pk])


# --- rubrics -------------------------------------------------------------------------------------


@dataclass
class CriterionInput:
    """One criterion of a rubric version being published. ``purpose_weights``: the weight per
    purpose (a purpose left out uses the default ``weight``; subsidy review first the transfer
    weight); ``None`` keeps the old version's (reset when the default weight changes). A new
    criterion (a key the old version does not have, only with ``complete=True``) names its
    dimension with ``group_key`` (an existing one, or a new one with ``group_zh``/``group_en``)."""

    key: str
    title_zh: str
    title_en: str
    weight: Decimal
    clause: str
    description_zh: str = ""
    description_en: str = ""
    purpose_weights: dict[str, Decimal] | None = None
    group_key: str = ""
    group_zh: str = ""
    group_en: str = ""


CRITERION_KEY_RE = re.compile(r"^[a-z][a-z0-9_-]{1,39}$")
MAX_WEIGHT = Decimal("1000")


def _weight_ok(value: Decimal | None) -> bool:
    return (
        value is not None
        and value.is_finite()
        and Decimal("0") <= value <= MAX_WEIGHT
        and value == value.quantize(Decimal("0.001"))
    )


def rubric_revise(
    *,
    rubric: Rubric,
    criteria: list[CriterionInput],
    title_zh: str,
    title_en: str,
    revision_note: str,
    actor: User,
    complete: bool = False,
) -> Rubric:
    """Publish a new version of ``rubric`` (admins only). The old version stays, unchanged, for the
    rounds that used it; the new one becomes the active version.

    ``complete=False``: ``criteria`` changes some of the old criteria; the others are copied.
    ``complete=True`` (the editor): ``criteria`` is the whole new version — criteria left out are
    removed, new keys are added — and both titles are required.

    Weights are relative (a round normalises the weights of the criteria it uses to 100 %); every
    purpose needs at least one criterion weighing more than 0."""
    if not allows(actor, rubric, "revise"):
        raise PermissionError(_("Only platform admins edit rubrics."))
    errors: dict[str, list[str]] = {}
    if complete and (not title_zh.strip() or not title_en.strip()):
        errors["title_zh"] = [_("Give the rubric's title in both languages.")]
    elif not title_zh.strip() and not title_en.strip():
        errors["title_zh"] = [_("Give the rubric a title in Chinese, in English, or both.")]
    if not revision_note.strip():
        errors["revision_note"] = [_("Say what changed in this version.")]
    old_criteria = list(rubric.criteria.all())
    by_key = {c.key: c for c in old_criteria}
    groups = {c.group_key: (c.group_zh, c.group_en) for c in old_criteria}
    seen: set[str] = set()
    for n, c in enumerate(criteria):
        if c.key in seen:
            errors[f"criteria-{n}-key"] = [_("Two criteria have the same key.")]
        seen.add(c.key)
        if c.key not in by_key:
            if not complete:
                errors[f"criteria-{n}-key"] = [_("Unknown criterion.")]
            elif rubric.is_readiness:
                errors[f"criteria-{n}-key"] = [
                    _("The TRL rubric has one criterion, the nine levels; none can be added.")
                ]
            elif not CRITERION_KEY_RE.match(c.key):
                errors[f"criteria-{n}-key"] = [
                    _(
                        "A key is 2 to 40 lower-case letters, digits, “-” or “_”, starting with a letter."
                    )
                ]
            elif not c.group_key or (
                c.group_key not in groups and (not c.group_zh.strip() or not c.group_en.strip())
            ):
                errors[f"criteria-{n}-group_key"] = [_("Choose the criterion's dimension.")]
        if not c.title_zh.strip() or not c.title_en.strip():
            errors[f"criteria-{n}-title_zh"] = [_("Give the criterion's name in both languages.")]
        if not c.clause.strip():
            errors[f"criteria-{n}-clause"] = [
                _(
                    "Say where in the standard the criterion comes from (the clause, or the indicator's name)."
                )
            ]
        if not _weight_ok(c.weight):
            errors[f"criteria-{n}-weight"] = [
                _("A weight is a number from 0 to 1000 with at most three decimals.")
            ]
        for purpose, value in (c.purpose_weights or {}).items():
            if purpose not in ReviewPurposeChoices.values:
                errors[f"criteria-{n}-weight"] = [_("Unknown purpose.")]
            elif not _weight_ok(value):
                errors[f"criteria-{n}-w-{purpose}"] = [
                    _("A weight is a number from 0 to 1000 with at most three decimals.")
                ]
    if complete and not criteria:
        errors["criteria"] = [_("A rubric needs at least one criterion.")]
    if complete and rubric.is_readiness and len(criteria) != 1 and "criteria" not in errors:
        errors["criteria"] = [
            _("The TRL rubric has one criterion, the nine levels; none can be added or removed.")
        ]
    if not errors:
        merged = {c.key: c for c in criteria}
        final = [
            merged.get(o.key) or o for o in old_criteria if complete is False or o.key in merged
        ]
        final += [c for c in criteria if c.key not in by_key]
        if sum((c.weight for c in criteria), Decimal("0")) <= 0:
            errors["criteria"] = [_("At least one criterion needs a weight above 0.")]
        else:
            for purpose, label in ReviewPurposeChoices.choices:
                total = sum((_input_weight(c, purpose, by_key) for c in final), Decimal("0"))
                if total <= 0:
                    errors.setdefault("criteria", []).append(
                        _("For “%(purpose)s”, at least one criterion needs a weight above 0.")
                        % {"purpose": label}
                    )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        current = Rubric.objects.select_for_update().get(pk=rubric.pk)
        latest = Rubric.objects.filter(key=current.key).order_by("-version").first()
        assert latest is not None
        Rubric.objects.filter(key=current.key, is_active=True).update(is_active=False)
        new = Rubric.objects.create(
            key=current.key,
            version=latest.version + 1,
            title_zh=title_zh.strip(),
            title_en=title_en.strip(),
            standard=current.standard,
            description_zh=current.description_zh,
            description_en=current.description_en,
            kind=current.kind,
            scale_min=current.scale_min,
            scale_max=current.scale_max,
            is_active=True,
            is_builtin=current.is_builtin,
            revision_note=revision_note.strip(),
            created_by=actor,
        )
        changes = {c.key: c for c in criteria}
        position = 0
        removed: list[str] = []
        for old in current.criteria.all():
            change = changes.get(old.key)
            if complete and change is None:
                removed.append(old.key)
                continue
            if change is None:
                purpose_weights = old.purpose_weights
            elif change.purpose_weights is not None:
                purpose_weights = {
                    p: str(v.quantize(Decimal("0.001"))) for p, v in change.purpose_weights.items()
                }
            else:
                # A changed default weight applies to every purpose in the new version.
                purpose_weights = {} if change.weight != old.weight else old.purpose_weights
            RubricCriterion.objects.create(
                rubric=new,
                key=old.key,
                position=position,
                group_key=old.group_key,
                group_zh=old.group_zh,
                group_en=old.group_en,
                title_zh=change.title_zh.strip() if change else old.title_zh,
                title_en=change.title_en.strip() if change else old.title_en,
                description_zh=change.description_zh.strip() if change else old.description_zh,
                description_en=change.description_en.strip() if change else old.description_en,
                clause=change.clause.strip() if change else old.clause,
                weight=change.weight if change else old.weight,
                purpose_weights=purpose_weights,
                kinds=old.kinds,
                levels=old.levels,
            )
            position += 1
        added: list[str] = []
        for c in criteria:
            if c.key in by_key:
                continue
            group_zh, group_en = groups.get(c.group_key) or (c.group_zh.strip(), c.group_en.strip())
            RubricCriterion.objects.create(
                rubric=new,
                key=c.key,
                position=position,
                group_key=c.group_key,
                group_zh=group_zh,
                group_en=group_en,
                title_zh=c.title_zh.strip(),
                title_en=c.title_en.strip(),
                description_zh=c.description_zh.strip(),
                description_en=c.description_en.strip(),
                clause=c.clause.strip(),
                weight=c.weight,
                purpose_weights={
                    p: str(v.quantize(Decimal("0.001")))
                    for p, v in (c.purpose_weights or {}).items()
                },
            )
            added.append(c.key)
            position += 1
        audit_record(
            actor=actor,
            action="rubric.revise",
            obj=new,
            payload={
                "key": new.key,
                "version": new.version,
                "from": current.version,
                "added": added,
                "removed": removed,
            },
        )
    return new


def _input_weight(
    c: CriterionInput | RubricCriterion, purpose: str, old: dict[str, RubricCriterion]
) -> Decimal:
    """The weight ``c`` will carry for ``purpose`` in the new version (kinds aside)."""
    if isinstance(c, RubricCriterion):
        return c.purpose_weight(purpose)
    weights = c.purpose_weights
    if weights is None:
        previous = old.get(c.key)
        if previous is None or c.weight != previous.weight:
            return c.weight
        return previous.purpose_weight(purpose)
    raw = weights.get(purpose)
    if raw is None and purpose in PURPOSE_WEIGHT_FALLBACK:
        raw = weights.get(PURPOSE_WEIGHT_FALLBACK[purpose])
    return raw if raw is not None else c.weight


# --- rounds ----------------------------------------------------------------------------------------


def round_open(
    *,
    result: Result,
    rubric: Rubric,
    purpose: str,
    deadline: date,
    actor: User,
    is_blind: bool = False,
    spread_threshold: Decimal = Decimal("2"),
    min_reviews: int = 2,
    at: datetime | None = None,
) -> ReviewRound:
    if not permitted(actor, ReviewRound, "add"):
        raise PermissionError(_("Only TTO managers run evaluations."))
    now = at or timezone.now()
    errors: dict[str, list[str]] = {}
    if not rubric.is_active:
        errors["rubric"] = [_("Choose an active rubric (this version has been replaced).")]
    if purpose not in ReviewPurposeChoices.values:
        errors["purpose"] = [_("Choose the purpose of the evaluation.")]
    if deadline is None or deadline <= timezone.localdate(now):
        errors["deadline"] = [_("The deadline must be after today.")]
    try:
        threshold = Decimal(str(spread_threshold))
    except InvalidOperation:
        threshold = Decimal("0")
    if not (Decimal("0") < threshold <= Decimal(rubric.scale_max - rubric.scale_min)):
        errors["spread_threshold"] = [
            _("The threshold is above 0 and at most %(span)s points.")
            % {"span": rubric.scale_max - rubric.scale_min}
        ]
    if not 1 <= int(min_reviews) <= 9:
        errors["min_reviews"] = [_("Between 1 and 9 reviews.")]
    if result.stage in CLOSED_RESULT_STAGES:
        errors["result"] = [_("The result is withdrawn or declined.")]
    elif (
        purpose == ReviewPurposeChoices.TRANSFER and result.stage not in TRANSFER_EVALUATION_STAGES
    ):
        errors["purpose"] = [
            _("A transfer evaluation is opened once the result has been submitted for evaluation.")
        ]
    weights = {
        c.key: str(w)
        for c in rubric.criteria.all()
        if (w := c.weight_for(purpose, result.kind)) > 0
    }
    if not weights and "rubric" not in errors:
        errors["rubric"] = [
            _("No criterion of this rubric applies to this kind of result for this purpose.")
        ]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Result.objects.select_for_update().get(pk=result.pk)
        if locked.review_rounds.filter(
            rubric__key=rubric.key, status__in=("open", "consensus", "scored")
        ).exists():
            raise ValidationError(
                {"rubric": [_("A round with this rubric is already under way for this result.")]}
            )
        review_round = ReviewRound.objects.create(
            result=locked,
            rubric=rubric,
            purpose=purpose,
            deadline=deadline,
            is_blind=is_blind,
            spread_threshold=threshold,
            min_reviews=min_reviews,
            weights=weights,
            opened_by=actor,
            opened_at=now,
        )
        _event(
            review_round,
            "opened",
            actor,
            {"rubric": f"{rubric.key} v{rubric.version}", "purpose": purpose},
            now,
        )
        audit_record(
            actor=actor,
            action="evaluation.round_open",
            obj=review_round,
            payload={
                "result": locked.pk,
                "rubric": rubric.pk,
                "purpose": purpose,
                "deadline": deadline,
                "blind": is_blind,
            },
        )
    return review_round


def review_assign(
    *,
    review_round: ReviewRound,
    reviewer: User,
    actor: User,
    at: datetime | None = None,
    notify: bool = True,
) -> ReviewAssignment:
    """Invite ``reviewer`` to the round. Refused, with the reason, when a conflict of interest stands in the way."""
    _require_manage(actor, review_round)
    with transaction.atomic():
        locked = _lock_round(review_round)
        errors: list[str] = []
        if locked.status not in ("open", "consensus"):
            errors.append(_("Reviewers join a round while it is open."))
        if not reviewers_eligible().filter(pk=reviewer.pk).exists():
            errors.append(_("Only active reviewer accounts can be invited."))
        if locked.assignments.filter(reviewer=reviewer).exists():
            errors.append(
                _("%(name)s is already in this round.")
                % {"name": reviewer.get_full_name() or reviewer.username}
            )
        errors += reviewer_conflicts(reviewer, locked.result)
        if errors:
            raise ValidationError({"reviewer": errors})
        assignment = ReviewAssignment.objects.create(
            review_round=locked,
            reviewer=reviewer,
            invited_by=actor,
            invited_at=at or timezone.now(),
        )
        in_use = criteria_in_use(locked)
        CriterionScore.objects.bulk_create(
            [CriterionScore(assignment=assignment, criterion=c) for c, _w in in_use]
        )
        _event(locked, "assigned", actor, {"assignment": assignment.pk}, at)
        audit_record(
            actor=actor,
            action="evaluation.assign",
            obj=assignment,
            payload={"round": locked.pk, "reviewer": reviewer.pk},
        )
        if notify:
            notification_send(
                recipients=[reviewer],
                kind="evaluation.assigned",
                title_zh=f"评审邀请：{locked.result.title_zh or locked.result.title_en}",
                title_en=f"Invitation to review: {locked.result.title_en or locked.result.title_zh}",
                body_zh=f"请在 {locked.deadline:%Y-%m-%d} 前声明利益冲突情况并完成评分（{locked.rubric.title_zh}）。",
                body_en=f"Please declare any conflict of interest and score the result ({locked.rubric.title_en}) by {locked.deadline:%Y-%m-%d}.",
                url=_assignment_url(assignment),
            )
    return assignment


def reviewer_invite(
    *,
    review_round: ReviewRound,
    email: str,
    first_name: str,
    last_name: str,
    actor: User,
    link_base: str = "",
    organisation: Any = None,
) -> ReviewAssignment:
    """Invite an external expert by e-mail: create their reviewer account (no password yet), assign
    them, and e-mail a one-time link (Django's password-reset token) to set a password."""
    _require_manage(actor, review_round)
    email = email.strip().lower()
    errors: dict[str, list[str]] = {}
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = [_("Enter a valid e-mail address.")]
    if not first_name.strip() and not last_name.strip():
        errors["last_name"] = [_("Give the expert's name.")]
    existing = User.objects.filter(email__iexact=email).first() if "email" not in errors else None
    if existing is not None and not reviewers_eligible().filter(pk=existing.pk).exists():
        errors["email"] = [_("This e-mail belongs to a platform user who is not a reviewer.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        created = existing is None
        if existing is None:
            base = email.split("@")[0][:100] or "reviewer"
            username, n = base, 1
            while User.objects.filter(username=username).exists():
                n += 1
                username = f"{base}{n}"
            reviewer = User(
                username=username,
                email=email,
                first_name=first_name.strip(),
                last_name=last_name.strip(),
                role=EXPERT_ROLE,
                organisation=organisation,
            )
            reviewer.set_unusable_password()
            reviewer.save()
            audit_record(
                actor=actor, action="user.invite_reviewer", obj=reviewer, payload={"email": email}
            )
        else:
            reviewer = existing
        assignment = review_assign(
            review_round=review_round, reviewer=reviewer, actor=actor, notify=not created
        )
        if created:
            uid = urlsafe_base64_encode(force_bytes(reviewer.pk))
            token = default_token_generator.make_token(reviewer)
            # one language, the link's page's too: the reviewer's if set, else the one the TTO works in now
            language = reviewer.language or translation.get_language() or "zh-hans"
            with translation.override(language):
                path = reverse("evaluation:invitation", args=[uid, token])
            link = f"{link_base.rstrip('/')}{path}"
            r = review_round.result
            with translation.override(language):
                body = _(
                    "You are invited to review “%(title)s” on OpenTTO (deadline %(deadline)s). "
                    "Set your password with this one-time link:\n%(link)s\n\nUser name: %(username)s"
                ) % {
                    "title": str(r.title),
                    "deadline": f"{review_round.deadline:%Y-%m-%d}",
                    "link": link,
                    "username": reviewer.username,
                }
                subject = _("[OpenTTO] Invitation to review")
            transaction.on_commit(
                lambda: send_mail(
                    subject=subject,
                    message=body,
                    from_email=None,
                    recipient_list=[email],
                    fail_silently=True,
                )
            )
    return assignment


def review_remove(*, assignment: ReviewAssignment, reason: str, actor: User) -> ReviewAssignment:
    """Take a reviewer who has not submitted out of the round (e.g. one who never answered)."""
    _require_manage(actor, assignment.review_round)
    if not reason.strip():
        raise ValidationError({"reason": [_("Give a reason.")]})
    with transaction.atomic():
        locked_round = _lock_round(assignment.review_round)
        a = ReviewAssignment.objects.select_for_update().get(pk=assignment.pk)
        if a.status not in ("invited", "accepted") or locked_round.status not in (
            "open",
            "consensus",
        ):
            raise ValidationError(
                {
                    "reason": [
                        _(
                            "Only a reviewer who has not submitted can be removed from an open round."
                        )
                    ]
                }
            )
        a.status = "removed"
        a.conflict_statement = reason.strip()
        a.save(update_fields=["status", "conflict_statement"])
        _event(locked_round, "removed", actor, {"assignment": a.pk, "reason": reason.strip()})
        audit_record(
            actor=actor,
            action="evaluation.remove_reviewer",
            obj=a,
            payload={"reason": reason.strip()},
        )
        _settle(locked_round, actor)
    return a


def review_declare(
    *,
    assignment: ReviewAssignment,
    has_conflict: bool,
    statement: str = "",
    actor: User,
    at: datetime | None = None,
) -> ReviewAssignment:
    """The reviewer declares whether they have a conflict of interest. No conflict: they may read
    the result's confidential details and score. A conflict: they leave the round."""
    _require_review(actor, assignment, _("Only the invited reviewer can make this declaration."))
    if has_conflict and not statement.strip():
        raise ValidationError({"statement": [_("Describe the conflict of interest.")]})
    now = at or timezone.now()
    with transaction.atomic():
        locked_round = _lock_round(assignment.review_round)
        a = ReviewAssignment.objects.select_for_update().get(pk=assignment.pk)
        if a.status != "invited" or locked_round.status not in ("open", "consensus"):
            raise ValidationError(
                {"statement": [_("The declaration has already been made, or the round is closed.")]}
            )
        if has_conflict:
            a.status = "conflict"
            a.conflict_statement = statement.strip()
            ReviewerConflict.objects.create(
                reviewer=actor,
                result=locked_round.result,
                statement=statement.strip(),
                declared_at=now,
            )
        else:
            a.status = "accepted"
            a.declared_at = now
        a.save(update_fields=["status", "conflict_statement", "declared_at"])
        _event(
            locked_round,
            "conflict_declared" if has_conflict else "no_conflict_declared",
            actor,
            {"assignment": a.pk},
            now,
        )
        audit_record(
            actor=actor, action="evaluation.declare", obj=a, payload={"conflict": has_conflict}
        )
        if has_conflict and locked_round.opened_by is not None:
            notification_send(
                recipients=[locked_round.opened_by],
                kind="evaluation.conflict",
                title_zh="评审专家声明存在利益冲突",
                title_en="A reviewer declared a conflict of interest",
                body_zh=statement.strip(),
                body_en=statement.strip(),
                url=_round_url(locked_round),
            )
        _settle(locked_round, actor)
    return a


@dataclass
class ScoreInput:
    score: int | None
    justification: str = ""


def review_save(
    *,
    assignment: ReviewAssignment,
    scores: dict[str, ScoreInput],
    actor: User,
    submit: bool = False,
    at: datetime | None = None,
    notify: bool = True,
) -> ReviewAssignment:
    """Save the reviewer's scores as a draft, or submit them. On submission every criterion needs a
    score, the extreme scores (and every TRL) a justification; the last submission settles the round."""
    _require_review(actor, assignment, _("Only the reviewer can score their review."))
    now = at or timezone.now()
    with transaction.atomic():
        locked_round = _lock_round(assignment.review_round)
        a = ReviewAssignment.objects.select_for_update().get(pk=assignment.pk)
        rubric = locked_round.rubric
        if a.status != "accepted" or locked_round.status != "open":
            raise ValidationError({"__all__": [_("This review cannot be changed now.")]})
        rows = {s.criterion.key: s for s in a.scores.select_related("criterion")}
        reopened = {k for k, s in rows.items() if s.needs_rescore}
        errors: dict[str, list[str]] = {}
        for key, given in scores.items():
            row = rows.get(key)
            if row is None:
                errors[key] = [_("Unknown criterion.")]
                continue
            if (
                reopened
                and key not in reopened
                and (given.score != row.score or given.justification.strip() != row.justification)
            ):
                errors[key] = [_("Only the criteria reopened by the manager can be changed.")]
                continue
            if given.score is not None and not rubric.scale_min <= given.score <= rubric.scale_max:
                errors[key] = [
                    _("Score from %(low)s to %(high)s.")
                    % {"low": rubric.scale_min, "high": rubric.scale_max}
                ]
        merged = {k: scores.get(k, ScoreInput(s.score, s.justification)) for k, s in rows.items()}
        if submit and not errors:
            for key, given in merged.items():
                if given.score is None:
                    errors.setdefault(key, []).append(_("Give a score."))
                elif not given.justification.strip() and (
                    rubric.is_readiness or given.score in (rubric.scale_min, rubric.scale_max)
                ):
                    errors.setdefault(key, []).append(
                        _("State the evidence for the level.")
                        if rubric.is_readiness
                        else _("Justify the lowest and the highest score.")
                    )
        if errors:
            raise ValidationError(errors)
        for key, given in merged.items():
            row = rows[key]
            if (
                row.score != given.score
                or row.justification != given.justification.strip()
                or (submit and row.needs_rescore)
            ):
                row.score = given.score
                row.justification = given.justification.strip()
                row.updated_at = now
                if submit:
                    row.needs_rescore = False
                row.save(update_fields=["score", "justification", "updated_at", "needs_rescore"])
        if submit:
            a.status = "submitted"
            a.submitted_at = now
            a.save(update_fields=["status", "submitted_at"])
            _event(locked_round, "submitted", actor, {"assignment": a.pk}, now)
        audit_record(
            actor=actor,
            action="evaluation.submit" if submit else "evaluation.save_draft",
            obj=a,
            payload={k: v.score for k, v in merged.items()},
        )
        if submit:
            _settle(locked_round, actor, now, notify=notify)
    return a


def _settle(
    locked_round: ReviewRound,
    actor: User | None,
    at: datetime | None = None,
    *,
    notify: bool = True,
) -> None:
    """When every active reviewer has submitted: consensus if they disagree, else scored."""
    if locked_round.status != "open":
        return
    active = [a for a in locked_round.assignments.all() if a.is_active]
    submitted = [a for a in active if a.status == "submitted"]
    if len(submitted) < locked_round.min_reviews or len(submitted) < len(active):
        return
    stats = round_statistics(locked_round)
    target = "consensus" if stats.disagreements else "scored"
    _move(locked_round, target)
    locked_round.save(update_fields=["status"])
    _event(
        locked_round,
        target,
        actor,
        {"criteria": [c.criterion.key for c in stats.disagreements]},
        at,
    )
    audit_record(
        actor=actor,
        action=f"evaluation.round_{target}",
        obj=locked_round,
        payload={"disagreements": [c.criterion.key for c in stats.disagreements]},
    )
    if notify and locked_round.opened_by is not None:
        result = locked_round.result
        if target == "consensus":
            names_zh = "、".join(c.criterion.title_zh for c in stats.disagreements)
            names_en = ", ".join(c.criterion.title_en for c in stats.disagreements)
            title_zh, title_en = (
                f"评审意见分歧，需要协商：{result.title_zh or result.title_en}",
                f"Reviewers disagree; consensus needed: {result.title_en or result.title_zh}",
            )
            body_zh, body_en = (
                f"分歧超过阈值的指标：{names_zh}",
                f"Criteria beyond the threshold: {names_en}",
            )
        else:
            title_zh, title_en = (
                f"评审已全部提交：{result.title_zh or result.title_en}",
                f"All reviews are in: {result.title_en or result.title_zh}",
            )
            body_zh, body_en = "请给出评价结论。", "Please record the outcome."
        notification_send(
            recipients=[locked_round.opened_by],
            kind=f"evaluation.{target}",
            title_zh=title_zh,
            title_en=title_en,
            body_zh=body_zh,
            body_en=body_en,
            url=_round_url(locked_round),
        )


def round_reopen_criteria(
    *, review_round: ReviewRound, criterion_keys: list[str], note: str, actor: User
) -> ReviewRound:
    """Consensus step: reopen some criteria for re-scoring by every reviewer who submitted."""
    _require_manage(actor, review_round)
    with transaction.atomic():
        locked = _lock_round(review_round)
        valid = {c.key for c, _w in criteria_in_use(locked)}
        errors: dict[str, list[str]] = {}
        if not criterion_keys or not set(criterion_keys) <= valid:
            errors["criteria"] = [_("Choose the criteria to reopen.")]
        if not note.strip():
            errors["note"] = [_("Tell the reviewers why (e.g. the points of disagreement).")]
        if locked.status not in ("consensus", "scored"):
            errors.setdefault("criteria", []).append(
                _("Criteria can be reopened once every review is in.")
            )
        if errors:
            raise ValidationError(errors)
        _move(locked, "open")
        locked.consensus_note = note.strip()
        locked.save(update_fields=["status", "consensus_note"])
        submitted = list(locked.assignments.filter(status="submitted"))
        CriterionScore.objects.filter(
            assignment__in=submitted, criterion__key__in=criterion_keys
        ).update(needs_rescore=True)
        ReviewAssignment.objects.filter(pk__in=[a.pk for a in submitted]).update(
            status="accepted", submitted_at=None
        )
        # Reminders restart for the new pass.
        ReviewReminder.objects.filter(assignment__in=submitted).delete()
        _event(locked, "reopened", actor, {"criteria": criterion_keys, "note": note.strip()})
        audit_record(
            actor=actor,
            action="evaluation.reopen",
            obj=locked,
            payload={"criteria": criterion_keys, "note": note.strip()},
        )
        notification_send(
            recipients=[a.reviewer for a in submitted],
            kind="evaluation.reopened",
            title_zh="部分评审指标需要重新评分",
            title_en="Some criteria are reopened for re-scoring",
            body_zh=note.strip(),
            body_en=note.strip(),
            url=reverse("evaluation:my_reviews"),
        )
    return locked


def round_accept_spread(*, review_round: ReviewRound, note: str, actor: User) -> ReviewRound:
    """Consensus step: the manager accepts the reviewers' spread as it is (with a written note)."""
    _require_manage(actor, review_round)
    if not note.strip():
        raise ValidationError({"note": [_("Record why the spread is accepted.")]})
    with transaction.atomic():
        locked = _lock_round(review_round)
        _move(locked, "scored")
        locked.consensus_note = note.strip()
        locked.save(update_fields=["status", "consensus_note"])
        _event(locked, "spread_accepted", actor, {"note": note.strip()})
        audit_record(
            actor=actor,
            action="evaluation.accept_spread",
            obj=locked,
            payload={"note": note.strip()},
        )
    return locked


def round_cancel(*, review_round: ReviewRound, reason: str, actor: User) -> ReviewRound:
    _require_manage(actor, review_round)
    if not reason.strip():
        raise ValidationError({"reason": [_("Give a reason.")]})
    with transaction.atomic():
        locked = _lock_round(review_round)
        _move(locked, "cancelled")
        locked.cancel_reason = reason.strip()
        locked.save(update_fields=["status", "cancel_reason"])
        _event(locked, "cancelled", actor, {"reason": reason.strip()})
        audit_record(
            actor=actor,
            action="evaluation.round_cancel",
            obj=locked,
            payload={"reason": reason.strip()},
        )
    return locked


def round_change_deadline(
    *,
    review_round: ReviewRound,
    deadline: date,
    actor: User,
    reason: str = "",
    at: datetime | None = None,
) -> ReviewRound:
    """The manager moves the deadline of a round still under way. A date in the past (or today)
    is refused. Reminders follow the new date: those already sent for the old one are cleared, so
    the periodic task reminds again against the new deadline. Reviewers still to submit are told."""
    _require_manage(actor, review_round)
    now = at or timezone.now()
    if deadline is None or deadline <= timezone.localdate(now):
        raise ValidationError({"deadline": [_("The deadline must be after today.")]})
    with transaction.atomic():
        locked = _lock_round(review_round)
        if locked.status not in LIVE_ROUND_STATUSES:
            raise ValidationError(
                {
                    "deadline": [
                        _("The deadline of a finalised or cancelled round cannot be changed.")
                    ]
                }
            )
        old = locked.deadline
        if deadline == old:
            raise ValidationError({"deadline": [_("This is already the deadline.")]})
        locked.deadline = deadline
        locked.save(update_fields=["deadline"])
        pending = list(
            locked.assignments.filter(status__in=("invited", "accepted")).select_related("reviewer")
        )
        cleared, _count = ReviewReminder.objects.filter(assignment__review_round=locked).delete()
        payload = {"from": old.isoformat(), "to": deadline.isoformat(), "reason": reason.strip()}
        _event(locked, "deadline_changed", actor, payload, now)
        audit_record(
            actor=actor,
            action="evaluation.change_deadline",
            obj=locked,
            payload={**payload, "reminders_cleared": cleared},
        )
        if pending:
            r = locked.result
            notification_send(
                recipients=[a.reviewer for a in pending],
                kind="evaluation.deadline_changed",
                title_zh=f"评审截止日期已调整：{r.title_zh or r.title_en}",
                title_en=f"New review deadline: {r.title_en or r.title_zh}",
                body_zh=f"新的截止日期为 {deadline:%Y-%m-%d}（原为 {old:%Y-%m-%d}）。",
                body_en=f"The deadline is now {deadline:%Y-%m-%d} (was {old:%Y-%m-%d}).",
                url=reverse("evaluation:my_reviews"),
            )
    return locked


def _summary_texts(r: ReviewRound) -> tuple[str, str]:
    zh = [
        f"{label}：{text}"
        for label, text in (
            ("优势", r.strengths_zh),
            ("风险", r.risks_zh),
            ("条件", r.conditions_zh),
        )
        if text
    ]
    en = [
        f"{label}: {text}"
        for label, text in (
            ("Strengths", r.strengths_en),
            ("Risks", r.risks_en),
            ("Conditions", r.conditions_en),
        )
        if text
    ]
    return "\n".join(zh), "\n".join(en)


def round_finalise(
    *,
    review_round: ReviewRound,
    recommendation: str,
    actor: User,
    transfer_modes: list[str] | None = None,
    strengths_zh: str = "",
    strengths_en: str = "",
    risks_zh: str = "",
    risks_en: str = "",
    conditions_zh: str = "",
    conditions_en: str = "",
    trl_assessed: int | None = None,
    apply_decision: bool = False,
    at: datetime | None = None,
    store_report: bool = True,
    notify: bool = True,
) -> ReviewRound:
    """Record the round's outcome. A transfer evaluation of a result in the evaluation step writes
    the ``EvaluationSummary`` the pipeline's guard reads; ``apply_decision`` then also moves the
    result (proceed → planning, improve → onboarding, decline → declined). The result's TRL is
    updated from the assessed TRL (by default the median level of a readiness rubric)."""
    _require_manage(actor, review_round)
    now = at or timezone.now()
    modes = list(dict.fromkeys(transfer_modes or []))
    errors: dict[str, list[str]] = {}
    if recommendation not in EvaluationDecisionChoices.values:
        errors["recommendation"] = [_("Choose a recommendation.")]
    if any(m not in TransferModeChoices.values for m in modes):
        errors["transfer_modes"] = [_("Choose transfer modes from the list.")]
    if recommendation == EvaluationDecisionChoices.PROCEED and not modes:
        errors["transfer_modes"] = [
            _("Recommend at least one transfer mode when the result is to proceed.")
        ]
    if not (strengths_zh.strip() or strengths_en.strip()):
        errors["strengths_zh"] = [_("Write the strengths in Chinese, in English, or both.")]
    if not (risks_zh.strip() or risks_en.strip()):
        errors["risks_zh"] = [_("Write the risks in Chinese, in English, or both.")]
    if trl_assessed is not None and not 1 <= trl_assessed <= 9:
        errors["trl_assessed"] = [_("The TRL is a whole number from 1 to 9.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = _lock_round(review_round)
        if locked.status != "scored":
            raise ValidationError(
                {
                    "recommendation": [
                        _(
                            "The outcome is recorded once every review is in and any disagreement is settled."
                        )
                    ]
                }
            )
        stats = round_statistics(locked)
        if stats.submitted_count == 0:
            raise ValidationError({"recommendation": [_("No review has been submitted.")]})
        trl = trl_assessed if trl_assessed is not None else stats.trl_median
        _move(locked, "finalised")
        locked.recommendation = recommendation
        locked.transfer_modes = modes
        locked.strengths_zh, locked.strengths_en = strengths_zh.strip(), strengths_en.strip()
        locked.risks_zh, locked.risks_en = risks_zh.strip(), risks_en.strip()
        locked.conditions_zh, locked.conditions_en = conditions_zh.strip(), conditions_en.strip()
        locked.trl_assessed = trl
        locked.overall_score = None if locked.rubric.is_readiness else stats.overall_percent
        locked.finalised_by, locked.finalised_at = actor, now
        locked.save()
        result = Result.objects.select_for_update().get(pk=locked.result_id)
        if trl is not None and trl != result.trl:
            result.trl = trl
            result.save(update_fields=["trl", "updated_at"])
        summary = None
        if (
            locked.purpose == ReviewPurposeChoices.TRANSFER
            and result.stage == ResultStageChoices.EVALUATION
        ):
            zh, en = _summary_texts(locked)
            summary = EvaluationSummary.objects.create(
                result=result,
                review_round=locked,
                decision=recommendation,
                summary_zh=zh,
                summary_en=en,
                trl_assessed=trl,
                decided_by=actor,
                decided_at=now,
            )
        _event(locked, "finalised", actor, {"recommendation": recommendation, "trl": trl}, now)
        audit_record(
            actor=actor,
            action="evaluation.round_finalise",
            obj=locked,
            payload={
                "result": result.pk,
                "recommendation": recommendation,
                "trl": trl,
                "overall": locked.overall_score,
                "summary": summary.pk if summary else None,
            },
        )
        if store_report:
            report_store(review_round=locked)
        if notify:
            _notify_outcome(locked)
        if apply_decision and summary is not None:
            from opentto.results.pipeline import result_transition

            target = {"proceed": "planning", "improve": "onboarding", "decline": "declined"}[
                recommendation
            ]
            reason = "" if recommendation == "proceed" else (risks_zh.strip() or risks_en.strip())
            result_transition(result=result, target=target, actor=actor, reason=reason)
    return locked


def report_store(*, review_round: ReviewRound) -> ReviewRound:
    """Render the round's PDF report from the stored scores and keep it with the round."""
    from .report import report_pdf

    data = report_pdf(review_round)
    name = f"evaluation-{review_round.result_id}-{review_round.pk}.pdf"
    if review_round.report_file:
        review_round.report_file.delete(save=False)
    review_round.report_file.save(name, ContentFile(data), save=False)
    review_round.report_sha256 = hashlib.sha256(data).hexdigest()
    ReviewRound.objects.filter(pk=review_round.pk).update(
        report_file=review_round.report_file.name, report_sha256=review_round.report_sha256
    )
    return review_round


def _notify_outcome(r: ReviewRound) -> None:
    """Tell the owning organisations' people who may read the outcome (the round's ``view`` grant
    under a constraint: the TTO, which sees every round and recorded the outcome, is not told)
    the outcome, never who reviewed."""
    owners = r.result.ownerships.values("organisation_id")
    everywhere = users_permitted(ReviewRound, "view", every_row=True).values("pk")
    candidates = (
        users_permitted(ReviewRound, "view")
        .filter(organisation_id__in=owners)
        .exclude(pk__in=everywhere)
    )
    inventors = [u for u in candidates if allows(u, r, "view")]
    decision = EvaluationDecisionChoices(r.recommendation)
    with translation.override("zh-hans"):
        label_zh = str(decision.label)
    with translation.override("en"):
        label_en = str(decision.label)
    notification_send(
        recipients=inventors,
        kind="evaluation.finalised",
        title_zh=f"评价结论：{r.result.title_zh or r.result.title_en}",
        title_en=f"Evaluation outcome: {r.result.title_en or r.result.title_zh}",
        body_zh=f"结论：{label_zh}",
        body_en=f"Recommendation: {label_en}",
        url=reverse("evaluation:report", args=[r.pk]),
    )


def review_add_evidence(
    *, assignment: ReviewAssignment, criterion_key: str, upload: Any, actor: User
) -> Any:
    from .models import ScoreEvidence

    _require_review(actor, assignment, _("Only the reviewer can add evidence to their review."))
    if assignment.status != "accepted" or assignment.review_round.status != "open":
        raise ValidationError({"evidence": [_("This review cannot be changed now.")]})
    score = assignment.scores.filter(criterion__key=criterion_key).first()
    if score is None:
        raise ValidationError({"evidence": [_("Unknown criterion.")]})
    try:
        checked = check_upload(upload)
    except ValidationError as exc:
        raise ValidationError({"evidence": exc.messages}) from exc
    with transaction.atomic():
        evidence = ScoreEvidence(
            score=score,
            original_name=checked.safe_name,
            content_type=checked.content_type,
            size=checked.size,
            sha256=checked.sha256,
            uploaded_by=actor,
        )
        evidence.file.save(checked.safe_name, checked.file, save=False)
        evidence.save()
        audit_record(
            actor=actor,
            action="evaluation.add_evidence",
            obj=evidence,
            payload={"assignment": assignment.pk, "criterion": criterion_key},
        )
    return evidence


# --- reminders -----------------------------------------------------------------------------------


def review_reminders_send(*, today: date | None = None) -> dict[str, int]:
    """Remind reviewers who have not submitted: once when the deadline is ``DUE_SOON_DAYS`` days
    away or less, once when it has passed. Idempotent: each kind is sent once per assignment."""
    today = today or timezone.localdate()
    sent = {"due_soon": 0, "overdue": 0}
    pending = ReviewAssignment.objects.filter(
        status__in=("invited", "accepted"),
        review_round__status="open",
        reviewer__is_active=True,
    ).select_related("review_round", "review_round__result", "reviewer")
    for a in pending:
        deadline = a.review_round.deadline
        if deadline < today:
            kind = "overdue"
        elif deadline - today <= timedelta(days=DUE_SOON_DAYS):
            kind = "due_soon"
        else:
            continue
        with transaction.atomic():
            _reminder, created = ReviewReminder.objects.get_or_create(assignment=a, kind=kind)
            if not created:
                continue
            r = a.review_round.result
            if kind == "overdue":
                title_zh, title_en = (
                    f"评审已逾期：{r.title_zh or r.title_en}",
                    f"Review overdue: {r.title_en or r.title_zh}",
                )
                body_zh = f"截止日期 {deadline:%Y-%m-%d} 已过，请尽快完成评审。"
                body_en = f"The deadline of {deadline:%Y-%m-%d} has passed; please complete your review as soon as you can."
            else:
                title_zh, title_en = (
                    f"评审即将截止：{r.title_zh or r.title_en}",
                    f"Review due soon: {r.title_en or r.title_zh}",
                )
                body_zh = f"请在 {deadline:%Y-%m-%d} 前完成评审。"
                body_en = f"Please complete your review by {deadline:%Y-%m-%d}."
            notification_send(
                recipients=[a.reviewer],
                kind=f"evaluation.reminder_{kind}",
                title_zh=title_zh,
                title_en=title_en,
                body_zh=body_zh,
                body_en=body_en,
                url=_assignment_url(a),
            )
            audit_record(actor=None, action="evaluation.remind", obj=a, payload={"kind": kind})
            sent[kind] += 1
    return sent


# --- the manager's recorded outcome (override) ----------------------------------------------------


def evaluation_record(
    *,
    result: Result,
    decision: str,
    summary_zh: str = "",
    summary_en: str = "",
    trl_assessed: int | None = None,
    actor: User,
    decided_at: datetime | None = None,
) -> EvaluationSummary:
    """The manager records the outcome without (or against) a finalised review round: an override.
    The summary is the written reason and is required; the audit event marks it as an override."""
    if not permitted(actor, EvaluationSummary, "add"):
        raise PermissionError(_("Only TTO managers record evaluations."))
    errors: dict[str, list[str]] = {}
    if decision not in EvaluationDecisionChoices.values:
        errors["decision"] = [_("Choose a decision.")]
    if not summary_zh.strip() and not summary_en.strip():
        errors["summary_zh"] = [_("Write the reason in Chinese, in English, or both.")]
    if trl_assessed is not None and not 1 <= trl_assessed <= 9:
        errors["trl_assessed"] = [_("The TRL is a whole number from 1 to 9.")]
    if result.stage != ResultStageChoices.EVALUATION:
        errors.setdefault("decision", []).append(_("The result is not in evaluation."))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Result.objects.select_for_update().get(pk=result.pk)
        evaluation = EvaluationSummary.objects.create(
            result=locked,
            decision=decision,
            summary_zh=summary_zh.strip(),
            summary_en=summary_en.strip(),
            trl_assessed=trl_assessed,
            decided_by=actor,
            decided_at=decided_at or timezone.now(),
        )
        if trl_assessed is not None and trl_assessed != locked.trl:
            locked.trl = trl_assessed
            locked.save(update_fields=["trl", "updated_at"])
        audit_record(
            actor=actor,
            action="evaluation.record",
            obj=evaluation,
            payload={
                "result": locked.pk,
                "decision": decision,
                "override": True,
                "reason": summary_zh.strip() or summary_en.strip(),
            },
        )
    return evaluation
