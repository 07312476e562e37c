"""Duplicate checks answer only within what the user may see. An inventor onboarding a result whose
application number, or nearly identical title, belongs to a confidential result of another
organisation is not refused and not told: the result is stored, held for the TTO, and every
response — the form's redirect, the result page, the API's answer — is byte-identical to the
one they get when nothing clashes (compared outright, only CSRF tokens masked)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from opentto.accounts.models import User
from opentto.api.services import token_create
from opentto.clashes.models import ClashHold
from opentto.organisations.models import Organisation, Person
from opentto.results.models import IPAsset, Result
from opentto.results.services import (
    DuplicateResultError,
    IPAssetInput,
    result_onboard,
    result_update,
)
from tests.clashes.helpers import response_text, run_twice
from tests.conftest import result_input
from tests.imports.helpers import cn_number

pytestmark = pytest.mark.django_db

NUMBER = cn_number(4242)
TITLE_ZH, TITLE_EN = (
    "高通量单细胞测序微流控芯片",
    "High-throughput single-cell sequencing microfluidic chip",
)


@pytest.fixture
def other_researcher(other_university: Organisation) -> Person:
    from tests.factories import MembershipFactory, PersonFactory

    return MembershipFactory(
        organisation=other_university, person=PersonFactory(name_zh="赵雷", name_en="Zhao Lei")
    ).person


def hidden_result(
    manager: User,
    other_university: Organisation,
    person: Person,
    *,
    number: str,
    title_zh: str,
    title_en: str,
) -> Result:
    """A confidential result of another university: the inventor may not see it."""
    return result_onboard(
        data=result_input(
            [other_university],
            [(person, "100")],
            title_zh=title_zh,
            title_en=title_en,
            is_public=False,
            ip_assets=[IPAssetInput(application_number=number)],
        ),
        actor=manager,
        confirm_duplicates=True,
    )


def form_post(researcher: Person, owners: list[Organisation], **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title_zh": TITLE_ZH,
        "title_en": TITLE_EN,
        "kind": "invention_patent",
        "field": "biomedicine",
        "trl": "4",
        "owners": [o.pk for o in owners],
        "is_public": "confidential",
        "abstract_zh": "单细胞测序",
        "keywords_zh": "",
        "keywords_en": "",
        "inventors-TOTAL_FORMS": "1",
        "inventors-INITIAL_FORMS": "0",
        "inventors-MIN_NUM_FORMS": "1",
        "inventors-MAX_NUM_FORMS": "30",
        "inventors-0-person": researcher.pk,
        "inventors-0-share": "100",
        "ip_assets-TOTAL_FORMS": "1",
        "ip_assets-INITIAL_FORMS": "0",
        "ip_assets-MIN_NUM_FORMS": "0",
        "ip_assets-MAX_NUM_FORMS": "50",
        "ip_assets-0-jurisdiction": "CN",
        "ip_assets-0-ip_kind": "invention",
        "ip_assets-0-application_number": NUMBER,
        "ip_assets-0-status": "filed",
        "fundings-TOTAL_FORMS": "0",
        "fundings-INITIAL_FORMS": "0",
        "fundings-MIN_NUM_FORMS": "0",
        "fundings-MAX_NUM_FORMS": "20",
    }
    data.update(overrides)
    return data


@pytest.fixture
def setups(
    manager: User, other_university: Organisation, other_researcher: Person
) -> dict[str, Any]:
    return {
        # the same number and a nearly identical title, on a result the inventor may not see
        "clash": lambda: hidden_result(
            manager,
            other_university,
            other_researcher,
            number=NUMBER,
            title_zh=TITLE_ZH + "。",
            title_en=TITLE_EN + ".",
        ),
        # a result of the same university, equally hidden, that clashes with nothing
        "decoy": lambda: hidden_result(
            manager,
            other_university,
            other_researcher,
            number=cn_number(777),
            title_zh="无关的成果",
            title_en="Unrelated result",
        ),
    }


def newest_by(user: User) -> Result:
    return Result.objects.filter(created_by=user).latest("pk")


def test_the_onboarding_form_answers_the_same_and_the_result_is_held(
    inventor: User,
    researcher: Person,
    university: Organisation,
    other_university: Organisation,
    setups: dict[str, Any],
) -> None:
    client = Client()
    client.force_login(inventor)

    def act() -> list[str]:
        response = client.post(
            reverse("results:onboard"), form_post(researcher, [university, other_university])
        )
        page = client.get(response["Location"])
        return [response_text(response), response_text(page)]

    def held(existing: Result) -> None:
        new = newest_by(inventor)
        hold = ClashHold.objects.get()
        assert (
            hold.kind,
            hold.held_type,
            hold.held_id,
            hold.existing_type,
            hold.existing_id,
            hold.status,
        ) == ("results.result", "results.result", new.pk, "results.result", existing.pk, "open")
        assert (
            hold.detail == {"application_numbers": [f"CN {NUMBER}"], "similar_title": True}
            and hold.created_by == inventor
        )
        assert list(new.ip_assets.values_list("application_number", "is_held")) == [(NUMBER, True)]
        assert list(existing.ip_assets.values_list("application_number", "is_held")) == [
            (NUMBER, False)
        ]

    def not_held(existing: Result) -> None:
        assert not ClashHold.objects.exists()
        assert list(newest_by(inventor).ip_assets.values_list("is_held", flat=True)) == [False]

    with_clash, without = run_twice(
        clash=setups["clash"],
        decoy=setups["decoy"],
        act=act,
        ids=(Result, IPAsset),
        check_clash=held,
        check_decoy=not_held,
    )
    assert with_clash[0].startswith("302") and "/en/results/9001/" in with_clash[0]
    assert "The result was onboarded." in with_clash[1] and TITLE_EN in with_clash[1]
    assert with_clash == without


def test_the_api_answers_the_same_and_the_result_is_held(
    inventor: User,
    researcher: Person,
    university: Organisation,
    other_university: Organisation,
    setups: dict[str, Any],
) -> None:
    from rest_framework.test import APIClient

    client = APIClient()
    _token, key = token_create(user=inventor, scope="write", actor=None)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    body = {
        "title_zh": TITLE_ZH,
        "title_en": TITLE_EN,
        "kind": "invention_patent",
        "field": "biomedicine",
        "trl": 4,
        "owners": [university.pk, other_university.pk],
        "inventors": [{"person": researcher.pk, "share": "100"}],
        "ip_assets": [{"application_number": NUMBER}],
    }

    def act() -> list[str]:
        return [response_text(client.post("/api/v1/results/", body, format="json"))]

    with_clash, without = run_twice(
        clash=setups["clash"],
        decoy=setups["decoy"],
        act=act,
        ids=(Result, IPAsset),
        check_clash=lambda existing: ClashHold.objects.get(
            held_id=newest_by(inventor).pk, existing_id=existing.pk
        ),
        check_decoy=lambda _: not ClashHold.objects.exists() or pytest.fail("held without a clash"),
    )
    assert with_clash[0].startswith("201")
    assert (
        json.loads(with_clash[0].split("\n", 2)[2])["ip_assets"][0]["application_number"] == NUMBER
    )
    assert with_clash == without


def test_a_visible_near_duplicate_is_shown_and_a_hidden_one_is_not(
    inventor: User,
    researcher: Person,
    university: Organisation,
    other_university: Organisation,
    manager: User,
    setups: dict[str, Any],
) -> None:
    # the inventor's own university has a nearly identical title (visible); the other's (hidden) too
    own = result_onboard(
        data=result_input(
            [university],
            [(researcher, "100")],
            title_zh=TITLE_ZH,
            title_en=TITLE_EN + "!",
            ip_assets=[],
        ),
        actor=manager,
        confirm_duplicates=True,
    )
    client = Client()
    client.force_login(inventor)

    def act() -> list[str]:
        return [
            response_text(
                client.post(
                    reverse("results:onboard"),
                    form_post(
                        researcher,
                        [university, other_university],
                        **{"ip_assets-0-application_number": cn_number(5)},
                    ),
                )
            )
        ]

    with_clash, without = run_twice(
        clash=setups["clash"],
        decoy=setups["decoy"],
        act=act,
        ids=(Result, IPAsset),
        check_clash=lambda _: not ClashHold.objects.exists() or pytest.fail("refused, yet held"),
    )
    assert with_clash[0].startswith("409") and f"/en/results/{own.pk}/" in with_clash[0]
    assert (
        "Similar results already on the platform" in with_clash[0]
        and "microfluidic chip." not in with_clash[0]
    )
    assert with_clash == without


def test_a_number_the_user_may_see_is_still_refused(
    inventor: User, researcher: Person, university: Organisation, manager: User
) -> None:
    result_onboard(
        data=result_input(
            [university],
            [(researcher, "100")],
            title_zh="本校成果",
            title_en="Own result",
            ip_assets=[IPAssetInput(application_number=NUMBER)],
        ),
        actor=manager,
    )
    data = result_input(
        [university], [(researcher, "100")], ip_assets=[IPAssetInput(application_number=NUMBER)]
    )
    with pytest.raises(Exception) as refused:
        result_onboard(data=data, actor=inventor)
    assert refused.value.message_dict == {
        "ip_assets-0-application_number": [
            f"{NUMBER} is already registered on the platform with another result."
        ]
    }  # type: ignore[attr-defined]
    assert Result.objects.count() == 1 and not ClashHold.objects.exists()


def test_saving_again_does_not_hold_twice_and_the_original_stays_editable(
    inventor: User,
    researcher: Person,
    university: Organisation,
    other_university: Organisation,
    manager: User,
    other_researcher: Person,
    other_inventor: User,
) -> None:
    existing = hidden_result(
        manager, other_university, other_researcher, number=NUMBER, title_zh="甲", title_en="Alpha"
    )
    data = result_input(
        [university], [(researcher, "100")], ip_assets=[IPAssetInput(application_number=NUMBER)]
    )
    new = result_onboard(data=data, actor=inventor)
    result_update(
        result=new,
        data=result_input(
            [university],
            [(researcher, "100")],
            ip_assets=[IPAssetInput(application_number=NUMBER)],
            trl=5,
        ),
        actor=inventor,
    )
    assert ClashHold.objects.count() == 1 and list(
        new.ip_assets.values_list("is_held", flat=True)
    ) == [True]
    # the other university's inventor edits the original: neither refused (the held row is outside
    # the number's registration) nor held against the newcomer
    result_update(
        result=existing,
        data=result_input(
            [other_university],
            [(other_researcher, "100")],
            title_zh="甲",
            title_en="Alpha",
            is_public=False,
            ip_assets=[IPAssetInput(application_number=NUMBER)],
            trl=6,
        ),
        actor=other_inventor,
    )
    assert ClashHold.objects.count() == 1
    assert list(existing.ip_assets.values_list("is_held", flat=True)) == [False]


def test_the_database_keeps_the_number_unique_among_rows_not_held(
    onboarded: Result, confidential_result: Result
) -> None:
    number = onboarded.ip_assets.get().application_number
    IPAsset.objects.create(
        result=confidential_result, application_number=number, ip_kind="invention", is_held=True
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        IPAsset.objects.create(
            result=confidential_result, application_number=number, ip_kind="invention"
        )


def test_confirming_a_visible_duplicate_still_holds_a_hidden_one(
    inventor: User,
    researcher: Person,
    university: Organisation,
    other_university: Organisation,
    manager: User,
    other_researcher: Person,
) -> None:
    existing = hidden_result(
        manager,
        other_university,
        other_researcher,
        number=cn_number(9),
        title_zh=TITLE_ZH,
        title_en=TITLE_EN,
    )
    own = result_onboard(
        data=result_input(
            [university], [(researcher, "100")], title_zh=TITLE_ZH, title_en=TITLE_EN, ip_assets=[]
        ),
        actor=manager,
    )
    data = result_input(
        [university, other_university],
        [(researcher, "100")],
        title_zh=TITLE_ZH,
        title_en=TITLE_EN,
        ip_assets=[],
    )
    with pytest.raises(DuplicateResultError) as shown:
        result_onboard(data=data, actor=inventor)
    assert shown.value.similar == [own]
    new = result_onboard(data=data, actor=inventor, confirm_duplicates=True)
    hold = ClashHold.objects.get()
    assert (hold.held_id, hold.existing_id, hold.detail) == (
        new.pk,
        existing.pk,
        {"similar_title": True},
    )
