"""The closed gaps of issue #4: the rubric editor, individual scores in open rounds, the
IPscore-style profile with opportunities and risks, reviewers reading the result's attachments
after declaring, and the manager changing a round's deadline."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from opentto.core.models import AuditEvent
from opentto.core.pdf import extract_text
from opentto.evaluation.management.commands.rubrics import rubrics_as_json
from opentto.evaluation.models import (
    ReviewReminder,
    ReviewRound,
    ReviewRoundEvent,
    Rubric,
)
from opentto.evaluation.report import report_pdf
from opentto.evaluation.scoring import opportunity_risk, profile_points, round_statistics
from opentto.evaluation.services import (
    CriterionInput,
    review_assign,
    review_declare,
    review_reminders_send,
    review_save,
    round_cancel,
    round_change_deadline,
    round_finalise,
    rubric_revise,
)
from opentto.notifications.models import Notification
from opentto.results.models import Attachment, Result

from ..conftest import make_user
from .conftest import open_round, review, scores_for, trl_rubric, value_rubric

FINAL = dict(
    recommendation="proceed",
    transfer_modes=["licence"],
    strengths_zh="算法泛化能力强",
    risks_en="No pilot yet.",
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def login(client, user):  # type: ignore[no-untyped-def]
    client.force_login(user)
    return client


def editor_data(rubric: Rubric) -> dict[str, str]:
    """The editor's form as it comes, unchanged."""
    data = {
        "title_zh": rubric.title_zh,
        "title_en": rubric.title_en,
        "revision_note": "调整 / adjusted",
    }
    for c in rubric.criteria.all():
        p = f"c-{c.key}"
        data.update(
            {
                f"{p}-title_zh": c.title_zh,
                f"{p}-title_en": c.title_en,
                f"{p}-description_zh": c.description_zh,
                f"{p}-description_en": c.description_en,
                f"{p}-clause": c.clause,
                f"{p}-weight": str(c.weight),
            }
        )
        for purpose, value in (c.purpose_weights or {}).items():
            data[f"{p}-w-{purpose}"] = str(value)
    return data


# --- 1. the rubric editor ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_editor_is_for_admins_only(client, manager, reviewer_a, admin_user):
    rubric = value_rubric()
    url = reverse("evaluation:rubric_revise", args=[rubric.pk])
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    for user in (manager, reviewer_a):  # they read the rubric, may not revise it
        login(client, user)
        assert client.get(url).status_code == 403
        assert client.post(url, editor_data(rubric)).status_code == 403
    assert Rubric.objects.filter(key="result-value").count() == 1
    page = login(client, admin_user).get(url).content.decode()
    assert (
        'name="c-market_size-w-pledge"' in page and 'name="c-market_size-w-subsidy_review"' in page
    )
    assert 'name="c-market_size-remove"' in page and 'name="new-0-key"' in page
    # The TRL rubric is one criterion (the levels): nothing to add or remove.
    page = client.get(reverse("evaluation:rubric_revise", args=[trl_rubric().pk])).content.decode()
    assert 'name="new-0-key"' not in page and "-remove" not in page


