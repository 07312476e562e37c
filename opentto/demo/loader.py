"""Loads the demo story (``opentto.demo.story``) into the database through the services, so the
demo data obeys every rule real data obeys. Only ``opentto load_demo`` calls this."""

from __future__ import annotations

import importlib
import os
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction

from opentto.accounts.models import User, UserRoleChoices
from opentto.evaluation.services import evaluation_record
from opentto.landing.models import Deal
from opentto.landing.services import deal_create, deal_sign, deal_terminate
from opentto.organisations.models import MembershipRoleChoices, Organisation, Person
from opentto.organisations.services import organisation_create, person_create
from opentto.planning.services import plan_approve
from opentto.results.models import Result, ResultStageChoices
from opentto.results.pipeline import result_transition
from opentto.results.services import (
    FundingInput,
    InventorInput,
    IPAssetInput,
    ResultInput,
    result_onboard,
)

from .story import MITRAL_CLIP_KEY, ROBOT_ARM_KEY, Story, build_story

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=SHANGHAI)


def demo_password() -> str:
    """``$OPENTTO_DEMO_PASSWORD`` when set; otherwise one generated once and kept under ``var/``."""
    from_env = os.environ.get("OPENTTO_DEMO_PASSWORD")
    if from_env:
        return from_env
    path = Path(settings.OPENTTO_DEMO_PASSWORD_FILE)
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    password = "tto-" + secrets.token_urlsafe(9)
    path.write_text(password)
    path.chmod(0o600)
    return password


@dataclass
class DemoContext:
    """What a demo extension (``opentto.<app>.demo.load(context)``) receives: the story and the rows
    made from it, by the story's keys."""

    story: Story
    organisations: dict[str, Organisation]
    people: dict[str, Person]
    users: dict[str, User]  # by role
    results: dict[str, Result]
    password: str
    # What the extensions need of the story and the loader, so that they import nothing of this
    # app (it sits above every app: docs/architecture.md, "Layers").
    ROBOT_ARM_KEY: ClassVar[str] = ROBOT_ARM_KEY
    MITRAL_CLIP_KEY: ClassVar[str] = MITRAL_CLIP_KEY

    @staticmethod
    def at(day: date, hour: int = 10) -> datetime:
        """A story date at an hour of the day, in Shanghai."""
        return at(day, hour)


#: Each app that adds to the demo has a module with ``load(context: DemoContext) -> None``; they
#: run in this order after the story is loaded, in the same transaction.
DEMO_EXTENSIONS = (
    "opentto.evaluation.demo",
    "opentto.planning.demo",
    "opentto.landing.demo",
    "opentto.demo.rights_demo",  # rights sits below landing, whose payments it records: here, in the demo app
    "opentto.subsidies.demo",
    "opentto.poc.demo",
    "opentto.portfolio.demo",
    "opentto.demands.demo",
    "opentto.notifications.demo",
    "opentto.access.demo",
)


@dataclass
class LoadSummary:
    organisations: int
    people: int
    results: int
    users: list[str]


def demo_is_loaded() -> bool:
    return User.objects.filter(username="manager").exists() or Result.objects.exists()


@transaction.atomic
def load_demo(*, password: str, seed: int | None = None) -> LoadSummary:
    story: Story = build_story() if seed is None else build_story(seed)
    orgs: dict[str, Organisation] = {}
    for o in story.organisations:
        orgs[o.key] = organisation_create(
            kind=o.kind,
            name_zh=o.name_zh,
            name_en=o.name_en,
            credit_code=o.credit_code,
            city_zh=o.city_zh,
            city_en=o.city_en,
            description_zh=o.description_zh,
            description_en=o.description_en,
            actor=None,
        )
    people: dict[str, Person] = {}
    for p in story.people:
        org = orgs[p.org_key]
        role = MembershipRoleChoices.RESEARCHER if org.is_research else MembershipRoleChoices.STAFF
        people[p.key] = person_create(
            name_zh=p.name_zh,
            name_en=p.name_en,
            email=p.email,
            memberships=[(org, role, p.position_zh, p.position_en)],
            actor=None,
        )
    users: dict[str, User] = {}
    for u in story.users:
        user = User(
            username=u.username,
            role=u.role,
            organisation=orgs.get(u.org_key) if u.org_key else None,
            person=people.get(u.person_key) if u.person_key else None,
            first_name=u.first_name_en,
            email=f"{u.username}@demo.opentto.local",
        )
        if u.role == UserRoleChoices.ADMIN:
            user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        users[u.role] = user
    manager = users[UserRoleChoices.MANAGER]
    inventor_user = users.get(UserRoleChoices.INVENTOR)

    results: dict[str, Result] = {}
    for r in story.results:
        result = result_onboard(
            data=ResultInput(
                title_zh=r.title_zh,
                title_en=r.title_en,
                abstract_zh=r.abstract_zh,
                abstract_en=r.abstract_en,
                advantages_zh=r.advantages_zh,
                advantages_en=r.advantages_en,
                applications_zh=r.applications_zh,
                applications_en=r.applications_en,
                details_zh=r.details_zh,
                details_en=r.details_en,
                kind=r.kind,
                field=r.field,
                trl=r.trl,
                keywords_zh=list(r.keywords_zh),
                keywords_en=list(r.keywords_en),
                is_public=not r.confidential,
                owners=[orgs[k] for k in r.owner_keys],
                inventors=[
                    InventorInput(person=people[i.person_key], share=i.share) for i in r.inventors
                ],
                ip_assets=[
                    IPAssetInput(
                        application_number=a.application_number,
                        ip_kind=a.ip_kind,
                        jurisdiction=a.jurisdiction,
                        filing_date=a.filing_date,
                        publication_number=a.publication_number,
                        grant_number=a.grant_number,
                        grant_date=a.grant_date,
                        status=a.status,
                    )
                    for a in r.ip_assets
                ],
                fundings=[
                    FundingInput(
                        programme=f"{f.programme_zh} / {f.programme_en}",
                        grant_number=f.grant_number,
                        funder=f"{f.funder_zh} / {f.funder_en}",
                        government_funded=f.government_funded,
                    )
                    for f in r.funding
                ],
            ),
            actor=manager,
            confirm_duplicates=True,
            onboarded_at=at(r.onboarded_on, 9),
        )
        _replay(result, r, manager=manager, inventor_user=inventor_user, orgs=orgs)
        results[r.key] = result
    context = DemoContext(
        story=story,
        organisations=orgs,
        people=people,
        users=users,
        results=results,
        password=password,
    )
    for module_name in DEMO_EXTENSIONS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        module.load(context)
    return LoadSummary(
        organisations=len(orgs),
        people=len(people),
        results=len(story.results),
        users=sorted(u.username for u in users.values()),
    )


