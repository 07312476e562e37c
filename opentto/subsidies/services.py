"""Writes for subsidies: programmes, applications, the eligibility check, expert review (a round
of the evaluation app, opened through its services), recognition,
approval (within the cap, the eligible share and the remaining budget, under a row lock) and
disbursement in tranches. Every step is audited."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from opentto.accounts.models import User
from opentto.core.audit import audit_record
from opentto.core.cache import figures_changed
from opentto.core.money import FEN, yuan_field
from opentto.core.permissions import allows, permitted, users_permitted
from opentto.core.transitions import transition
from opentto.core.uploads import check_upload
from opentto.evaluation.models import ReviewPurposeChoices, ReviewRound, Rubric
from opentto.evaluation.services import review_assign, round_open
from opentto.landing.models import Deal
from opentto.notifications.services import notification_send
from opentto.organisations.models import RESEARCH_KINDS, Organisation, OrganisationKindChoices
from opentto.results.models import Result

from .models import (
    APPLICATION_TRANSITIONS,
    Application,
    ApplicationStatusChoices,
    BudgetLine,
    CostCategoryChoices,
    Programme,
    ProgrammeBudget,
    ProgrammeKindChoices,
    SubsidyProject,
    Tranche,
    TrancheStatusChoices,
)
from .permissions import may_apply_for

S = ApplicationStatusChoices
APPLICANT_KINDS = {*RESEARCH_KINDS, OrganisationKindChoices.ENTERPRISE}


def _require(actor: Any, application: Application, action: str, message: str) -> None:
    """The grant the application's page asks too (``opentto/subsidies/permissions.py``): view and
    service agree."""
    if not allows(actor, application, action):
        raise PermissionError(message)


def _money(
    value: Any, field: str, errors: dict[str, list[str]], *, allow_zero: bool = False
) -> Decimal | None:
    return yuan_field(
        value,
        field,
        errors,
        positive=not allow_zero,
        out_of_range=_("The amount must be more than 0 and at most 99,999,999,999,999.99 yuan."),
    )


# --- programmes -------------------------------------------------------------------------------


def programme_create(
    *,
    code: str,
    kind: str,
    name_zh: str,
    name_en: str,
    legal_basis_zh: str,
    legal_basis_en: str,
    cap_per_project_cny: Decimal | str,
    window_opens: date,
    window_closes: date,
    actor: User | None,
    eligible_share_cap: Decimal | str | None = None,
    who_may_apply_zh: str = "",
    who_may_apply_en: str = "",
    requires_research_partner: bool = True,
    requires_enterprise_partner: bool = True,
    requires_deal: bool = False,
    budgets: Sequence[tuple[int, Decimal | str]] = (),
) -> Programme:
    if actor is not None and not permitted(actor, Programme, "add"):
        raise PermissionError(_("Only officials configure programmes."))
    errors: dict[str, list[str]] = {}
    if kind not in ProgrammeKindChoices.values:
        errors["kind"] = [_("Choose the kind of programme.")]
    if not name_zh.strip():
        errors["name_zh"] = [_("Give the programme's Chinese name.")]
    if not legal_basis_zh.strip():
        errors["legal_basis_zh"] = [_("Cite the policy the programme implements.")]
    cap = _money(cap_per_project_cny, "cap_per_project_cny", errors)
    share: Decimal | None = None
    if eligible_share_cap not in (None, ""):
        try:
            share = Decimal(str(eligible_share_cap))
            if not 0 < share <= 1:
                raise ValueError
        except (ArithmeticError, ValueError):
            errors["eligible_share_cap"] = [
                _("Give the share as a fraction above 0 and at most 1, e.g. 0.3.")
            ]
    if window_closes < window_opens:
        errors["window_closes"] = [_("The window cannot close before it opens.")]
    if Programme.objects.filter(code=code).exists():
        errors["code"] = [_("A programme with this code exists.")]
    clean_budgets = [(y, _money(b, "budgets", errors, allow_zero=True)) for y, b in budgets]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        programme = Programme.objects.create(
            code=code,
            kind=kind,
            name_zh=name_zh.strip(),
            name_en=name_en.strip(),
            legal_basis_zh=legal_basis_zh.strip(),
            legal_basis_en=legal_basis_en.strip(),
            cap_per_project_cny=cap or Decimal(0),
            eligible_share_cap=share,
            who_may_apply_zh=who_may_apply_zh,
            who_may_apply_en=who_may_apply_en,
            window_opens=window_opens,
            window_closes=window_closes,
            requires_research_partner=requires_research_partner,
            requires_enterprise_partner=requires_enterprise_partner,
            requires_deal=requires_deal,
        )
        for year, amount in clean_budgets:
            ProgrammeBudget.objects.create(
                programme=programme, year=year, budget_cny=amount or Decimal(0)
            )
        audit_record(
            actor=actor,
            action="subsidy.programme_create",
            obj=programme,
            payload={"cap": cap, "share": share, "budgets": dict(clean_budgets)},
        )
    return programme


# --- applications -----------------------------------------------------------------------------


@dataclass
class BudgetLineInput:
    category: str
    description: str
    amount_cny: Decimal | str
    document: UploadedFile | None = None


def application_create(
    *,
    programme: Programme,
    applicant: Organisation,
    project_title_zh: str,
    project_title_en: str = "",
    description: str = "",
    requested_cny: Decimal | str,
    partners: Sequence[Organisation] = (),
    results: Sequence[Result] = (),
    deal: Deal | None = None,
    budget_lines: Sequence[BudgetLineInput] = (),
    year: int | None = None,
    actor: User,
) -> Application:
    """A draft application by the enterprise or the institute (a user of the applicant organisation)."""
    if not may_apply_for(actor, applicant):
        raise PermissionError(_("You may apply only for your own organisation."))
    errors: dict[str, list[str]] = {}
    if applicant.kind not in APPLICANT_KINDS:
        errors["applicant"] = [
            _("The applicant must be an enterprise, a university, an institute or a hospital.")
        ]
    if not (project_title_zh.strip() or project_title_en.strip()):
        errors["project_title_zh"] = [_("Give the project a title.")]
    requested = _money(requested_cny, "requested_cny", errors)
    if applicant.pk in {p.pk for p in partners}:
        errors["partners"] = [_("The applicant is not its own partner.")]
    checked: list[tuple[BudgetLineInput, Decimal | None, Any]] = []
    for i, line in enumerate(budget_lines):
        key = f"budget_lines-{i}"
        if line.category not in CostCategoryChoices.values:
            errors[f"{key}-category"] = [_("Choose a category.")]
        if not line.description.strip():
            errors[f"{key}-description"] = [_("Describe the cost.")]
        amount = _money(line.amount_cny, f"{key}-amount_cny", errors)
        upload = None
        if line.document is not None:
            try:
                upload = check_upload(line.document)
            except ValidationError as exc:
                errors[f"{key}-document"] = list(exc.messages)
        checked.append((line, amount, upload))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        application = Application.objects.create(
            programme=programme,
            year=year or timezone.localdate().year,
            applicant=applicant,
            project_title_zh=project_title_zh.strip(),
            project_title_en=project_title_en.strip(),
            description=description.strip(),
            requested_cny=requested or Decimal(0),
            deal=deal,
            created_by=actor,
        )
        application.partners.set(partners)
        application.results.set(results)
        for line, amount, upload in checked:
            bl = BudgetLine(
                application=application,
                category=line.category,
                description=line.description.strip(),
                amount_cny=amount or Decimal(0),
            )
            if upload is not None:
                bl.document.save(upload.safe_name, upload.file, save=False)
                bl.document_name, bl.document_sha256 = upload.safe_name, upload.sha256
            bl.save()
        application.eligible_costs_cny = sum(
            (a for _l, a, _u in checked if a is not None), Decimal("0.00")
        )
        application.save(update_fields=["eligible_costs_cny"])
        audit_record(
            actor=actor,
            action="subsidy.application_create",
            obj=application,
            payload={"requested": requested, "lines": len(checked)},
        )
    return application


def share_cap_for(programme: Programme, eligible_costs: Decimal) -> Decimal | None:
    if programme.eligible_share_cap is None:
        return None
    return (eligible_costs * programme.eligible_share_cap).quantize(FEN, rounding=ROUND_DOWN)


def eligibility_text(check: dict[str, Any]) -> str:
    """A stored check's explanation in the active language (the message id is kept, not the text,
    so the explanation follows the reader's language and later translations)."""
    return _(check["text"]) % check.get("params", {})


