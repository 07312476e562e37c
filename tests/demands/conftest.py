"""Fixtures for demand-driven matching. The indexes live in one temporary directory for the whole
session (they keep themselves in step with each test's database); dense matching is off except in
the tests that ask for it, so the embedding model is loaded at most once."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from opentto.accounts.models import User
from opentto.demands.models import Demand
from opentto.demands.services import DemandInput, demand_create
from opentto.organisations.models import Organisation, Person
from opentto.results.models import Result
from opentto.results.services import result_onboard
from opentto.search import index
from opentto.search.enqueue import suspend_indexing

from ..conftest import result_input


@pytest.fixture(scope="session")
def index_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("demands-index")


@pytest.fixture(autouse=True)
def _matching_settings(settings, index_root: Path) -> Iterator[None]:  # type: ignore[no-untyped-def]
    settings.OPENTTO_INDEX_DIR = index_root
    settings.OPENTTO_MATCHING_DENSE = False
    suspend_indexing(False)
    yield


@pytest.fixture
def fresh_index(settings, tmp_path: Path) -> Iterator[Path]:  # type: ignore[no-untyped-def]
    """An empty index directory of the test's own."""
    settings.OPENTTO_INDEX_DIR = tmp_path / "index"
    yield tmp_path / "index"
    index.reset_tiers()


@pytest.fixture
def arm_result(manager: User, university: Organisation, researcher: Person) -> Result:
    """A public result about robot-arm control (its confidential details mention "X9-policy")."""
    return result_onboard(
        data=result_input(
            [university],
            [(researcher, "100")],
            ip_assets=[],
            abstract_zh="一种基于强化学习的机械臂控制方法，使机器人能够进行多步决策并泛化到新的装配任务。",
            abstract_en="A reinforcement-learning method for robot-arm control that makes multi-step decisions and generalises to new assembly tasks.",
            details_zh="策略网络X9结构",
            details_en="X9-policy network layout",
        ),
        actor=manager,
    )


@pytest.fixture
def secret_arm_result(manager: User, university: Organisation, researcher: Person) -> Result:
    """A confidential result that matches the same demand even better."""
    return result_onboard(
        data=result_input(
            [university],
            [(researcher, "100")],
            ip_assets=[],
            is_public=False,
            title_zh="保密的机械臂强化学习控制系统",
            title_en="Confidential robot-arm reinforcement-learning controller",
            abstract_zh="机械臂 强化学习 控制 多步决策 装配 机械臂控制。",
            abstract_en="Robot-arm reinforcement-learning control with multi-step decisions for assembly.",
            details_zh="机密参数Q7",
            details_en="secret parameter Q7",
        ),
        actor=manager,
        confirm_duplicates=True,
    )


@pytest.fixture
def battery_result(
    manager: User, other_university: Organisation, second_researcher: Person
) -> Result:
    return result_onboard(
        data=result_input(
            [other_university],
            [(second_researcher, "100")],
            ip_assets=[],
            field="green_energy",
            title_zh="锂离子电池正极材料",
            title_en="Cathode material for lithium-ion batteries",
            abstract_zh="一种锂离子电池正极材料及其制备方法，提高能量密度。",
            abstract_en="A cathode material that raises energy density.",
            details_zh="",
            details_en="",
        ),
        actor=manager,
        confirm_duplicates=True,
    )


def demand_input(org: Organisation, **overrides: object) -> DemandInput:
    data = DemandInput(
        organisation=org,
        title_zh="协作机械臂的自适应控制算法",
        title_en="Adaptive control for collaborative robot arms",
        problem_zh="我们需要能够进行多步决策、泛化到新装配任务的机械臂控制算法。",
        problem_en="We need robot-arm control that makes multi-step decisions and generalises to new assembly tasks.",
        field="ai",
        cooperation=["licence"],
        budget_min_cny=Decimal("1000000"),
        budget_max_cny=Decimal("5000000"),
        is_public=True,
    )
    for key, value in overrides.items():
        setattr(data, key, value)
    return data


@pytest.fixture
def open_demand(enterprise_user: User, enterprise_org: Organisation) -> Demand:
    return demand_create(data=demand_input(enterprise_org), actor=enterprise_user, publish=True)


@pytest.fixture
def secret_demand(enterprise_user: User, enterprise_org: Organisation) -> Demand:
    return demand_create(
        data=demand_input(
            enterprise_org,
            is_public=False,
            title_zh="保密需求：机械臂装配",
            title_en="Confidential: robot-arm assembly",
        ),
        actor=enterprise_user,
        publish=True,
    )
