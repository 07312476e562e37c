"""The cap per project: a project is the results and the deal its applications are for, named by
its recognition number; the cap binds the sum approved over all of them (every programme and
year), in the service, in the database and under concurrent approvals. A second application for a
funded project is flagged at submission with what remains; the dashboard shows each project."""

import datetime as dt
import importlib
import threading
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from opentto.core.models import AuditEvent
from opentto.landing.services import deal_create, deal_sign
from opentto.subsidies import services
from opentto.subsidies.models import Application, ProgrammeBudget, SubsidyProject, Tranche
from opentto.subsidies.selectors import project_rows

from ..conftest import make_user
from ..factories import EnterpriseFactory
from ..results.test_pipeline import to_landing
from .test_subsidies import YEAR, doc, programme  # noqa: F401  (fixture)


@pytest.fixture
def deal(manager, onboarded, enterprise_org):
    to_landing(onboarded, manager)
    made = deal_create(
        results=[onboarded],
        counterparty=enterprise_org,
        deal_type="licence_exclusive",
        amount_cny="3000000",
        actor=manager,
    )
    return deal_sign(
        deal=made,
        signed_on=dt.date(YEAR, 1, 2)
        if dt.date(YEAR, 1, 2) <= timezone.localdate()
        else timezone.localdate(),
        actor=manager,
    )


def apply(
    programme,
    requested,
    *,
    results,
    deal=None,
    applicant=None,
    partner=None,
    actor,
    title="产业化项目",
):
    return services.application_create(
        programme=programme,
        applicant=applicant or actor.organisation,
        partners=[partner] if partner else [],
        results=results,
        deal=deal,
        project_title_zh=title,
        requested_cny=requested,
        budget_lines=[services.BudgetLineInput("equipment", "Pilot line", "20000000", doc())],
        actor=actor,
        year=YEAR,
    )


def recognise(app, applicant_user, official, number):
    services.application_submit(application=app, actor=applicant_user)
    services.application_start_review(application=app, actor=official)
    services.application_review_override(
        application=app, reason="Reviewed on paper by the district panel.", actor=official
    )
    return services.application_recognise(
        application=app, recognition_number=number, actor=official
    )


def check(app, key):
    app.refresh_from_db()
    return next(c for c in app.eligibility if c["key"] == key)


@pytest.fixture
def funded(programme, deal, onboarded, university, enterprise_user, official):
    """One project (the deal and its result) with 4,000,000 approved of its 5,000,000 cap."""
    app = apply(
        programme,
        "4000000",
        results=[onboarded],
        deal=deal,
        partner=university,
        actor=enterprise_user,
    )
    recognise(app, enterprise_user, official, "XH-2025-001")
    return services.application_approve(application=app, amount_cny="4000000", actor=official)


@pytest.mark.django_db
def test_a_second_application_for_a_funded_project_is_flagged_with_what_remains_and_refused_above_it(
    funded,
    programme,
    deal,
    onboarded,
    university,
    enterprise_user,
    official,
):
    project = SubsidyProject.objects.get()
    assert (funded.project, project.recognition_number, project.deal, project.approved_cny) == (
        project,
        "XH-2025-001",
        deal,
        Decimal("4000000.00"),
    )
    second = apply(
        programme,
        "3000000",
        results=[onboarded],
        deal=deal,
        partner=university,
        actor=enterprise_user,
    )
    services.application_submit(application=second, actor=enterprise_user)
    second.refresh_from_db()
    assert second.status == "ineligible" and second.project == project
    cap = check(second, "project_cap")
    assert not cap["passed"]
    assert services.eligibility_text(cap) == (
        "This project (XH-2025-001) already has 4,000,000.00 yuan approved; 1,000,000.00 yuan remains under its cap of 5,000,000.00 yuan "
        "per project, and 3,000,000.00 yuan is requested."
    )
    # asking for what remains passes, but the approval still cannot go a fen above it
    third = apply(
        programme,
        "1000000",
        results=[onboarded],
        deal=deal,
        partner=university,
        actor=enterprise_user,
    )
    recognise(third, enterprise_user, official, "XH-2025-001")
    third.refresh_from_db()
    assert (
        third.status == "recognised"
        and third.project == project
        and check(third, "project_cap")["passed"]
    )
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.application_approve(application=third, amount_cny="1000000.01", actor=official)
    assert (
        "The amount is above what remains under the cap of the project over all its applications (1,000,000.00 yuan)."
        in exc.value.messages
    )
    assert (
        AuditEvent.objects.count() == events
        and SubsidyProject.objects.get().approved_cny == Decimal("4000000.00")
    )
    services.application_approve(application=third, amount_cny="1000000", actor=official)
    project.refresh_from_db()
    assert (project.approved_cny, project.remaining_cny) == (Decimal("5000000.00"), Decimal("0.00"))
    assert ProgrammeBudget.objects.get().approved_cny == Decimal("5000000.00")