# --- projects ---------------------------------------------------------------------------------


def project_candidates(*, result_ids: Sequence[int], deal_id: int | None) -> list[SubsidyProject]:
    """The projects an application naming these results and this deal is for: the project of the
    same deal, and the projects sharing a result whose deal does not differ (either has none, or
    it is the same). One project: the application joins it; none: it makes a new one; several: it
    straddles projects and cannot be submitted as it is."""
    condition = Q(deal_id=deal_id) if deal_id else Q()
    if result_ids:
        shared = Q(results__in=list(result_ids))
        if deal_id:
            shared &= Q(deal__isnull=True) | Q(deal_id=deal_id)
        condition = condition | shared if condition else shared
    if not condition:
        return []
    return list(
        SubsidyProject.objects.filter(
            pk__in=SubsidyProject.objects.filter(condition).values("pk")
        ).order_by("created_at", "pk")
    )


def project_matches(application: Application) -> list[SubsidyProject]:
    """The application's project once linked, else the projects it would join (see
    :func:`project_candidates`)."""
    if application.project_id is not None:
        return [application.project] if application.project is not None else []
    result_ids = list(
        Application.results.through.objects.filter(application_id=application.pk).values_list(
            "result_id", flat=True
        )
    )
    return project_candidates(result_ids=result_ids, deal_id=application.deal_id)