@pytest.mark.django_db
def test_the_editor_adds_removes_and_reweighs_in_a_new_version_and_rounds_keep_theirs(
    client, admin_user, manager, in_evaluation, reviewer_a, reviewer_b
):
    v1 = value_rubric()
    finished = open_round(in_evaluation, manager)
    review(finished, reviewer_a, manager, 4)
    review(finished, reviewer_b, manager, 4)
    finished = round_finalise(
        review_round=ReviewRound.objects.get(pk=finished.pk),
        actor=manager,
        store_report=False,
        **FINAL,
    )
    running = open_round(in_evaluation, manager, purpose="pledge")
    running_weights = dict(running.weights)

    data = editor_data(v1)
    data["c-originality-title_en"] = "Originality and novelty"
    data["c-market_size-w-pledge"] = "0.300"
    data["c-market_size-w-subsidy_review"] = "0.200"
    data["c-social_benefit-remove"] = "on"
    data.update(
        {
            "new-0-key": "data_quality",
            "new-0-group_key": "technical",
            "new-0-title_zh": "数据质量",
            "new-0-title_en": "Data quality",
            "new-0-clause": "GB/T 44731-2024, first-level indicator: technical value; second-level criterion defined by OpenTTO",
            "new-0-weight": "0.050",
            "new-0-w-pledge": "0",
        }
    )
    response = login(client, admin_user).post(
        reverse("evaluation:rubric_revise", args=[v1.pk]), data
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    v2 = Rubric.objects.get(key="result-value", is_active=True)
    assert v2.version == 2 and response["Location"] == reverse("evaluation:rubric", args=[v2.pk])
    keys_v1 = list(v1.criteria.values_list("key", flat=True))
    keys_v2 = list(v2.criteria.values_list("key", flat=True))
    assert keys_v2 == [k for k in keys_v1 if k != "social_benefit"] + ["data_quality"]
    new = v2.criteria.get(key="data_quality")
    assert (new.group_key, new.group_en, new.purpose_weights, new.weight) == (
        "technical",
        "Technical value",
        {"pledge": "0.000"},
        Decimal("0.050"),
    )
    market = v2.criteria.get(key="market_size")
    assert market.purpose_weight("pledge") == Decimal("0.3") and market.purpose_weight(
        "subsidy_review"
    ) == Decimal("0.2")
    assert v2.criteria.get(key="originality").title_en == "Originality and novelty"
    # The old version is untouched, and both rounds still read it.
    v1.refresh_from_db()
    assert (
        not v1.is_active
        and "social_benefit" in keys_v1
        and v1.criteria.get(key="originality").title_en == "Originality"
    )
    finished.refresh_from_db()
    running.refresh_from_db()
    assert (
        finished.rubric_id == v1.pk
        and running.rubric_id == v1.pk
        and running.weights == running_weights
    )
    assert "social_benefit" in finished.weights and "社会效益" in extract_text(report_pdf(finished))
    audit = AuditEvent.objects.get(action="rubric.revise")
    assert audit.payload["added"] == ["data_quality"] and audit.payload["removed"] == [
        "social_benefit"
    ]
    # The command line shows the active versions.
    printed = next(r for r in rubrics_as_json() if r["key"] == "result-value")
    assert printed["version"] == 2
    added = next(c for c in printed["criteria"] if c["key"] == "data_quality")
    assert (
        added["clause"].startswith("GB/T 44731-2024")
        and added["weights_by_purpose"]["pledge"] == 0.0
    )
    assert added["weights_by_purpose"]["subsidy_review"] == 0.05
    assert not any(c["key"] == "social_benefit" for c in printed["criteria"])
    # A round opened now uses version 2 (once the running one is out of the way).
    round_cancel(review_round=running, reason="重开 / reopen", actor=manager)
    assert open_round(in_evaluation, manager, purpose="portfolio").rubric_id == v2.pk


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change, field, message",
    [
        (
            {"c-originality-title_en": ""},
            "c-originality-title_zh",
            "Give the criterion&#x27;s name in both languages.",
        ),
        (
            {"c-originality-clause": "  "},
            "c-originality-clause",
            "Say where in the standard the criterion comes from",
        ),
        ({"title_en": ""}, "title_zh", "Give the rubric&#x27;s title in both languages."),
        (
            {"c-originality-weight": "-1"},
            "c-originality-weight",
            "Ensure this value is greater than or equal to 0.",
        ),
        (
            {
                "new-0-key": "Bad Key",
                "new-0-group_key": "technical",
                "new-0-title_zh": "甲",
                "new-0-title_en": "A",
                "new-0-clause": "x",
                "new-0-weight": "0.1",
            },
            "new-0-key",
            "A key is 2 to 40 lower-case letters",
        ),
        (
            {
                "new-0-key": "fresh",
                "new-0-title_zh": "甲",
                "new-0-title_en": "A",
                "new-0-clause": "x",
                "new-0-weight": "0.1",
            },
            "new-0-group_key",
            "Choose the criterion&#x27;s dimension.",
        ),
        (
            {
                "new-0-key": "originality",
                "new-0-group_key": "technical",
                "new-0-title_zh": "甲",
                "new-0-title_en": "A",
                "new-0-clause": "x",
                "new-0-weight": "0.1",
            },
            "new-0-key",
            "Two criteria have the same key.",
        ),
    ],
)
def test_the_editor_refuses_invalid_input_with_clear_errors_and_changes_nothing(
    client, admin_user, change, field, message
):
    rubric = value_rubric()
    data = {**editor_data(rubric), **change}
    response = login(client, admin_user).post(
        reverse("evaluation:rubric_revise", args=[rubric.pk]), data
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert message in page
    assert f'data-field="{field}"' in page
    assert (
        Rubric.objects.filter(key="result-value").count() == 1
        and not AuditEvent.objects.filter(action="rubric.revise").exists()
    )


@pytest.mark.django_db
def test_every_purpose_needs_a_weight_and_the_trl_rubric_stays_one_criterion(client, admin_user):
    rubric = value_rubric()
    data = editor_data(rubric)
    for c in rubric.criteria.all():
        data[f"c-{c.key}-w-pledge"] = "0"
    response = login(client, admin_user).post(
        reverse("evaluation:rubric_revise", args=[rubric.pk]), data
    )
    assert response.status_code == 422
    assert (
        "For “IP pledge financing”, at least one criterion needs a weight above 0."
        in response.content.decode()
    )
    trl = trl_rubric()
    c = trl.criteria.get()
    keep = CriterionInput(
        key=c.key, title_zh=c.title_zh, title_en=c.title_en, weight=c.weight, clause=c.clause
    )
    extra = CriterionInput(
        key="extra",
        title_zh="附加",
        title_en="Extra",
        weight=Decimal("1"),
        clause="x",
        group_key="trl",
    )
    with pytest.raises(ValidationError) as exc:
        rubric_revise(
            rubric=trl,
            criteria=[keep, extra],
            title_zh=trl.title_zh,
            title_en=trl.title_en,
            revision_note="x",
            actor=admin_user,
            complete=True,
        )
    assert "criteria-1-key" in exc.value.message_dict
    with pytest.raises(ValidationError):
        rubric_revise(
            rubric=trl,
            criteria=[],
            title_zh=trl.title_zh,
            title_en=trl.title_en,
            revision_note="x",
            actor=admin_user,
            complete=True,
        )
    assert Rubric.objects.filter(key__in=["result-value", "trl"]).count() == 2


# --- 2. individual scores -------------------------------------------------------------------------------


def _three_reviewers(manager, result, reviewer_a, reviewer_b, expert_org, *, blind):  # type: ignore[no-untyped-def]
    from opentto.accounts.models import UserRoleChoices

    reviewer_c = make_user(
        UserRoleChoices.REVIEWER, expert_org, username="rev_c", first_name="Cai", last_name="Sun"
    )
    review_round = open_round(result, manager, is_blind=blind)
    c = review_assign(review_round=review_round, reviewer=reviewer_c, actor=manager)
    review_declare(assignment=c, has_conflict=False, actor=reviewer_c)
    a = review(review_round, reviewer_a, manager, 4, {"market_size": 5})
    b = review(review_round, reviewer_b, manager, 3, {"market_size": 2})
    review_round.refresh_from_db()
    assert review_round.status == "open"
    return review_round, a, b, c, reviewer_c


@pytest.mark.django_db
def test_in_an_open_round_reviewers_who_submitted_and_the_manager_see_each_reviewers_scores(
    client, manager, in_evaluation, reviewer_a, reviewer_b, expert_org
):
    review_round, a, b, c, reviewer_c = _three_reviewers(
        manager, in_evaluation, reviewer_a, reviewer_b, expert_org, blind=False
    )
    page = login(client, reviewer_a).get(reverse("evaluation:review", args=[a.pk])).content.decode()
    assert "Individual scores" in page and ">You<" in page and "Reviewer 2" in page
    market_row = page.split("individual-scores")[1].split("Market size")[1].split("</tr>")[0]
    assert [cell.split("<")[0] for cell in market_row.split('<td class="num">')[1:]] == [
        "5",
        "2",
        "3.50",
    ]
    assert (
        "Qian" not in page and "rev_b" not in page
    )  # reviewers see numbers, not each other's names
    # A reviewer who has not submitted sees nothing of the others.
    page = login(client, reviewer_c).get(reverse("evaluation:review", args=[c.pk])).content.decode()
    assert "Individual scores" not in page and "The panel" not in page
    # The manager sees every reviewer by name.
    page = (
        login(client, manager)
        .get(reverse("evaluation:round", args=[review_round.pk]))
        .content.decode()
    )
    assert "Individual scores" in page and "Ada Zhao" in page and "Bo Qian" in page


@pytest.mark.django_db
def test_a_blind_round_keeps_scores_hidden_from_reviewers_and_inventors_never_see_names(
    client, manager, inventor, in_evaluation, reviewer_a, reviewer_b, expert_org
):
    review_round, a, b, c, reviewer_c = _three_reviewers(
        manager, in_evaluation, reviewer_a, reviewer_b, expert_org, blind=True
    )
    page = login(client, reviewer_a).get(reverse("evaluation:review", args=[a.pk])).content.decode()
    assert "Individual scores" not in page and "The panel" not in page
    page = (
        login(client, manager)
        .get(reverse("evaluation:round", args=[review_round.pk]))
        .content.decode()
    )
    assert "Individual scores" in page and "Bo Qian" in page
    review_save(assignment=c, scores=scores_for(review_round, 4), actor=reviewer_c, submit=True)
    review_round.refresh_from_db()
    if review_round.status == "consensus":
        from opentto.evaluation.services import round_accept_spread

        round_accept_spread(review_round=review_round, note="ok", actor=manager)
    round_finalise(review_round=ReviewRound.objects.get(pk=review_round.pk), actor=manager, **FINAL)
    page = (
        login(client, inventor)
        .get(reverse("evaluation:report", args=[review_round.pk]))
        .content.decode()
    )
    assert "Reviewer 1" in page
    for name in ("Ada", "Zhao", "Qian", "Cai", "rev_a", "rev_b", "rev_c"):
        assert name not in page, name


# --- 3. the IPscore-style profile -------------------------------------------------------------------------


@pytest.mark.django_db
def test_profile_and_opportunities_and_risks_on_the_page_and_in_the_pdf(
    client, manager, inventor, in_evaluation, reviewer_a, reviewer_b
):
    review_round = open_round(in_evaluation, manager)
    review(
        review_round, reviewer_a, manager, 3, {"market_size": 5, "advancement": 5, "originality": 1}
    )
    review(
        review_round, reviewer_b, manager, 3, {"market_size": 4, "advancement": 5, "originality": 2}
    )
    finalised = round_finalise(
        review_round=ReviewRound.objects.get(pk=review_round.pk), actor=manager, **FINAL
    )
    stats = round_statistics(finalised)
    view = opportunity_risk(stats)
    assert (view.high_from, view.low_to) == (Decimal("4.00"), Decimal("2.00"))
    assert [c.criterion.key for c in view.opportunities] == ["advancement", "market_size"]
    assert [c.criterion.key for c in view.risks] == ["originality"]
    assert len(view.middle) == len(stats.criteria) - 3
    profile = profile_points(stats)
    assert len(profile["points"]) == len(stats.groups)  # type: ignore[arg-type]
    assert [t["value"] for t in profile["ticks"]] == [1, 2, 3, 4, 5]  # type: ignore[index]
    page = (
        login(client, inventor)
        .get(reverse("evaluation:report", args=[finalised.pk]))
        .content.decode()
    )
    assert "Profile and opportunities / risks" in page and "<polyline" in page
    opportunities = page.split('class="opportunities"')[1].split("</section>")[0]
    risks = page.split('class="risks"')[1].split("</section>")[0]
    assert (
        "Technical advancement" in opportunities
        and "Market size" in opportunities
        and "Originality" not in opportunities
    )
    assert "Originality" in risks and "Market size" not in risks
    text = extract_text(report_pdf(finalised))
    assert "机会与风险" in text and "优势与机会" in text
    after = text.split("机会与风险")[1].split("指标得分")[0]
    assert "原创性" in after and "技术先进性" in after


# --- 4. attachments for declared reviewers ---------------------------------------------------------------


def _attachment(result: Result, manager) -> Attachment:  # type: ignore[no-untyped-def]
    a = Attachment(
        result=result,
        original_name="drawing.pdf",
        content_type="application/pdf",
        size=len(PDF),
        sha256="0" * 64,
        uploaded_by=manager,
    )
    a.file.save("drawing.pdf", ContentFile(PDF), save=False)
    a.save()
    return a


@pytest.mark.django_db
def test_reviewers_download_the_results_attachments_only_once_declared(
    client, manager, confidential_result, reviewer_a, reviewer_b, enterprise_user
):
    attachment = _attachment(confidential_result, manager)
    url = reverse("results:attachment", args=[attachment.pk])
    review_round = open_round(confidential_result, manager, purpose="pre_filing")
    a = review_assign(review_round=review_round, reviewer=reviewer_a, actor=manager)
    b = review_assign(review_round=review_round, reviewer=reviewer_b, actor=manager)
    assert client.get(url).status_code == 302  # anonymous: sign in
    login(client, reviewer_a)
    assert client.get(url).status_code == 404  # assigned, not yet declared
    assert (
        "drawing.pdf" not in client.get(reverse("evaluation:review", args=[a.pk])).content.decode()
    )
    review_declare(assignment=a, has_conflict=False, actor=reviewer_a)
    page = client.get(reverse("evaluation:review", args=[a.pk])).content.decode()
    assert f'href="{url}"' in page
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert AuditEvent.objects.filter(action="attachment.download", actor=reviewer_a).count() == 1
    # Another reviewer: declared a conflict, or simply not assigned; an enterprise: refused.
    review_declare(assignment=b, has_conflict=True, statement="前同事", actor=reviewer_b)
    for user in (reviewer_b, enterprise_user, make_user("reviewer", None, username="rev_x")):
        assert login(client, user).get(url).status_code == 404
        assert not AuditEvent.objects.filter(action="attachment.download", actor=user).exists()
    # A cancelled round takes the access away.
    round_cancel(review_round=review_round, reason="撤回", actor=manager)
    assert login(client, reviewer_a).get(url).status_code == 404
    assert not Result.objects.restrict(reviewer_a, "view_details").exists()


# --- 5. changing the deadline ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_manager_moves_the_deadline_and_the_reminders_follow(
    manager, in_evaluation, reviewer_a, reviewer_b
):
    today = timezone.localdate()
    review_round = open_round(in_evaluation, manager, deadline=today + dt.timedelta(days=2))
    a = review_assign(review_round=review_round, reviewer=reviewer_a, actor=manager)
    assert review_reminders_send(today=today + dt.timedelta(days=3)) == {
        "due_soon": 0,
        "overdue": 1,
    }
    new = today + dt.timedelta(days=20)
    round_change_deadline(review_round=review_round, deadline=new, reason="专家出差", actor=manager)
    review_round.refresh_from_db()
    assert review_round.deadline == new and not ReviewReminder.objects.filter(assignment=a).exists()
    event = ReviewRoundEvent.objects.get(review_round=review_round, kind="deadline_changed")
    assert event.payload == {
        "from": (today + dt.timedelta(days=2)).isoformat(),
        "to": new.isoformat(),
        "reason": "专家出差",
    }
    audit = AuditEvent.objects.get(action="evaluation.change_deadline")
    assert audit.payload["to"] == new.isoformat() and audit.payload["reminders_cleared"] == 1
    assert (
        Notification.objects.filter(
            recipient=reviewer_a, kind="evaluation.deadline_changed"
        ).count()
        == 1
    )
    # The reminders now follow the new deadline.
    assert review_reminders_send(today=today + dt.timedelta(days=3)) == {
        "due_soon": 0,
        "overdue": 0,
    }
    assert review_reminders_send(today=new - dt.timedelta(days=2)) == {"due_soon": 1, "overdue": 0}
    assert review_reminders_send(today=new + dt.timedelta(days=1)) == {"due_soon": 0, "overdue": 1}


