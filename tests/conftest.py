from __future__ import annotations

import shutil
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.conf import settings

from opentto.accounts.models import User, UserRoleChoices
from opentto.organisations.models import Organisation, Person
from opentto.results.models import Result
from opentto.results.services import InventorInput, IPAssetInput, ResultInput, result_onboard

from .factories import (
    EnterpriseFactory,
    MembershipFactory,
    OrganisationFactory,
    PersonFactory,
    UserFactory,
)

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _english_by_default() -> Iterator[None]:
    """Services speak the active language; tests read English unless they choose Chinese."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _media_root(tmp_path_factory: pytest.TempPathFactory, settings) -> Iterator[None]:  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("media")
    settings.MEDIA_ROOT = path
    yield
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def university(db: None) -> Organisation:
    return OrganisationFactory(
        name_zh="交叉信息研究院", name_en="Institute for Interdisciplinary Information Sciences"
    )


@pytest.fixture
def other_university(db: None) -> Organisation:
    return OrganisationFactory(name_zh="另一所大学", name_en="Another University")


@pytest.fixture
def enterprise_org(db: None) -> Organisation:
    return EnterpriseFactory(name_zh="智造机器人有限公司", name_en="SmartMake Robotics Ltd")


@pytest.fixture
def researcher(university: Organisation) -> Person:
    return MembershipFactory(
        organisation=university, person=PersonFactory(name_zh="李明", name_en="Li Ming")
    ).person


@pytest.fixture
def second_researcher(university: Organisation) -> Person:
    return MembershipFactory(
        organisation=university, person=PersonFactory(name_zh="王芳", name_en="Wang Fang")
    ).person


def make_user(role: str, organisation: Organisation | None = None, **extra: object) -> User:
    return UserFactory(
        username=extra.pop("username", role), role=role, organisation=organisation, **extra
    )


@pytest.fixture
def manager(db: None) -> User:
    return make_user(UserRoleChoices.MANAGER)


@pytest.fixture
def admin_user(db: None) -> User:
    return make_user(UserRoleChoices.ADMIN, is_superuser=True, is_staff=True, username="admin")


@pytest.fixture
def inventor(university: Organisation, researcher: Person) -> User:
    return make_user(UserRoleChoices.INVENTOR, university, person=researcher)


@pytest.fixture
def other_inventor(other_university: Organisation) -> User:
    return make_user(UserRoleChoices.INVENTOR, other_university, username="other_inventor")


@pytest.fixture
def enterprise_user(enterprise_org: Organisation) -> User:
    return make_user(UserRoleChoices.ENTERPRISE, enterprise_org)


@pytest.fixture
def official(db: None) -> User:
    return make_user(UserRoleChoices.OFFICIAL)


@pytest.fixture
def reviewer(db: None) -> User:
    return make_user(UserRoleChoices.REVIEWER)


@pytest.fixture
def investor(db: None) -> User:
    return make_user(UserRoleChoices.INVESTOR)


def result_input(
    owners: list[Organisation], inventors: list[tuple[Person, str]], **overrides: object
) -> ResultInput:
    data = ResultInput(
        title_zh="强化学习驱动的通用机械臂控制",
        title_en="Generalisable robot-arm control by reinforcement learning",
        abstract_zh="让机器像人一样进行多步决策。",
        abstract_en="Machines that make multi-step decisions like people.",
        details_zh="策略网络结构与训练细节（保密）。",
        details_en="Policy network architecture and training details (confidential).",
        kind="invention_patent",
        field="ai",
        trl=4,
        owners=owners,
        inventors=[InventorInput(person=p, share=Decimal(s)) for p, s in inventors],
        ip_assets=[IPAssetInput(application_number="CN202210123456.1", ip_kind="invention")],
        is_public=True,
    )
    for key, value in overrides.items():
        setattr(data, key, value)
    return data


@pytest.fixture
def onboarded(manager: User, university: Organisation, researcher: Person) -> Result:
    return result_onboard(data=result_input([university], [(researcher, "100")]), actor=manager)


@pytest.fixture
def confidential_result(manager: User, university: Organisation, researcher: Person) -> Result:
    return result_onboard(
        data=result_input(
            [university],
            [(researcher, "100")],
            title_zh="保密的芯片封装工艺",
            title_en="Confidential chip packaging process",
            ip_assets=[],
            is_public=False,
            details_zh="机密参数X9",
            details_en="secret parameter X9",
        ),
        actor=manager,
    )


def settings_media() -> str:
    return str(settings.MEDIA_ROOT)


#: Fixtures that open the test database (directly or through another fixture; `django_db_blocker`
#: is in every test's closure through pytest-django's autouse fixtures, so it says nothing).
_DATABASE_FIXTURES = {"db", "transactional_db", "django_db_setup", "live_server"}
#: Directories whose tests reach a database without those fixtures: the ops tests run OpenTTO in
#: other processes against a scratch database of the suite's engine (tests/ops/conftest.py).
_ENGINE_DEPENDENT_DIRS = ("tests/ops/",)


#: What `make test-fast` leaves out (marked ``slow``; `make test` runs all of it): files, directories or
#: node ids, each with its cost:
#: the suite's largest, serial, SQLite (docs/benchmarks.md, "Demo and test suite").
_SLOW_PATHS = (
    "tests/security/test_permission_matrix.py",  # every URL × every role, GET and POST: ≈ 4 min of CPU
    "tests/security/test_bad_numbers.py",  # every URL with bad numbers, Hypothesis: ≈ 2 min
    "tests/api/test_schemathesis.py",  # the API fuzzed from its schema
    "tests/ops/",  # OpenTTO in other processes: scratch sites, backups, a Celery worker
    "tests/demo/",  # the whole demo story loaded through the services
    "tests/evaluation/test_demo.py",  # the demo story's evaluation rounds
    "tests/subsidies/test_demo.py",  # the demo story's subsidy reviews
    "tests/matching/test_matching_dense.py",  # loads the embedding model and embeds
    "tests/core/test_idempotency_processes.py",  # gunicorn workers (PostgreSQL only)
    # single tests (node ids), the largest left in the fast run measured on 7 Dec 2026 (serial, busy machine)
    "tests/matching/test_matching_scale.py::test_base_postings_take_five_bytes_and_large_frequencies_stay_exact",  # 43 s
    "tests/security/test_audit_chain.py::test_concurrent_processes_keep_one_chain_on_an_sqlite_file",  # 43 s, processes
)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests under :data:`_SLOW_PATHS` are marked ``slow``.

    A test that never opens the database cannot depend on its engine: it is marked
    ``one_database`` (run on SQLite only; `make test-postgres` leaves it out). Such a test has no
    ``django_db`` mark and none of :data:`_DATABASE_FIXTURES` among its fixtures (pytest-django
    refuses it any query), and does not start processes of its own against the suite's database
    (:data:`_ENGINE_DEPENDENT_DIRS`)."""
    root = str(config.rootpath)
    for item in items:
        path = (
            str(item.path)[len(root) + 1 :] if str(item.path).startswith(root) else str(item.path)
        )
        if path.startswith(_SLOW_PATHS) or item.nodeid.startswith(_SLOW_PATHS):
            item.add_marker(pytest.mark.slow)
        if (
            path.startswith(_ENGINE_DEPENDENT_DIRS)
            or item.get_closest_marker("django_db") is not None
        ):
            continue
        if (
            item.get_closest_marker("skipif") is not None
        ):  # e.g. PostgreSQL-only: keep it where it runs
            continue
        if _DATABASE_FIXTURES.isdisjoint(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.one_database)
