"""Subsidies' object types under the grants (``opentto/subsidies/permissions.py``): who sees and
does what, a switched-off grant takes the access away, budget lines and tranches follow their
application, the page and the services ask the same action, and the dashboard counts only what
the viewer may see."""

from decimal import Decimal

import pytest

from opentto.core import permissions
from opentto.core.models import AuditEvent, Grant
from opentto.landing.models import Deal
from opentto.subsidies import services
from opentto.subsidies.models import Application, BudgetLine, Programme, ProgrammeBudget, Tranche
from opentto.subsidies.permissions import may_apply_for
from opentto.subsidies.selectors import officials_dashboard

from ..conftest import make_user
from ..factories import EnterpriseFactory
from .test_subsidies import YEAR, apply, programme, to_recognised  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def _ids(qs) -> set[int]:
    return set(qs.values_list("pk", flat=True))


@pytest.fixture
def mine(programme, enterprise_org, enterprise_user, university, onboarded):
    return apply(
        programme, enterprise_org, university, onboarded, "400000", "2000000", enterprise_user
    )


@pytest.fixture
def theirs(programme, university, onboarded):
    rival = EnterpriseFactory(name_en="Rival Applicant")
    return apply(
        programme,
        rival,
        university,
        onboarded,
        "300000",
        "2000000",
        make_user("enterprise", rival, username="rival_user"),
    )


def test_the_default_grants_of_each_type(
    mine, theirs, admin_user, manager, official, enterprise_user, inventor, reviewer, investor
):
    everyone = {mine.pk, theirs.pk}
    for user, sees in (
        (admin_user, everyone),
        (manager, everyone),
        (official, everyone),
        (enterprise_user, {mine.pk}),
        (inventor, set()),
        (reviewer, set()),
        (investor, set()),
    ):
        assert _ids(Application.objects.restrict(user, "view")) == sees, user.username
        assert {
            line.application_id for line in BudgetLine.objects.restrict(user, "view")
        } == sees, user.username
    actions = {
        "apply": {admin_user, manager, enterprise_user},
        "decide": {admin_user, official},
        "disburse": {admin_user, official},
        "open_review": {admin_user, manager},
        "view_reviewers": {admin_user, manager, official},
        "figures": {admin_user, manager, official},
    }
    for action, holders in actions.items():
        for user in (admin_user, manager, official, enterprise_user, inventor, reviewer, investor):
            assert permissions.allows(user, mine, action) == (user in holders), (
                action,
                user.username,
            )
    assert may_apply_for(manager, mine.applicant) and may_apply_for(enterprise_user, mine.applicant)
    assert not may_apply_for(enterprise_user, theirs.applicant) and not may_apply_for(
        official, mine.applicant
    )
    assert permissions.permitted(official, Programme, "add") and not permissions.permitted(
        enterprise_user, Programme, "add"
    )


def test_tranches_follow_their_application(mine, official, enterprise_user, reviewer):
    Tranche.objects.create(application=mine, sequence=1, milestone="Pilot", amount_cny="1000.00")
    assert Tranche.objects.restrict(enterprise_user, "view").count() == 1
    assert not Tranche.objects.restrict(
        make_user("enterprise", EnterpriseFactory(), username="other_ent"), "view"
    ).exists()
    Grant.objects.filter(role="enterprise", object_type="subsidies.application").update(
        enabled=False
    )
    permissions.clear_grant_cache(enterprise_user)
    assert not Tranche.objects.restrict(enterprise_user, "view").exists()
    assert not BudgetLine.objects.restrict(enterprise_user, "view").exists()


@pytest.mark.parametrize(
    "path, data",
    [
        ("approve/", {"amount_cny": "1"}),
        ("recognise/", {"recognition_number": "X"}),
        ("reject/", {"reason": "x"}),
        ("review/override/", {"reason": "x"}),
        ("tranches/", {"milestone": "m", "amount_cny": "1"}),
        ("review/start/", {}),
        ("review/", {}),
    ],
)
def test_the_applicant_is_refused_the_officials_steps_with_403_and_nothing_changes(
    client, mine, enterprise_user, path, data
):
    before, events = Application.objects.values().get(pk=mine.pk), AuditEvent.objects.count()
    client.force_login(enterprise_user)
    assert client.post(f"/en/subsidies/applications/{mine.pk}/{path}", data).status_code == 403
    client.force_login(make_user("enterprise", EnterpriseFactory(), username="stranger"))
    assert client.post(f"/en/subsidies/applications/{mine.pk}/{path}", data).status_code == 404
    assert (
        Application.objects.values().get(pk=mine.pk) == before
        and AuditEvent.objects.count() == events
    )
    assert not Tranche.objects.exists()