@pytest.mark.django_db
def test_a_request_above_the_remainder_fails_at_submission(
    funded, programme, deal, onboarded, university, enterprise_user
):
    app = apply(
        programme,
        "1000000.01",
        results=[onboarded],
        deal=deal,
        partner=university,
        actor=enterprise_user,
    )
    services.application_submit(application=app, actor=enterprise_user)
    app.refresh_from_db()
    assert app.status == "ineligible" and not check(app, "project_cap")["passed"]
    exact = apply(
        programme,
        "1000000",
        results=[onboarded],
        deal=deal,
        partner=university,
        actor=enterprise_user,
    )
    services.application_submit(application=exact, actor=enterprise_user)
    exact.refresh_from_db()
    assert exact.status == "submitted" and check(exact, "project_cap")["passed"]


@pytest.mark.django_db
def test_the_cap_binds_across_programmes_and_is_the_smallest_of_them(
    funded, programme, deal, onboarded, university, enterprise_user, official
):
    small = services.programme_create(
        code="pledge",
        kind="ip_pledge_interest",
        name_zh="贴息",
        name_en="Interest",
        legal_basis_zh="《办法》",
        legal_basis_en="Measures",
        cap_per_project_cny="4500000",
        window_opens=dt.date(YEAR, 1, 1),
        window_closes=dt.date(YEAR, 12, 31),
        budgets=[(YEAR, "9000000")],
        actor=None,
    )
    app = apply(
        small, "600000", results=[onboarded], deal=deal, partner=university, actor=enterprise_user
    )
    services.application_submit(application=app, actor=enterprise_user)
    assert not check(app, "project_cap")["passed"]  # 500,000 remain under the smaller cap
    app = apply(
        small, "500000", results=[onboarded], deal=deal, partner=university, actor=enterprise_user
    )
    recognise(app, enterprise_user, official, "XH-2025-001")
    project = SubsidyProject.objects.get()
    assert project.cap_cny == Decimal(
        "4500000.00"
    )  # the smaller programme's cap now binds the project
    with pytest.raises(ValidationError) as exc:
        services.application_approve(application=app, amount_cny="500000.01", actor=official)
    assert (
        "The amount is above what remains under the cap of the project over all its applications (500,000.00 yuan)."
        in exc.value.messages
    )
    services.application_approve(application=app, amount_cny="500000", actor=official)
    project.refresh_from_db()
    assert (project.approved_cny, project.remaining_cny) == (Decimal("4500000.00"), Decimal("0.00"))


@pytest.mark.django_db
def test_applications_recognised_together_cannot_both_take_the_cap(
    programme, deal, onboarded, university, enterprise_user, official
):
    first = apply(
        programme,
        "3000000",
        results=[onboarded],
        deal=deal,
        partner=university,
        actor=enterprise_user,
    )
    second = apply(
        programme,
        "3000000",
        results=[onboarded],
        deal=deal,
        partner=university,
        actor=enterprise_user,
        title="第二期",
    )
    recognise(first, enterprise_user, official, "XH-7")
    recognise(second, enterprise_user, official, "XH-7")
    assert (
        Application.objects.get(pk=first.pk).project
        == Application.objects.get(pk=second.pk).project
    )
    services.application_approve(application=first, amount_cny="3000000", actor=official)
    with pytest.raises(ValidationError) as exc:
        services.application_approve(application=second, amount_cny="3000000", actor=official)
    assert (
        "The amount is above what remains under the cap of the project over all its applications (2,000,000.00 yuan)."
        in exc.value.messages
    )
    services.application_approve(application=second, amount_cny="2000000", actor=official)
    assert SubsidyProject.objects.get().approved_cny == Decimal("5000000.00")
    assert Application.objects.filter(status="approved").count() == 2


