"""Subsidies: eligibility explained, approval within cap / eligible share / remaining budget (in
the service, in the database and under concurrent approvals), tranches, and who sees what."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from opentto.core.models import AuditEvent
from opentto.evaluation.models import Rubric
from opentto.evaluation.services import (
    ScoreInput,
    review_declare,
    review_save,
    round_finalise,
)
from opentto.subsidies import services
from opentto.subsidies.models import Application, ProgrammeBudget, Tranche

from ..conftest import make_user
from ..factories import EnterpriseFactory

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
YEAR = timezone.localdate().year


def doc():
    return SimpleUploadedFile("quote.pdf", PDF, content_type="application/pdf")


@pytest.fixture
def programme(db):
    return services.programme_create(
        code="xuhui",
        kind="industrialisation",
        name_zh="徐汇区成果转化支持",
        name_en="Xuhui",
        legal_basis_zh="《徐汇区关于促进科技成果转移转化的实施意见》",
        legal_basis_en="Xuhui opinions",
        cap_per_project_cny="5000000",
        eligible_share_cap="0.5",
        window_opens=dt.date(YEAR, 1, 1),
        window_closes=dt.date(YEAR, 12, 31),
        budgets=[(YEAR, "9000000")],
        actor=None,
    )


def apply(programme, applicant, partner, result, requested, costs, actor):
    return services.application_create(
        programme=programme,
        applicant=applicant,
        partners=[partner],
        results=[result],
        project_title_zh="产业化项目",
        requested_cny=requested,
        budget_lines=[services.BudgetLineInput("equipment", "Pilot line", costs, doc())],
        actor=actor,
        year=YEAR,
    )


def finalised_review(app, manager, reviewer, score=4, recommendation="proceed"):
    """The application's expert review through the evaluation services: open, score, finalise."""
    review_round = services.application_review_open(
        application=app,
        rubric=Rubric.objects.get(key="result-value", is_active=True),
        deadline=timezone.localdate() + dt.timedelta(days=14),
        reviewers=[reviewer],
        min_reviews=1,
        actor=manager,
    )
    assignment = review_round.assignments.get()
    review_declare(assignment=assignment, has_conflict=False, actor=reviewer)
    review_save(
        assignment=assignment,
        scores={k: ScoreInput(score, "test data") for k in review_round.weights},
        actor=reviewer,
        submit=True,
    )
    return round_finalise(
        review_round=review_round,
        recommendation=recommendation,
        transfer_modes=["licence"] if recommendation == "proceed" else [],
        strengths_en="Mature pilot line",
        risks_en="Cost of production",
        actor=manager,
        store_report=False,
    )


def to_recognised(app, official, reviewer):
    manager = make_user("manager", username=f"m{app.pk}")
    services.application_submit(application=app, actor=manager)
    services.application_start_review(application=app, actor=official)
    finalised_review(app, manager, reviewer)
    return services.application_recognise(
        application=app, recognition_number=f"XH-{app.pk}", actor=official
    )


@pytest.fixture
def recognised(
    programme, enterprise_org, enterprise_user, university, onboarded, official, reviewer
):
    return apply(
        programme, enterprise_org, university, onboarded, "5000000", "20000000", enterprise_user
    )


@pytest.mark.django_db
def test_eligibility_explains_each_pass_and_fail(
    programme, enterprise_org, enterprise_user, onboarded, other_university
):
    app = services.application_create(
        programme=programme,
        applicant=enterprise_org,
        project_title_zh="x",
        requested_cny="6000000",
        budget_lines=[services.BudgetLineInput("equipment", "Kit", "1000000")],
        actor=enterprise_user,
        year=YEAR,
    )
    services.application_submit(application=app, actor=enterprise_user)
    app.refresh_from_db()
    assert app.status == "ineligible"
    checks = {c["key"]: c["passed"] for c in app.eligibility}
    assert checks == {
        "window": True,
        "applicant": True,
        "research_partner": False,
        "enterprise_partner": True,
        "results": False,
        "budget": False,
        "cap": False,
        "share": False,
        "budget_year": True,
    }
    cap = next(c for c in app.eligibility if c["key"] == "cap")
    assert (
        services.eligibility_text(cap)
        == "The amount requested (6,000,000.00 yuan) is at most the cap per project (5,000,000.00 yuan)."
    )


@pytest.mark.django_db
def test_approval_is_refused_above_cap_share_request_and_budget(recognised, official, reviewer):
    app = to_recognised(recognised, official, reviewer)
    assert (app.cap_cny, app.share_cap_cny) == (Decimal("5000000.00"), Decimal("10000000.00"))
    events = AuditEvent.objects.count()
    for amount, limit in (("5000000.01", "cap per project"),):
        with pytest.raises(ValidationError) as exc:
            services.application_approve(application=app, amount_cny=amount, actor=official)
        assert limit in " ".join(exc.value.messages)
    assert (
        Application.objects.get(pk=app.pk).status == "recognised"
        and AuditEvent.objects.count() == events
    )
    assert ProgrammeBudget.objects.get().approved_cny == 0
    services.application_approve(application=app, amount_cny="5000000", actor=official)
    assert ProgrammeBudget.objects.get().approved_cny == Decimal("5000000.00")


