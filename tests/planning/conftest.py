from __future__ import annotations

import datetime as dt

import pytest

from opentto.accounts.models import User, UserRoleChoices
from opentto.evaluation.services import evaluation_record
from opentto.organisations.models import Organisation, OrganisationKindChoices
from opentto.results.models import Result
from opentto.results.pipeline import result_transition
from tests.conftest import make_user
from tests.factories import OrganisationFactory

TODAY = dt.date(2026, 11, 20)


def to_planning(result: Result, manager: User) -> Result:
    result_transition(result=result, target="evaluation", actor=manager)
    evaluation_record(
        result=result,
        decision="proceed",
        summary_en="Strong result.",
        trl_assessed=5,
        actor=manager,
    )
    result_transition(result=result, target="planning", actor=manager)
    result.refresh_from_db()
    return result


@pytest.fixture
def in_planning(onboarded: Result, manager: User) -> Result:
    return to_planning(onboarded, manager)


@pytest.fixture
def bank(db: None) -> Organisation:
    return OrganisationFactory(
        name_zh="浦江银行", name_en="Pujiang Bank", kind=OrganisationKindChoices.BANK
    )


@pytest.fixture
def second_manager(db: None) -> User:
    return make_user(UserRoleChoices.MANAGER, username="manager2")
