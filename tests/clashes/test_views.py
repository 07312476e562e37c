"""The TTO's pages of held clashes: for those granted them (404 for everyone else), both records
named, and the decision taken through the service (a refused or invalid POST changes nothing)."""

from __future__ import annotations

import pytest
from django.test import Client

from opentto.accounts.models import User
from opentto.clashes.models import ClashHold
from opentto.core.models import AuditEvent
from opentto.organisations.models import Organisation, Person
from opentto.organisations.services import person_create
from opentto.results.models import Result
from opentto.results.services import IPAssetInput, result_onboard
from tests.conftest import result_input
from tests.imports.helpers import cn_number

pytestmark = pytest.mark.django_db


@pytest.fixture
def hold(
    manager: User,
    inventor: User,
    university: Organisation,
    other_university: Organisation,
    researcher: Person,
) -> ClashHold:
    other_person = person_create(
        name_zh="赵雷", memberships=[(other_university, "researcher", "", "")], actor=None
    )
    result_onboard(
        data=result_input(
            [other_university],
            [(other_person, "100")],
            title_zh="甲",
            title_en="Hidden original",
            is_public=False,
            ip_assets=[IPAssetInput(application_number=cn_number(1))],
        ),
        actor=manager,
    )
    result_onboard(
        data=result_input(
            [university],
            [(researcher, "100")],
            title_zh="乙",
            title_en="The newcomer",
            ip_assets=[IPAssetInput(application_number=cn_number(1))],
        ),
        actor=inventor,
    )
    return ClashHold.objects.get()


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize("who", ["manager", "admin_user"])
def test_the_tto_sees_both_records_and_resolves(
    request: pytest.FixtureRequest, hold: ClashHold, who: str
) -> None:
    client = client_for(request.getfixturevalue(who))
    listing = client.get("/en/clashes/").content.decode()
    assert (
        "The newcomer" in listing
        and "Hidden original" in listing
        and "A result that may duplicate another" in listing
    )
    page = client.get(f"/en/clashes/{hold.pk}/")
    body = page.content.decode()
    assert (
        page.status_code == 200
        and f"/en/results/{hold.held_id}/" in body
        and f"/en/results/{hold.existing_id}/" in body
    )
    assert (
        "Merge the new record into the existing one" in body
        and "Keep both" in body
        and "Reject the new record" in body
    )
    invalid = client.post(f"/en/clashes/{hold.pk}/", {"decision": "explode"})
    assert invalid.status_code == 422 and ClashHold.objects.get().status == "open"
    done = client.post(
        f"/en/clashes/{hold.pk}/", {"decision": "keep_both", "note": "Two results on one patent."}
    )
    assert done.status_code == 302 and ClashHold.objects.get().status == "kept"
    after = client.get(f"/en/clashes/{hold.pk}/").content.decode()
    assert "Two results on one patent." in after and 'name="decision"' not in after
    assert "The newcomer" not in client.get("/en/clashes/").content.decode()  # open ones by default
    assert "The newcomer" in client.get("/en/clashes/?status=all").content.decode()


@pytest.mark.parametrize(
    "who",
    [None, "inventor", "enterprise_user", "reviewer", "official", "investor", "other_inventor"],
)
def test_everyone_else_gets_nothing_and_changes_nothing(
    request: pytest.FixtureRequest, hold: ClashHold, who: str | None
) -> None:
    client = client_for(request.getfixturevalue(who) if who else None)
    events = AuditEvent.objects.count()
    expected = 302 if who is None else 404
    assert client.get("/en/clashes/").status_code == expected
    assert client.get(f"/en/clashes/{hold.pk}/").status_code == expected
    assert client.post(f"/en/clashes/{hold.pk}/", {"decision": "reject"}).status_code == expected
    assert ClashHold.objects.get().status == "open" and AuditEvent.objects.count() == events
    assert Result.objects.get(pk=hold.held_id).stage == "onboarding"


def test_the_newcomers_page_does_not_mention_the_hold(inventor: User, hold: ClashHold) -> None:
    body = client_for(inventor).get(f"/en/results/{hold.held_id}/").content.decode()
    assert (
        "Hidden original" not in body and "clash" not in body.lower() and "held" not in body.lower()
    )


def test_what_clashed_is_named_in_the_users_language(manager: User, hold: ClashHold) -> None:
    client = client_for(manager)
    number = hold.detail["application_numbers"][0]
    english = client.get(f"/en/clashes/{hold.pk}/").content.decode()
    assert (
        "Same application numbers" in english
        and number in english
        and "application_numbers" not in english
    )
    chinese = client.get(f"/zh-hans/clashes/{hold.pk}/").content.decode()
    assert (
        "相同的申请号" in chinese
        and "处理决定" in chinese
        and "application_numbers" not in chinese
        and "评价结论" not in chinese
    )