@pytest.mark.django_db
def test_eligible_share_and_remaining_budget_bind(
    programme, enterprise_org, enterprise_user, university, onboarded, official, reviewer
):
    small = to_recognised(
        apply(
            programme, enterprise_org, university, onboarded, "800000", "1600000", enterprise_user
        ),
        official,
        reviewer,
    )
    assert small.share_cap_cny == Decimal("800000.00")
    with pytest.raises(ValidationError) as exc:
        services.application_approve(application=small, amount_cny="800000.01", actor=official)
    assert "eligible share" in " ".join(exc.value.messages)
    ProgrammeBudget.objects.update(approved_cny=Decimal("8500000"))  # 500,000 left
    with pytest.raises(ValidationError) as exc:
        services.application_approve(application=small, amount_cny="500000.01", actor=official)
    assert "remaining budget" in " ".join(exc.value.messages)
    services.application_approve(application=small, amount_cny="500000", actor=official)
    assert ProgrammeBudget.objects.get().remaining_cny == 0


@pytest.mark.django_db
def test_the_database_refuses_amounts_above_the_caps_and_the_budget(recognised, official, reviewer):
    app = to_recognised(recognised, official, reviewer)
    with pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.filter(pk=app.pk).update(approved_cny=Decimal("5000000.01"))
    with pytest.raises(IntegrityError), transaction.atomic():
        ProgrammeBudget.objects.update(approved_cny=Decimal("9000000.01"))


@pytest.mark.django_db
def test_tranches_in_order_after_acceptance_then_disbursed(recognised, official, reviewer):
    app = services.application_approve(
        application=to_recognised(recognised, official, reviewer),
        amount_cny="3000000",
        actor=official,
    )
    t1 = services.tranche_add(
        application=app, milestone="Pilot line", amount_cny="1000000", actor=official
    )
    t2 = services.tranche_add(
        application=app, milestone="Delivery", amount_cny="2000000", actor=official
    )
    with pytest.raises(ValidationError):
        services.tranche_add(application=app, milestone="More", amount_cny="0.01", actor=official)
    with pytest.raises(ValidationError):
        services.tranche_pay(
            tranche=t1, paid_on=timezone.localdate(), actor=official
        )  # not accepted
    services.tranche_accept(tranche=t2, acceptance_note="checked", actor=official)
    with pytest.raises(ValidationError):
        services.tranche_pay(tranche=t2, paid_on=timezone.localdate(), actor=official)  # t1 first
    services.tranche_accept(tranche=t1, acceptance_note="checked", actor=official)
    services.tranche_pay(tranche=t1, paid_on=timezone.localdate(), actor=official)
    services.tranche_pay(
        tranche=Tranche.objects.get(pk=t2.pk), paid_on=timezone.localdate(), actor=official
    )
    app.refresh_from_db()
    assert app.status == "disbursed" and app.disbursed_cny == Decimal("3000000.00")


@pytest.mark.django_db
def test_an_enterprise_sees_only_its_own_applications(
    client, programme, enterprise_org, enterprise_user, university, onboarded, official, inventor
):
    mine = apply(programme, enterprise_org, university, onboarded, "100", "1000", enterprise_user)
    other_org = EnterpriseFactory()
    theirs = apply(
        programme,
        other_org,
        university,
        onboarded,
        "100",
        "1000",
        make_user("enterprise", other_org, username="other_ent"),
    )
    client.force_login(enterprise_user)
    listed = client.get("/en/subsidies/applications/").content.decode()
    assert mine.project_title in listed and f"/subsidies/applications/{theirs.pk}/" not in listed
    assert client.get(f"/en/subsidies/applications/{theirs.pk}/").status_code == 404
    assert client.post(f"/en/subsidies/applications/{theirs.pk}/submit/").status_code == 404
    assert Application.objects.get(pk=theirs.pk).status == "draft"
    # an enterprise cannot approve its own: 403 and nothing changes
    assert client.post(
        f"/en/subsidies/applications/{mine.pk}/approve/", {"amount_cny": "1"}
    ).status_code in (302, 403)
    assert Application.objects.get(pk=mine.pk).approved_cny is None
    client.logout()
    assert client.get(f"/en/subsidies/applications/{mine.pk}/").status_code == 302  # to sign in
    client.force_login(official)
    assert client.get(f"/en/subsidies/applications/{theirs.pk}/").status_code == 200
    assert client.get("/en/subsidies/dashboard/").status_code == 200
    client.force_login(inventor)  # the university is a partner, not the applicant
    assert client.get(f"/en/subsidies/applications/{mine.pk}/").status_code == 404


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_officials_approving_at_the_same_moment_cannot_overspend(
    programme,
    enterprise_org,
    enterprise_user,
    university,
    onboarded,
    confidential_result,
    official,
    reviewer,
):
    ProgrammeBudget.objects.update(budget_cny=Decimal("6000000"))
    # two projects (different results): only the budget binds them both
    a = to_recognised(
        apply(
            programme, enterprise_org, university, onboarded, "4000000", "20000000", enterprise_user
        ),
        official,
        reviewer,
    )
    b = to_recognised(
        apply(
            programme,
            enterprise_org,
            university,
            confidential_result,
            "4000000",
            "20000000",
            enterprise_user,
        ),
        official,
        reviewer,
    )
    second_official = make_user("official", username="official2")
    barrier = threading.Barrier(2)
    outcome: dict[str, str] = {}

    def approve(app, actor, key):
        from django.utils import translation

        translation.activate("en")  # the active language is per thread
        try:
            barrier.wait()
            services.application_approve(application=app, amount_cny="4000000", actor=actor)
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
    values = list(outcome.values())
    assert len(values) == 2 and values.count("approved") == 1
    refused = next(v for v in values if v != "approved")
    assert refused == "The amount is above the remaining budget for the year (2,000,000.00 yuan)."
    assert ProgrammeBudget.objects.get().approved_cny == Decimal("4000000.00")
    assert Application.objects.filter(status="approved").count() == 1