def project_cap(project: SubsidyProject | None, programme: Programme) -> Decimal:
    """The cap that binds a project an application of ``programme`` joins: the smallest cap per
    project of the programmes applied to (never below what is already approved)."""
    if project is None:
        return programme.cap_per_project_cny
    return max(min(project.cap_cny, programme.cap_per_project_cny), project.approved_cny)


def _project_link(
    locked: Application, matches: Sequence[SubsidyProject], actor: User
) -> SubsidyProject:
    """Join the one matching project (its results, its deal and its cap follow), or make one. The
    caller holds the application's row lock and has locked its deal and results."""
    if len(matches) > 1:
        raise ValidationError(
            {
                "project": [
                    _(
                        "The results and the deal of this application belong to several projects: apply for one project at a time."
                    )
                ]
            }
        )
    results = list(locked.results.all())
    if not matches:
        project = SubsidyProject.objects.create(
            deal_id=locked.deal_id, cap_cny=locked.programme.cap_per_project_cny
        )
        created = True
    else:
        project = SubsidyProject.objects.select_for_update().get(pk=matches[0].pk)
        created = False
        changed = []
        cap = project_cap(project, locked.programme)
        if cap != project.cap_cny:
            project.cap_cny = cap
            changed.append("cap_cny")
        if project.deal_id is None and locked.deal_id is not None:
            project.deal_id = locked.deal_id
            changed.append("deal")
        if changed:
            project.save(update_fields=changed)
    project.results.add(*results)
    locked.project = project
    locked.save(update_fields=["project"])
    audit_record(
        actor=actor,
        action="subsidy.project_link",
        obj=locked,
        payload={
            "project": project.pk,
            "created": created,
            "cap": project.cap_cny,
            "approved": project.approved_cny,
        },
    )
    return project


