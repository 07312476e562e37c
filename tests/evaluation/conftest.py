from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from opentto.accounts.models import User, UserRoleChoices
from opentto.evaluation.models import ReviewRound, Rubric
from opentto.evaluation.services import (
    ScoreInput,
    review_assign,
    review_declare,
    review_save,
    round_open,
)
from opentto.results.models import Result
from opentto.results.pipeline import result_transition

from ..conftest import make_user
from ..factories import OrganisationFactory


@pytest.fixture
def expert_org(db: None):  # type: ignore[no-untyped-def]
    return OrganisationFactory(name_zh="评估咨询中心", name_en="Assessment Consultancy")


@pytest.fixture
def reviewer_a(expert_org) -> User:  # type: ignore[no-untyped-def]
    return make_user(
        UserRoleChoices.REVIEWER,
        expert_org,
        username="rev_a",
        first_name="Ada",
        last_name="Zhao",
        email="ada@example.org",
    )


@pytest.fixture
def reviewer_b(expert_org) -> User:  # type: ignore[no-untyped-def]
    return make_user(
        UserRoleChoices.REVIEWER,
        expert_org,
        username="rev_b",
        first_name="Bo",
        last_name="Qian",
        email="bo@example.org",
    )


@pytest.fixture
def in_evaluation(onboarded: Result, manager: User) -> Result:
    return result_transition(result=onboarded, target="evaluation", actor=manager)


def value_rubric() -> Rubric:
    return Rubric.objects.get(key="result-value", is_active=True)


def trl_rubric() -> Rubric:
    return Rubric.objects.get(key="trl", is_active=True)


def open_round(
    result: Result, manager: User, rubric: Rubric | None = None, **kw: object
) -> ReviewRound:
    return round_open(
        result=result,
        rubric=rubric or value_rubric(),
        purpose=kw.pop("purpose", "transfer"),  # type: ignore[arg-type]
        deadline=kw.pop("deadline", timezone.localdate() + dt.timedelta(days=14)),
        actor=manager,
        **kw,  # type: ignore[arg-type]
    )


def scores_for(
    review_round: ReviewRound,
    value: int,
    overrides: dict[str, int] | None = None,
    text: str = "依据充分 / well supported",
) -> dict[str, ScoreInput]:
    keys = list(review_round.weights)
    out = {k: ScoreInput(score=value, justification=text) for k in keys}
    for k, v in (overrides or {}).items():
        out[k] = ScoreInput(score=v, justification=text)
    return out


def review(
    review_round: ReviewRound,
    reviewer: User,
    manager: User,
    value: int,
    overrides: dict[str, int] | None = None,
):  # type: ignore[no-untyped-def]
    assignment = review_assign(review_round=review_round, reviewer=reviewer, actor=manager)
    review_declare(assignment=assignment, has_conflict=False, actor=reviewer)
    return review_save(
        assignment=assignment,
        scores=scores_for(review_round, value, overrides),
        actor=reviewer,
        submit=True,
    )