def test_deciding_follows_one_grant_in_the_page_and_the_service(client, mine, official, manager):
    services.application_submit(application=mine, actor=manager)
    url = f"/en/subsidies/applications/{mine.pk}/"
    client.force_login(official)
    assert "/review/start/" in client.get(url).content.decode()
    Grant.objects.filter(role="official", object_type="subsidies.application").update(
        actions=["view"]
    )
    permissions.clear_grant_cache(official)
    assert "/review/start/" not in client.get(url).content.decode()
    assert client.post(f"{url}review/start/").status_code == 403
    with pytest.raises(PermissionError):
        services.application_start_review(application=mine, actor=official)
    assert Application.objects.get(pk=mine.pk).status == "submitted"


def test_the_application_page_names_only_the_results_and_deal_the_viewer_may_see(
    client,
    programme,
    enterprise_org,
    enterprise_user,
    university,
    confidential_result,
    official,
    manager,
):
    deal = Deal.objects.create(
        title="Licence deal LD7",
        counterparty=enterprise_org,
        deal_type="assignment",
        amount_cny="10.00",
        created_by=manager,
    )
    app = services.application_create(
        programme=programme,
        applicant=enterprise_org,
        partners=[university],
        results=[confidential_result],
        deal=deal,
        project_title_zh="项目",
        requested_cny="1000",
        actor=manager,
        year=YEAR,
    )
    client.force_login(
        official
    )  # sees every application, not the confidential result, not the deal
    page = client.get(f"/en/subsidies/applications/{app.pk}/").content.decode()
    assert (
        confidential_result.title_en not in page
        and confidential_result.title_zh not in page
        and "a confidential result" in page
    )
    assert "Licence deal LD7" not in page and "a confidential deal" in page
    client.force_login(manager)
    page = client.get(f"/en/subsidies/applications/{app.pk}/").content.decode()
    assert confidential_result.title_en in page and "Licence deal LD7" in page


def test_the_dashboard_counts_only_what_the_viewer_may_see(
    client, mine, theirs, official, manager, enterprise_user, reviewer
):
    for app in (mine, theirs):
        services.application_submit(application=app, actor=manager)
    rows = officials_dashboard(official)["rows"]
    assert [(r["budget"].year, r["applications"]) for r in rows] == [(YEAR, 2)]
    for user in (enterprise_user, reviewer):
        client.force_login(user)
        assert client.get("/en/subsidies/dashboard/").status_code == 404
    # an official limited to one applicant's applications: the counts follow
    Grant.objects.filter(role="official", object_type="subsidies.application").update(enabled=False)
    Grant.objects.create(
        role="official",
        object_type="subsidies.application",
        constraint="own_organisation",
        actions=["view", "figures"],
    )
    official.organisation = mine.applicant
    official.save()
    permissions.clear_grant_cache(official)
    rows = officials_dashboard(official)["rows"]
    assert [(r["applications"], r["approved_count"], r["approved_cny"]) for r in rows] == [
        (1, 0, Decimal("0.00"))
    ]
    client.force_login(official)
    assert client.get("/en/subsidies/dashboard/").status_code == 200


def test_the_approved_amount_on_the_dashboard_is_over_the_visible_applications(
    mine, official, reviewer
):
    to_recognised(mine, official, reviewer)
    services.application_approve(application=mine, amount_cny="100000", actor=official)
    row = officials_dashboard(official)["rows"][0]
    assert row["approved_cny"] == Decimal("100000.00") == ProgrammeBudget.objects.get().approved_cny
    assert row["remaining_cny"] == ProgrammeBudget.objects.get().remaining_cny


def test_new_applications_are_told_to_those_who_decide(mine, official, admin_user, manager):
    from opentto.notifications.models import Notification

    services.application_submit(application=mine, actor=manager)
    told = set(
        Notification.objects.filter(kind="subsidy.submitted").values_list("recipient_id", flat=True)
    )
    assert told == {official.pk, admin_user.pk}
    services.application_start_review(application=mine, actor=official)
    told = set(
        Notification.objects.filter(kind="subsidy.review").values_list("recipient_id", flat=True)
    )
    assert told == {manager.pk, admin_user.pk}


def test_the_programme_list_offers_apply_to_those_who_may_apply(
    client, programme, enterprise_user, official
):
    client.force_login(enterprise_user)
    assert (
        f"/subsidies/programmes/{programme.pk}/apply/"
        in client.get("/en/subsidies/").content.decode()
    )
    client.force_login(official)
    assert (
        f"/subsidies/programmes/{programme.pk}/apply/"
        not in client.get("/en/subsidies/").content.decode()
    )
    assert client.get(f"/en/subsidies/programmes/{programme.pk}/apply/").status_code == 403