def _lock_parties(application: Application) -> list[int]:
    """Lock the application's deal, then its results (the order ``deal_sign`` uses), so two
    submissions for the same project find or make it one after the other. Returns the result ids."""
    if application.deal_id is not None:
        Deal.objects.select_for_update().filter(pk=application.deal_id).first()
    result_ids = list(
        Application.results.through.objects.filter(application_id=application.pk).values_list(
            "result_id", flat=True
        )
    )
    list(
        Result.objects.select_for_update()
        .filter(pk__in=result_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return result_ids


def eligibility_check(
    application: Application,
    today: date | None = None,
    *,
    projects: Sequence[SubsidyProject] | None = None,
) -> list[dict[str, Any]]:
    """Each rule of the programme, passed or failed, with its explanation in both languages.
    ``projects``: the projects the application is for (:func:`project_matches` by default)."""
    today = today or timezone.localdate()
    p = application.programme
    participants = [application.applicant, *application.partners.all()]
    checks: list[dict[str, Any]] = []

    def add(key: str, passed: bool, text: str, **params: Any) -> None:
        checks.append({"key": key, "passed": passed, "text": text, "params": params})

    add(
        "window",
        p.window_opens <= today <= p.window_closes,
        gettext_noop("Applications are open from %(opens)s to %(closes)s; today is %(today)s."),
        opens=p.window_opens.isoformat(),
        closes=p.window_closes.isoformat(),
        today=today.isoformat(),
    )
    add(
        "applicant",
        application.applicant.kind in APPLICANT_KINDS,
        gettext_noop(
            "The applicant (%(name)s) is an enterprise, a university, an institute or a hospital."
        ),
        name=application.applicant.name,
    )
    if p.requires_research_partner:
        add(
            "research_partner",
            any(o.kind in RESEARCH_KINDS for o in participants),
            gettext_noop("A university, research institute or hospital takes part in the project."),
        )
    if p.requires_enterprise_partner:
        add(
            "enterprise_partner",
            any(o.kind == OrganisationKindChoices.ENTERPRISE for o in participants),
            gettext_noop("An enterprise takes part in the project (industrialisation)."),
        )
    results = list(application.results.all())
    participant_ids = {o.pk for o in participants}
    add(
        "results",
        bool(results)
        and all(
            set(r.ownerships.values_list("organisation_id", flat=True)) & participant_ids
            for r in results
        ),
        gettext_noop("At least one result is linked, and each is owned by a party to the project."),
    )
    if p.requires_deal or application.deal_id:
        deal = application.deal
        ok = (
            deal is not None
            and deal.is_counted
            and bool({r.pk for r in results} & set(deal.results.values_list("pk", flat=True)))
        )
        add(
            "deal",
            ok,
            gettext_noop("A signed deal (not terminated) covering a linked result is attached."),
        )
    lines = list(application.budget_lines.all())
    add(
        "budget",
        bool(lines) and all(bl.document for bl in lines),
        gettext_noop("The budget lists the eligible costs, each with a supporting document."),
    )
    add(
        "cap",
        application.requested_cny <= p.cap_per_project_cny,
        gettext_noop(
            "The amount requested (%(req)s yuan) is at most the cap per project (%(cap)s yuan)."
        ),
        req=f"{application.requested_cny:,.2f}",
        cap=f"{p.cap_per_project_cny:,.2f}",
    )
    share_cap = share_cap_for(p, application.eligible_costs_cny)
    if share_cap is not None:
        add(
            "share",
            application.requested_cny <= share_cap,
            gettext_noop(
                "The amount requested is at most %(pct)s of the eligible costs (%(max)s yuan)."
            ),
            pct=f"{p.eligible_share_cap * 100:.0f}%",  # type: ignore[operator]
            max=f"{share_cap:,.2f}",
        )
    add(
        "budget_year",
        ProgrammeBudget.objects.filter(programme=p, year=application.year).exists(),
        gettext_noop("The programme has a budget for %(year)s."),
        year=application.year,
    )
    projects = list(project_matches(application) if projects is None else projects)
    if len(projects) > 1:
        add(
            "project",
            False,
            gettext_noop(
                "The results and the deal of this application belong to %(count)s different projects (%(names)s): apply for one project at a time, naming its deal."
            ),
            count=len(projects),
            names="; ".join(str(x) for x in projects),
        )
    elif projects:
        project = projects[0]
        cap = project_cap(project, p)
        remaining = max(cap - project.approved_cny, Decimal("0.00"))
        add(
            "project_cap",
            application.requested_cny <= remaining,
            gettext_noop(
                "This project (%(project)s) already has %(approved)s yuan approved; %(remaining)s yuan remains under its cap of %(cap)s yuan "
                "per project, and %(req)s yuan is requested."
            ),
            project=str(project),
            approved=f"{project.approved_cny:,.2f}",
            remaining=f"{remaining:,.2f}",
            cap=f"{cap:,.2f}",
            req=f"{application.requested_cny:,.2f}",
        )
    return checks


def _lock(application: Application, target: str) -> Application:
    """Lock the row and check the table's edge (the service asked the action already)."""
    locked = (
        Application.objects.select_for_update().select_related("programme").get(pk=application.pk)
    )
    APPLICATION_TRANSITIONS.check_edge(locked, target)
    return locked


def _officials() -> list[User]:
    """Who is told of a new application: those who decide on every application."""
    return list(users_permitted(Application, "decide", every_row=True))


def application_submit(
    *, application: Application, actor: User, today: date | None = None
) -> Application:
    """Submit: the eligibility check runs; a failed check makes the application ineligible (with
    every reason); a passed one fixes the caps that bind the approval."""
    _require(
        actor, application, "apply", _("You may submit only your own organisation's applications.")
    )
    with transaction.atomic():
        locked = _lock(application, S.SUBMITTED)
        result_ids = _lock_parties(locked)
        matches = project_candidates(result_ids=result_ids, deal_id=locked.deal_id)
        checks = eligibility_check(locked, today, projects=matches)
        passed = all(c["passed"] for c in checks)
        locked.eligibility = checks
        locked.status = S.SUBMITTED if passed else S.INELIGIBLE
        locked.submitted_at = timezone.now()
        locked.cap_cny = locked.programme.cap_per_project_cny
        locked.share_cap_cny = share_cap_for(locked.programme, locked.eligible_costs_cny)
        if not passed and len(matches) == 1:
            locked.project = matches[0]  # shown with its project; the project's cap is not touched
        locked.save()
        if passed:
            _project_link(locked, matches, actor)
        audit_record(
            actor=actor,
            action="subsidy.submit",
            obj=locked,
            payload={"eligible": passed, "checks": checks, "project": locked.project_id},
        )
        if passed:
            notification_send(
                recipients=_officials(),
                kind="subsidy.submitted",
                title_zh=f"新的补贴申请：{locked.project_title_zh or locked.project_title_en}",
                title_en=f"New subsidy application: {locked.project_title_en or locked.project_title_zh}",
                url=f"/subsidies/applications/{locked.pk}/",
            )
    return locked


def application_withdraw(*, application: Application, actor: User) -> Application:
    return transition(
        obj=application,
        target=S.WITHDRAWN,
        actor=actor,
        table=APPLICATION_TRANSITIONS,
        queryset=Application.objects.select_related("programme"),
        audit_payload={},
    )


def application_start_review(*, application: Application, actor: User) -> Application:
    """An official sends the application to expert review; the TTO's managers are asked to open
    the panel (a review round of the evaluation app, :func:`application_review_open`)."""
    with transaction.atomic():
        locked = transition(
            obj=application,
            target=S.UNDER_REVIEW,
            actor=actor,
            table=APPLICATION_TRANSITIONS,
            queryset=Application.objects.select_related("programme"),
            audit_payload={},
        )
        notification_send(
            recipients=users_permitted(Application, "open_review", every_row=True),
            kind="subsidy.review",
            title_zh=f"请组织补贴项目专家评审：{locked.project_title_zh or locked.project_title_en}",
            title_en=f"Please open the expert review of: {locked.project_title_en or locked.project_title_zh}",
            url=f"/subsidies/applications/{locked.pk}/",
        )
    return locked


def review_result(application: Application) -> Result | None:
    """The result the expert review scores: the application's first linked result."""
    link = (
        Application.results.through.objects.filter(application_id=application.pk)
        .select_related("result")
        .order_by("pk")
        .first()
    )
    return link.result if link is not None else None


def application_review_open(
    *,
    application: Application,
    rubric: Rubric,
    deadline: date,
    actor: User,
    reviewers: Sequence[User] = (),
    min_reviews: int = 2,
    is_blind: bool = False,
) -> ReviewRound:
    """Open the application's expert review through the evaluation services: a review round with
    the purpose ``subsidy_review`` on the first linked result, with ``reviewers`` invited (each
    checked for conflicts of interest by the evaluation app). A cancelled round may be replaced."""
    _require(actor, application, "open_review", _("Only TTO managers open expert review panels."))
    with transaction.atomic():
        locked = (
            Application.objects.select_for_update(of=("self",))
            .select_related("review_round")
            .get(pk=application.pk)
        )
        if locked.status != S.UNDER_REVIEW:
            raise ValidationError(
                {"status": [_("An expert review is opened for applications under review.")]}
            )
        if locked.review_round is not None and locked.review_round.status != "cancelled":
            raise ValidationError(
                {
                    "rubric": [
                        _(
                            "This application already has a review round; another is opened only if it was cancelled."
                        )
                    ]
                }
            )
        result = review_result(locked)
        if result is None:
            raise ValidationError(
                {"rubric": [_("Link a result to the application first: the experts score it.")]}
            )
        review_round = round_open(
            result=result,
            rubric=rubric,
            purpose=ReviewPurposeChoices.SUBSIDY_REVIEW,
            deadline=deadline,
            actor=actor,
            min_reviews=min_reviews,
            is_blind=is_blind,
        )
        for reviewer in reviewers:
            review_assign(review_round=review_round, reviewer=reviewer, actor=actor)
        replaced = locked.review_round_id
        locked.review_round = review_round
        locked.save(update_fields=["review_round"])
        audit_record(
            actor=actor,
            action="subsidy.review_open",
            obj=locked,
            payload={
                "round": review_round.pk,
                "result": result.pk,
                "rubric": f"{rubric.key} v{rubric.version}",
                "reviewers": [r.pk for r in reviewers],
                "replaced": replaced,
            },
        )
    return review_round


def application_review_override(
    *, application: Application, reason: str, actor: User
) -> Application:
    """An official records why the project may be recognised without a finalised review round."""
    _require(
        actor, application, "decide", _("Only officials record an override of the expert review.")
    )
    if not reason.strip():
        raise ValidationError({"reason": [_("Give a reason for this step.")]})
    with transaction.atomic():
        locked = (
            Application.objects.select_for_update(of=("self",))
            .select_related("review_round")
            .get(pk=application.pk)
        )
        if locked.status != S.UNDER_REVIEW:
            raise ValidationError(
                {"status": [_("An override is recorded for applications under review.")]}
            )
        if locked.review_finalised:
            raise ValidationError({"reason": [_("The expert review is already finalised.")]})
        locked.review_override_reason, locked.review_override_by, locked.review_override_at = (
            reason.strip(),
            actor,
            timezone.now(),
        )
        locked.save(
            update_fields=["review_override_reason", "review_override_by", "review_override_at"]
        )
        audit_record(
            actor=actor,
            action="subsidy.review_override",
            obj=locked,
            payload={
                "reason": reason.strip(),
                "round": locked.review_round_id,
                "round_status": locked.review_round.status if locked.review_round else None,
            },
        )
    return locked


def application_recognise(
    *, application: Application, recognition_number: str, actor: User
) -> Application:
    """Recognition (认定) of the project by an official, once its expert review round is finalised
    (or an override with its reason is recorded)."""
    _require(actor, application, "decide", _("Only officials recognise projects."))
    if not recognition_number.strip():
        raise ValidationError({"recognition_number": [_("Give the recognition number.")]})
    number = recognition_number.strip()
    try:
        with transaction.atomic():
            locked = _lock(application, S.RECOGNISED)
            if not locked.review_complete:
                raise ValidationError(
                    {
                        "status": [
                            _(
                                "A project is recognised once its expert review round is finalised, or with a recorded override."
                            )
                        ]
                    }
                )
            project = _project_locked(locked, actor)
            other = (
                SubsidyProject.objects.filter(recognition_number=number)
                .exclude(pk=project.pk)
                .first()
                or SubsidyProject.objects.filter(applications__recognition_number=number)
                .exclude(pk=project.pk)
                .first()
            )
            if other is not None:
                raise ValidationError(
                    {
                        "recognition_number": [
                            _(
                                "The recognition number %(number)s already names another project: one number names one project."
                            )
                            % {"number": number}
                        ]
                    }
                )
            if not project.recognition_number:
                project.recognition_number = number
                project.save(update_fields=["recognition_number"])
            locked.status, locked.recognition_number = S.RECOGNISED, number
            locked.recognised_by, locked.recognised_at = actor, timezone.now()
            locked.save(
                update_fields=["status", "recognition_number", "recognised_by", "recognised_at"]
            )
            audit_record(
                actor=actor,
                action="subsidy.recognise",
                obj=locked,
                payload={
                    "number": locked.recognition_number,
                    "round": locked.review_round_id,
                    "project": project.pk,
                    "override": bool(locked.review_override_reason) and not locked.review_finalised,
                },
            )
    except IntegrityError as exc:  # the same number given to another project at the same moment
        raise ValidationError(
            {
                "recognition_number": [
                    _("The recognition number %(number)s already names another project.")
                    % {"number": number}
                ]
            }
        ) from exc
    return locked


def _project_locked(locked: Application, actor: User) -> SubsidyProject:
    """The application's project under a row lock (linked now if it has none yet: an application
    submitted before projects were kept)."""
    if locked.project_id is None:
        result_ids = _lock_parties(locked)
        return _project_link(
            locked, project_candidates(result_ids=result_ids, deal_id=locked.deal_id), actor
        )
    return SubsidyProject.objects.select_for_update().get(pk=locked.project_id)


def application_reject(*, application: Application, reason: str, actor: User) -> Application:
    _require(actor, application, "decide", _("Only officials reject applications."))
    if not reason.strip():
        raise ValidationError({"reason": [_("Give a reason for this step.")]})
    with transaction.atomic():
        locked = _lock(application, S.REJECTED)
        locked.status, locked.decision_reason = S.REJECTED, reason.strip()
        locked.save(update_fields=["status", "decision_reason"])
        audit_record(
            actor=actor, action="subsidy.reject", obj=locked, payload={"reason": reason.strip()}
        )
    return locked


def application_approve(
    *, application: Application, amount_cny: Decimal | str, actor: User
) -> Application:
    """Approve an amount no higher than the cap per project, the eligible share of the budgeted
    costs, the amount requested, the year's remaining budget and what remains under the cap of
    the project over all its applications (every programme and year). The programme-year budget
    row and the project row are locked (``SELECT … FOR UPDATE``, in that order) so two approvals
    at the same moment cannot both spend the same remainder; the database's check constraints
    refuse it too."""
    _require(actor, application, "decide", _("Only officials approve subsidies."))
    errors: dict[str, list[str]] = {}
    amount = _money(amount_cny, "amount_cny", errors)
    if errors:
        raise ValidationError(errors)
    assert amount is not None
    try:
        with transaction.atomic():
            budget = (
                ProgrammeBudget.objects.select_for_update()
                .filter(programme_id=application.programme_id, year=application.year)
                .first()
            )
            locked = _lock(application, S.APPROVED)
            if budget is None:
                raise ValidationError(
                    {
                        "amount_cny": [
                            _("The programme has no budget for %(year)s.") % {"year": locked.year}
                        ]
                    }
                )
            project = _project_locked(locked, actor)
            limits = [
                (locked.cap_cny, _("the cap per project (%(max)s yuan)")),
                (locked.share_cap_cny, _("the eligible share of the costs (%(max)s yuan)")),
                (locked.requested_cny, _("the amount requested (%(max)s yuan)")),
                (budget.remaining_cny, _("the remaining budget for the year (%(max)s yuan)")),
                (
                    project.remaining_cny,
                    _(
                        "what remains under the cap of the project over all its applications (%(max)s yuan)"
                    ),
                ),
            ]
            for limit, text in limits:
                if limit is not None and amount > limit:
                    errors.setdefault("amount_cny", []).append(
                        _("The amount is above %(limit)s.")
                        % {"limit": text % {"max": f"{limit:,.2f}"}}
                    )
            if errors:
                raise ValidationError(errors)
            budget.approved_cny = budget.approved_cny + amount
            budget.save(update_fields=["approved_cny"])
            project.approved_cny = project.approved_cny + amount
            project.save(update_fields=["approved_cny"])
            locked.status, locked.approved_cny = S.APPROVED, amount
            locked.approved_by, locked.approved_at = actor, timezone.now()
            locked.save(update_fields=["status", "approved_cny", "approved_by", "approved_at"])
            audit_record(
                actor=actor,
                action="subsidy.approve",
                obj=locked,
                payload={
                    "amount": amount,
                    "budget_remaining": budget.remaining_cny,
                    "project": project.pk,
                    "project_remaining": project.remaining_cny,
                },
            )
            figures_changed()
            notification_send(
                recipients=User.objects.filter(organisation=locked.applicant, is_active=True),
                kind="subsidy.approved",
                title_zh=f"补贴申请已批准：{amount:,.2f} 元",
                title_en=f"Subsidy approved: {amount:,.2f} yuan",
                url=f"/subsidies/applications/{locked.pk}/",
            )
    except IntegrityError as exc:  # the database's constraints: the last line of defence
        raise ValidationError(
            {"amount_cny": [_("The amount is above a cap or the remaining budget.")]}
        ) from exc
    return locked


def tranche_add(
    *,
    application: Application,
    milestone: str,
    amount_cny: Decimal | str,
    actor: User,
    confirm_duplicate: bool = False,
) -> Tranche:
    """Plan a tranche of an approved application (all tranches at most the amount approved). A
    tranche identical to one already planned (same milestone and amount) is held back unless
    ``confirm_duplicate``: the check runs under the application's row lock."""
    _require(actor, application, "disburse", _("Only officials plan disbursements."))
    errors: dict[str, list[str]] = {}
    amount = _money(amount_cny, "amount_cny", errors)
    if not milestone.strip():
        errors["milestone"] = [_("Name the milestone that releases this tranche.")]
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=application.pk)
        if locked.status != S.APPROVED:
            errors["status"] = [_("Tranches are planned for approved applications.")]
        planned = sum((t.amount_cny for t in locked.tranches.all()), Decimal("0.00"))
        if (
            amount is not None
            and locked.approved_cny is not None
            and planned + amount > locked.approved_cny
        ):
            errors.setdefault("amount_cny", []).append(
                _("The tranches would add up to more than the amount approved (%(max)s yuan).")
                % {"max": f"{locked.approved_cny:,.2f}"}
            )
        if errors:
            raise ValidationError(errors)
        same = (
            locked.tranches.filter(milestone=milestone.strip(), amount_cny=amount or Decimal(0))
            .order_by("sequence")
            .first()
        )
        if same is not None and not confirm_duplicate:
            message = _(
                "An identical tranche (“%(milestone)s”, %(amount)s yuan) is already planned as tranche %(sequence)s. Confirm to plan it again."
            ) % {
                "milestone": same.milestone,
                "amount": f"{same.amount_cny:,.2f}",
                "sequence": same.sequence,
            }
            raise ValidationError({"confirm_duplicate": ValidationError(message, code="duplicate")})
        tranche = Tranche.objects.create(
            application=locked,
            sequence=locked.tranches.count() + 1,
            milestone=milestone.strip(),
            amount_cny=amount or Decimal(0),
        )
        audit_record(
            actor=actor,
            action="subsidy.tranche_add",
            obj=locked,
            payload={"tranche": tranche.pk, "amount": amount},
        )
    return tranche


def tranche_accept(*, tranche: Tranche, acceptance_note: str, actor: User) -> Tranche:
    """The milestone's acceptance check (验收): an official records what was checked."""
    _require(actor, tranche.application, "disburse", _("Only officials accept milestones."))
    if not acceptance_note.strip():
        raise ValidationError({"acceptance_note": [_("Record what was checked.")]})
    with transaction.atomic():
        locked = Tranche.objects.select_for_update().get(pk=tranche.pk)
        if locked.status != TrancheStatusChoices.PLANNED:
            raise ValidationError({"status": [_("This milestone has already been accepted.")]})
        locked.status, locked.acceptance_note = (
            TrancheStatusChoices.ACCEPTED,
            acceptance_note.strip(),
        )
        locked.accepted_by, locked.accepted_at = actor, timezone.now()
        locked.save()
        audit_record(
            actor=actor,
            action="subsidy.tranche_accept",
            obj=locked.application,
            payload={"tranche": locked.pk},
        )
    return locked


def tranche_pay(*, tranche: Tranche, paid_on: date, actor: User) -> Tranche:
    """Pay an accepted tranche, in order; when every tranche is paid and they add up to the amount
    approved, the application is disbursed."""
    _require(actor, tranche.application, "disburse", _("Only officials record disbursements."))
    if paid_on > timezone.localdate():
        raise ValidationError({"paid_on": [_("A payment cannot be made in the future.")]})
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=tranche.application_id)
        locked = Tranche.objects.select_for_update().get(pk=tranche.pk)
        if locked.status != TrancheStatusChoices.ACCEPTED:
            raise ValidationError(
                {"status": [_("A tranche is paid once its milestone is accepted.")]}
            )
        if (
            application.tranches.filter(sequence__lt=locked.sequence)
            .exclude(status=TrancheStatusChoices.PAID)
            .exists()
        ):
            raise ValidationError({"status": [_("Pay the earlier tranches first.")]})
        locked.status, locked.paid_on = TrancheStatusChoices.PAID, paid_on
        locked.save(update_fields=["status", "paid_on"])
        audit_record(
            actor=actor,
            action="subsidy.tranche_pay",
            obj=application,
            payload={"tranche": locked.pk, "amount": locked.amount_cny},
        )
        figures_changed()
        if (
            not application.tranches.exclude(status=TrancheStatusChoices.PAID).exists()
            and application.disbursed_cny == application.approved_cny
        ):
            application.status = S.DISBURSED
            application.save(update_fields=["status"])
            audit_record(
                actor=actor,
                action="subsidy.disbursed",
                obj=application,
                payload={"amount": application.approved_cny},
            )
    return locked