def _actor_for(role: str, result: Result, manager: User, inventor_user: User | None) -> User:
    if (
        role == "inventor"
        and inventor_user is not None
        and inventor_user.organisation_id is not None
        and result.ownerships.filter(organisation_id=inventor_user.organisation_id).exists()
    ):
        return inventor_user
    return manager


def _replay(
    result: Result,
    r: Any,
    *,
    manager: User,
    inventor_user: User | None,
    orgs: dict[str, Organisation],
) -> None:
    """Walk the story's transitions through the services, recording evaluations, plans and deals
    where the pipeline's guards require them."""
    S = ResultStageChoices
    signed = [d for d in r.deals if d.status == "signed"]

    def record_evaluation(when: datetime) -> None:
        if r.evaluation is not None and not result.evaluations.exists():
            evaluation_record(
                result=result,
                decision=r.evaluation.decision,
                summary_zh=r.evaluation.summary_zh,
                summary_en=r.evaluation.summary_en,
                trl_assessed=r.evaluation.trl_assessed,
                actor=manager,
                decided_at=min(when, at(r.evaluation.decided_on)),
            )

    def record_plan(when: datetime) -> None:
        if r.plan is not None and not result.plans.exists() and at(r.plan.approved_on) <= when:
            plan_approve(
                result=result,
                transfer_mode=r.plan.transfer_mode,
                summary_zh=r.plan.summary_zh,
                summary_en=r.plan.summary_en,
                actor=manager,
                approved_at=at(r.plan.approved_on),
            )

    for step in r.transitions:
        when = at(step.on)
        # free text is one language on the platform: both, as the demo writes its other notes
        reason = " / ".join(t for t in (step.reason_zh, step.reason_en) if t)
        # The guards need the evaluation before leaving evaluation, the plan before landing.
        if result.stage == S.EVALUATION:
            record_evaluation(when)
        if result.stage == S.PLANNING:
            record_plan(when)
        if step.to_stage == S.LANDED:
            for d in signed:
                deal = deal_create(
                    results=[result],
                    counterparty=orgs[d.counterparty_key],
                    deal_type=d.deal_type,
                    amount_cny=d.amount_cny,
                    title="",  # a deal's title is one language: the demo's are named in the reader's (Deal.name_in)
                    actor=manager,
                )
                deal_sign(deal=deal, signed_on=d.signed_on, actor=manager, at=when)
            result.refresh_from_db()
            continue
        result_transition(
            result=result,
            target=step.to_stage,
            actor=_actor_for(step.actor_role, result, manager, inventor_user),
            reason=reason,
            occurred_at=when,
        )
    if result.stage == S.EVALUATION:
        record_evaluation(at(r.evaluation.decided_on) if r.evaluation else at(r.onboarded_on))
    if result.stage == S.PLANNING and r.plan is not None:
        record_plan(at(r.plan.approved_on))
    for d in r.deals:
        if d.status == "signed":
            continue
        deal = deal_create(
            results=[result],
            counterparty=orgs[d.counterparty_key],
            deal_type=d.deal_type,
            amount_cny=d.amount_cny,
            title="",  # a deal's title is one language: the demo's are named in the reader's (Deal.name_in)
            actor=manager,
        )
        if d.status == "terminated":
            signed_on = d.signed_on or r.onboarded_on
            deal_sign(deal=deal, signed_on=signed_on, actor=manager, at=at(signed_on))
            deal_terminate(
                deal=Deal.objects.get(pk=deal.pk),
                terminated_on=signed_on,
                actor=manager,
                reason="合同终止 / Contract terminated by the licensee",
            )