@pytest.mark.django_db
def test_what_makes_a_project(
    programme, deal, onboarded, university, enterprise_user, enterprise_org, manager, official
):
    # the same result without a deal joins the deal's project; so does the deal with other results
    with_deal = apply(
        programme,
        "100000",
        results=[onboarded],
        deal=deal,
        partner=university,
        actor=enterprise_user,
    )
    services.application_submit(application=with_deal, actor=enterprise_user)
    no_deal = apply(
        programme, "100000", results=[onboarded], partner=university, actor=enterprise_user
    )
    services.application_submit(application=no_deal, actor=enterprise_user)
    project = SubsidyProject.objects.get()
    assert {a.project_id for a in Application.objects.all()} == {project.pk} and list(
        project.results.all()
    ) == [onboarded]
    # another deal for the same result (a second licensee) is another project
    rival = EnterpriseFactory(name_en="Second licensee")
    rival_user = make_user("enterprise", rival, username="rival")
    other_deal = deal_sign(
        deal=deal_create(
            results=[onboarded],
            counterparty=rival,
            deal_type="licence_non_exclusive",
            amount_cny="10",
            actor=manager,
        ),
        signed_on=deal.signed_on,
        actor=manager,
    )
    second_licensee = apply(
        programme,
        "100000",
        results=[onboarded],
        deal=other_deal,
        partner=university,
        actor=rival_user,
    )
    services.application_submit(application=second_licensee, actor=rival_user)
    second_licensee.refresh_from_db()
    assert (
        second_licensee.status == "submitted"
        and second_licensee.project not in (None, project)
        and SubsidyProject.objects.count() == 2
    )
    # the result alone now belongs to two projects: an application naming only it cannot pass
    straddling = apply(
        programme, "100000", results=[onboarded], partner=university, actor=enterprise_user
    )
    services.application_submit(application=straddling, actor=enterprise_user)
    straddling.refresh_from_db()
    assert straddling.status == "ineligible" and straddling.project is None
    text = services.eligibility_text(check(straddling, "project"))
    assert (
        text.startswith(
            "The results and the deal of this application belong to 2 different projects ("
        )
        and "naming its deal" in text
    )


@pytest.mark.django_db
def test_the_database_refuses_a_project_total_above_its_cap(funded):
    with pytest.raises(IntegrityError), transaction.atomic():
        SubsidyProject.objects.update(approved_cny=Decimal("5000000.01"))
    with pytest.raises(IntegrityError), transaction.atomic():
        SubsidyProject.objects.update(approved_cny=Decimal("-1"))


@pytest.mark.django_db
def test_the_recognition_number_names_one_project(
    funded, programme, deal, onboarded, confidential_result, university, enterprise_user, official
):
    elsewhere = apply(
        programme,
        "100000",
        results=[confidential_result],
        partner=university,
        actor=enterprise_user,
        title="另一个项目",
    )
    with pytest.raises(ValidationError) as exc:
        recognise(elsewhere, enterprise_user, official, "XH-2025-001")
    assert exc.value.messages == [
        "The recognition number XH-2025-001 already names another project: one number names one project."
    ]
    assert Application.objects.get(pk=elsewhere.pk).status == "under_review"
    services.application_recognise(
        application=elsewhere, recognition_number="XH-2025-002", actor=official
    )
    # a later application of the same project may carry its own number; the project keeps its name
    again = apply(
        programme,
        "500000",
        results=[onboarded],
        deal=deal,
        partner=university,
        actor=enterprise_user,
    )
    recognise(again, enterprise_user, official, "XH-2026-015")
    assert SubsidyProject.objects.get(pk=funded.project_id).recognition_number == "XH-2025-001"
    with pytest.raises(ValidationError):  # that number now names this project too
        services.application_recognise(
            application=Application.objects.get(pk=elsewhere.pk),
            recognition_number="XH-2026-015",
            actor=official,
        )