@pytest.mark.django_db
@pytest.mark.parametrize("days", [-1, 0])
def test_a_deadline_in_the_past_or_today_is_refused_and_nothing_changes(
    manager, in_evaluation, reviewer_a, days
):
    review_round = open_round(in_evaluation, manager)
    before = review_round.deadline
    with pytest.raises(ValidationError) as exc:
        round_change_deadline(
            review_round=review_round,
            deadline=timezone.localdate() + dt.timedelta(days=days),
            actor=manager,
        )
    assert exc.value.message_dict["deadline"] == ["The deadline must be after today."]
    review_round.refresh_from_db()
    assert review_round.deadline == before
    assert not AuditEvent.objects.filter(action="evaluation.change_deadline").exists()
    with pytest.raises(PermissionError):
        round_change_deadline(
            review_round=review_round, deadline=before + dt.timedelta(days=5), actor=reviewer_a
        )


@pytest.mark.django_db
def test_the_deadline_form_on_the_round_page(client, manager, reviewer_a, in_evaluation, inventor):
    review_round = open_round(in_evaluation, manager)
    before = review_round.deadline
    url = reverse("evaluation:deadline", args=[review_round.pk])
    new = (before + dt.timedelta(days=7)).isoformat()
    response = client.post(url, {"deadline-deadline": new})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    for user in (reviewer_a, inventor):
        assert login(client, user).post(url, {"deadline-deadline": new}).status_code == 404
    review_round.refresh_from_db()
    assert review_round.deadline == before
    login(client, manager)
    assert (
        "Change the deadline"
        in client.get(reverse("evaluation:round", args=[review_round.pk])).content.decode()
    )
    response = client.post(
        url, {"deadline-deadline": (timezone.localdate() - dt.timedelta(days=1)).isoformat()}
    )
    assert (
        response.status_code == 422
        and "The deadline must be after today." in response.content.decode()
    )
    review_round.refresh_from_db()
    assert review_round.deadline == before
    response = client.post(url, {"deadline-deadline": new, "deadline-reason": "延期"})
    assert response.status_code == 302
    review_round.refresh_from_db()
    assert review_round.deadline.isoformat() == new
    # A finalised round keeps its deadline.
    review_round.status = "cancelled"
    review_round.save(update_fields=["status"])
    with pytest.raises(ValidationError):
        round_change_deadline(
            review_round=review_round, deadline=before + dt.timedelta(days=30), actor=manager
        )
