"""A bulk import looks up its natural keys only among the records the importing user may see. A row
whose key belongs to a record they may not see is imported as if the key were new — the job's
report and page are the same as for a key that clashes with nothing — the hidden record is left
untouched, and the new one is held for the TTO."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.db.models import Q
from django.test import Client

from opentto.accounts.models import User
from opentto.clashes.models import ClashHold
from opentto.core.models import Grant
from opentto.core.permissions import register_constraint
from opentto.imports.models import ImportJob
from opentto.imports.services import import_job_create, import_job_run
from opentto.organisations.models import Organisation, Person
from opentto.organisations.services import organisation_create, person_create
from opentto.results.models import IPAsset, Result
from opentto.results.services import IPAssetInput, result_onboard
from tests.clashes.helpers import masked, response_text, run_twice
from tests.conftest import result_input

from .helpers import RESULT_HEADERS, cn_number, credit_code, csv_file

pytestmark = pytest.mark.django_db

NUMBER = cn_number(4242)
HIDDEN: set[int] = set()  # organisations
HIDDEN_PEOPLE: set[int] = set()
register_constraint(
    "organisations.organisation",
    "test_import_not_hidden",
    lambda user, model: ~Q(pk__in=sorted(HIDDEN)),
)
register_constraint(
    "organisations.person",
    "test_import_not_hidden",
    lambda user, model: ~Q(pk__in=sorted(HIDDEN_PEOPLE)),
)


@pytest.fixture
def narrowed_manager(manager: User) -> Any:
    """The manager sees public results only, and every organisation and person except ``HIDDEN``."""
    everything = Grant.objects.get(role="manager", object_type="results.result", constraint="all")
    everything.actions = [
        a for a in everything.actions if a != "view"
    ]  # every other action (onboarding too) is kept
    everything.save()
    Grant.objects.create(
        role="manager", object_type="results.result", constraint="public", actions=["view"]
    )
    for object_type in ("organisations.organisation", "organisations.person"):
        # may still add them and read e-mails; sees all but the hidden ones
        Grant.objects.filter(role="manager", object_type=object_type, constraint="all").update(
            actions=["add", "view_email"]
        )
        Grant.objects.create(
            role="manager",
            object_type=object_type,
            constraint="test_import_not_hidden",
            actions=["view"],
        )
    yield manager
    HIDDEN.clear()
    HIDDEN_PEOPLE.clear()


def report(client: Client, kind: str, raw: bytes, actor: User) -> list[str]:
    job = import_job_run(
        job=import_job_create(
            kind=kind,
            file=ContentFile(raw, name="file.csv"),
            actor=actor,
            dry_run=False,
            language="en",
        )
    )
    page = masked(
        response_text(client.get(f"/en/imports/{job.token}/")).replace(job.token, "<job>")
    )
    return [
        repr(
            (
                str(job.status),
                job.created_count,
                job.updated_count,
                job.unchanged_count,
                job.error_count,
                job.errors,
            )
        ),
        page,
    ]


def compare(
    narrowed_manager: User,
    kind: str,
    raw: bytes,
    clash: Callable[[], Any],
    decoy: Callable[[], Any],
    held: Callable[[Any], None],
    ids: tuple[Any, ...],
) -> list[str]:
    client = Client()
    client.force_login(narrowed_manager)

    def not_held(_: Any) -> None:
        assert not ClashHold.objects.exists()

    with_clash, without = run_twice(
        clash=clash,
        decoy=decoy,
        act=lambda: report(client, kind, raw, narrowed_manager),
        ids=ids,
        check_clash=held,
        check_decoy=not_held,
    )
    assert with_clash == without
    return with_clash


def _hidden_result(
    manager: User, university: Organisation, researcher: Person, number: str, title: str
) -> Result:
    return result_onboard(
        data=result_input(
            [university],
            [(researcher, "100")],
            title_zh=title,
            title_en=title,
            is_public=False,
            ip_assets=[IPAssetInput(application_number=number)],
        ),
        actor=manager,
        confirm_duplicates=True,
    )


def test_a_patent_of_a_hidden_result_is_imported_as_new_and_held(
    narrowed_manager: User, admin_user: User, university: Organisation, researcher: Person
) -> None:
    raw = csv_file(
        RESULT_HEADERS,
        [
            [
                "成像芯片",
                "Imaging chip",
                "invention_patent",
                "ic",
                3,
                "yes",
                university.name_zh,
                researcher.name_zh,
                NUMBER,
                "2024-05-06",
                "",
            ]
        ],
    )

    def held(existing: Result) -> None:
        new = Result.objects.get(title_en="Imaging chip")
        assert (
            ClashHold.objects.get().existing_id == existing.pk
            and ClashHold.objects.get().held_id == new.pk
        )
        assert list(new.ip_assets.values_list("is_held", flat=True)) == [True]
        assert existing.ip_assets.get().filing_date is None  # the hidden patent was not updated

    out = compare(
        narrowed_manager,
        "results",
        raw,
        lambda: _hidden_result(admin_user, university, researcher, NUMBER, "机密成果"),
        lambda: _hidden_result(admin_user, university, researcher, cn_number(777), "机密成果"),
        held,
        (Result, IPAsset),
    )
    assert out[0] == "('done', 1, 0, 0, 0, [])"


def test_a_title_of_a_hidden_result_is_imported_as_new_and_held(
    narrowed_manager: User, admin_user: User, university: Organisation, researcher: Person
) -> None:
    raw = csv_file(
        RESULT_HEADERS,
        [
            [
                "机密成果",
                "机密成果",
                "invention_patent",
                "ic",
                3,
                "yes",
                university.name_zh,
                researcher.name_zh,
                "",
                "",
                "",
            ]
        ],
    )
    out = compare(
        narrowed_manager,
        "results",
        raw,
        lambda: _hidden_result(admin_user, university, researcher, NUMBER, "机密成果"),
        lambda: _hidden_result(admin_user, university, researcher, NUMBER, "另一项成果"),
        lambda existing: ClashHold.objects.get(
            existing_id=existing.pk, detail={"similar_title": True}
        ),
        (Result, IPAsset),
    )
    assert out[0] == "('done', 1, 0, 0, 0, [])"


def test_an_organisation_of_a_hidden_credit_code_or_name_is_imported_as_new_and_held(
    narrowed_manager: User,
) -> None:
    code = credit_code(4242)
    raw = csv_file(
        ["name_zh", "kind", "credit_code"], [["新公司", "企业", code], ["同名公司", "企业", ""]]
    )

    def hidden(code_: str, name: str) -> list[Organisation]:
        made = [
            organisation_create(kind="enterprise", name_zh="某公司", credit_code=code_, actor=None),
            organisation_create(kind="enterprise", name_zh=name, actor=None),
        ]
        HIDDEN.update(o.pk for o in made)
        return made

    def held(existing: list[Organisation]) -> None:
        holds = {h.existing_id: h.detail for h in ClashHold.objects.all()}
        assert holds == {
            existing[0].pk: {"credit_code": code},
            existing[1].pk: {"name": "同名公司", "via": "import"},
        }
        assert Organisation.objects.get(name_zh="新公司").is_held

    out = compare(
        narrowed_manager,
        "organisations",
        raw,
        lambda: hidden(code, "同名公司"),
        lambda: hidden(credit_code(777), "别的公司"),
        held,
        (Organisation,),
    )
    assert out[0] == "('done', 2, 0, 0, 0, [])"


def test_a_person_of_a_hidden_email_is_imported_as_new_and_held(
    narrowed_manager: User, university: Organisation
) -> None:
    raw = csv_file(
        ["name_zh", "email", "organisation"],
        [["周敏", "zhou.min@example.edu.cn", university.name_zh]],
    )

    def hidden(email: str) -> Person:
        person = person_create(name_zh="周敏", email=email, actor=None)
        HIDDEN_PEOPLE.add(person.pk)
        return person

    def held(existing: Person) -> None:
        new = Person.objects.exclude(pk=existing.pk).get(name_zh="周敏")
        hold = ClashHold.objects.get()
        assert (hold.kind, hold.held_id, hold.existing_id, hold.detail) == (
            "organisations.person",
            new.pk,
            existing.pk,
            {"email": "zhou.min@example.edu.cn", "via": "import"},
        )

    out = compare(
        narrowed_manager,
        "people",
        raw,
        lambda: hidden("zhou.min@example.edu.cn"),
        lambda: hidden("someone.else@example.edu.cn"),
        held,
        (Person,),
    )
    assert out[0] == "('done', 1, 0, 0, 0, [])"


def test_keys_the_user_may_see_still_make_rows_unchanged(
    manager: User, university: Organisation, researcher: Person
) -> None:
    _hidden_result(manager, university, researcher, NUMBER, "机密成果")
    raw = csv_file(
        RESULT_HEADERS,
        [
            [
                "成像芯片",
                "Imaging chip",
                "invention_patent",
                "ic",
                3,
                "yes",
                university.name_zh,
                researcher.name_zh,
                NUMBER,
                "2024-05-06",
                "",
            ]
        ],
    )
    job: ImportJob = import_job_run(
        job=import_job_create(
            kind="results", file=ContentFile(raw, name="f.csv"), actor=manager, dry_run=False
        )
    )
    assert (job.created_count, job.updated_count) == (0, 1) and not ClashHold.objects.exists()