@pytest.mark.django_db
def test_a_draft_for_a_funded_project_shows_what_remains(
    client, funded, programme, deal, onboarded, university, enterprise_user
):
    draft = apply(
        programme,
        "3000000",
        results=[onboarded],
        deal=deal,
        partner=university,
        actor=enterprise_user,
    )
    client.force_login(enterprise_user)
    page = client.get(f"/en/subsidies/applications/{draft.pk}/").content.decode()
    assert (
        "This project already has ¥4,000,000.00 approved; ¥1,000,000.00 remains under the cap."
        in page
    )
    assert (
        "(this application would join it when submitted)" in page
        and "data-project-remaining>¥1,000,000.00<" in page
    )
    zh = client.get(f"/zh-hans/subsidies/applications/{draft.pk}/").content.decode()
    assert "该项目已获批 ¥4,000,000.00" in zh
    assert (
        '<th scope="col">费用项目</th>' in zh and "成本法" not in zh
    )  # a budget line's cost, not the valuation's cost approach


@pytest.mark.django_db
def test_the_dashboard_shows_each_project(
    client, funded, official, enterprise_user, manager, programme, other_university
):
    t1 = services.tranche_add(
        application=funded, milestone="Pilot line", amount_cny="1500000", actor=official
    )
    services.tranche_accept(tranche=t1, acceptance_note="checked", actor=official)
    services.tranche_pay(tranche=t1, paid_on=timezone.localdate(), actor=official)
    client.force_login(official)
    page = client.get("/en/subsidies/dashboard/").content.decode()
    project = SubsidyProject.objects.get()
    row = page[page.index(f'<tr data-project="{project.pk}">') :]
    row = row[: row.index("</tr>")]
    assert "XH-2025-001" in row and "¥5,000,000.00" in row
    assert (
        "data-project-approved>¥4,000,000.00<" in row
        and "data-project-paid>¥1,500,000.00<" in row
        and "data-project-remaining>¥1,000,000.00<" in row
    )
    assert client.get("/zh-hans/subsidies/dashboard/").status_code == 200
    # figures over the applications the viewer may see: another organisation sees none of this project
    other_user = make_user("inventor", other_university, username="other_applicant")
    assert project_rows(other_user) == []
    [mine] = project_rows(enterprise_user)
    assert (mine["approved_cny"], mine["paid_cny"], mine["remaining_cny"]) == (
        Decimal("4000000.00"),
        Decimal("1500000.00"),
        Decimal("1000000.00"),
    )
    client.force_login(enterprise_user)
    assert client.get("/en/subsidies/dashboard/").status_code == 404


@pytest.mark.django_db
def test_existing_applications_are_linked_to_their_projects_by_the_migration(
    programme,
    deal,
    onboarded,
    university,
    enterprise_user,
    official,
):
    first = apply(
        programme,
        "4000000",
        results=[onboarded],
        deal=deal,
        partner=university,
        actor=enterprise_user,
    )
    second = apply(
        programme,
        "3600000",
        results=[onboarded],
        deal=deal,
        partner=university,
        actor=enterprise_user,
    )
    draft = apply(
        programme, "100", results=[onboarded], deal=deal, partner=university, actor=enterprise_user
    )
    recognise(first, enterprise_user, official, "XH-1")
    recognise(second, enterprise_user, official, "XH-2")
    # as before the cap was kept per project: each approved against its own cap (7.6 million in all)
    Application.objects.filter(pk=first.pk).update(
        status="approved", approved_cny=Decimal("4000000")
    )
    Application.objects.filter(pk=second.pk).update(
        status="approved", approved_cny=Decimal("3600000")
    )
    Application.objects.update(project=None)
    SubsidyProject.objects.all().delete()
    migration = importlib.import_module(
        "opentto.subsidies.migrations.0004_link_existing_applications"
    )
    migration.link(django_apps, None)
    project = SubsidyProject.objects.get()
    assert set(project.applications.values_list("pk", flat=True)) == {first.pk, second.pk}
    assert Application.objects.get(pk=draft.pk).project is None
    assert (project.recognition_number, project.deal, project.cap_cny) == (
        "XH-1",
        deal,
        Decimal("5000000.00"),
    )
    assert (project.approved_cny, project.legacy_excess_cny, project.remaining_cny) == (
        Decimal("7600000.00"),
        Decimal("2600000.00"),
        Decimal("0.00"),
    )
    services.application_submit(
        application=draft, actor=enterprise_user
    )  # nothing remains: flagged and refused
    assert Application.objects.get(pk=draft.pk).status == "ineligible"
    [row] = project_rows(official)
    assert row["over"] and row["remaining_cny"] == Decimal("0.00")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_programmes_approving_one_project_at_the_same_moment_cannot_pass_its_cap(
    programme,
    deal,
    onboarded,
    university,
    enterprise_user,
    official,
):
    """Two budgets (two programmes), so only the project's row lock stands between them."""
    other = services.programme_create(
        code="second",
        kind="industrialisation",
        name_zh="第二个计划",
        name_en="Second",
        legal_basis_zh="《办法》",
        legal_basis_en="Measures",
        cap_per_project_cny="5000000",
        window_opens=dt.date(YEAR, 1, 1),
        window_closes=dt.date(YEAR, 12, 31),
        budgets=[(YEAR, "9000000")],
        actor=None,
    )
    a = apply(
        programme,
        "3000000",
        results=[onboarded],
        deal=deal,
        partner=university,
        actor=enterprise_user,
    )
    b = apply(
        other, "3000000", results=[onboarded], deal=deal, partner=university, actor=enterprise_user
    )
    recognise(a, enterprise_user, official, "XH-9")
    recognise(b, enterprise_user, official, "XH-9")
    second_official = make_user("official", username="official2")
    barrier = threading.Barrier(2)
    outcome: dict[str, str] = {}

    def approve(app, actor, key):
        from django.utils import translation

        translation.activate("en")
        try:
            barrier.wait()
            services.application_approve(application=app, amount_cny="3000000", actor=actor)
            outcome[key] = "approved"
        except ValidationError as exc:
            outcome[key] = " ".join(exc.messages)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=approve, args=(a, official, "a")),
        threading.Thread(target=approve, args=(b, second_official, "b")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcome.values()) == [
        "The amount is above what remains under the cap of the project over all its applications (2,000,000.00 yuan).",
        "approved",
    ]
    assert SubsidyProject.objects.get().approved_cny == Decimal("3000000.00")
    assert sum(b.approved_cny for b in ProgrammeBudget.objects.all()) == Decimal("3000000.00")


@pytest.mark.django_db
def test_approval_and_tranche_forms_posted_twice_act_once(client, funded, official):
    client.force_login(official)
    base = f"/en/subsidies/applications/{funded.pk}"
    for _ in range(2):
        assert (
            client.post(
                f"{base}/tranches/",
                {"milestone": "Pilot line", "amount_cny": "1000000", "idempotency_key": "t" * 32},
            ).status_code
            == 302
        )
    assert Tranche.objects.count() == 1
    held = client.post(
        f"{base}/tranches/",
        {"milestone": "Pilot line", "amount_cny": "1000000", "idempotency_key": "u" * 32},
    )
    assert held.status_code == 200 and Tranche.objects.count() == 1
    page = held.content.decode()
    assert (
        "An identical tranche (“Pilot line”, 1,000,000.00 yuan) is already planned as tranche 1. Confirm to plan it again."
        in page
    )
    assert 'name="confirm_duplicate"' in page and "u" * 32 in page
    client.post(
        f"{base}/tranches/",
        {
            "milestone": "Pilot line",
            "amount_cny": "1000000",
            "idempotency_key": "u" * 32,
            "confirm_duplicate": "on",
        },
    )
    assert Tranche.objects.count() == 2
    tranche = Tranche.objects.order_by("sequence").first()
    for _ in range(2):
        client.post(
            f"/en/subsidies/tranches/{tranche.pk}/accept/",
            {"acceptance_note": "Site check", "idempotency_key": "v" * 32},
        )
        client.post(
            f"/en/subsidies/tranches/{tranche.pk}/pay/",
            {"paid_on": timezone.localdate().isoformat(), "idempotency_key": "w" * 32},
        )
    assert AuditEvent.objects.filter(action="subsidy.tranche_accept").count() == 1
    assert AuditEvent.objects.filter(action="subsidy.tranche_pay").count() == 1
    page = client.get(f"{base}/").content.decode()
    assert "This form was already submitted at " in page and "already been accepted" not in page
