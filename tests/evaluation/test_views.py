import io
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from opentto.accounts.models import User, UserRoleChoices
from opentto.core.models import AuditEvent
from opentto.core.pdf import extract_text
from opentto.evaluation.models import ReviewAssignment, ReviewRound
from opentto.evaluation.services import review_assign, review_declare, round_finalise

from ..conftest import PASSWORD, make_user
from .conftest import open_round, review

FINAL = dict(
    recommendation="proceed",
    transfer_modes=["licence", "equity"],
    strengths_zh="算法泛化能力强",
    strengths_en="Generalises across arms.",
    risks_zh="缺少中试",
    risks_en="No pilot yet.",
)


def login(client, user):  # type: ignore[no-untyped-def]
    client.force_login(user)
    return client


@pytest.fixture
def finalised(manager, in_evaluation, reviewer_a, reviewer_b) -> ReviewRound:  # type: ignore[no-untyped-def]
    review_round = open_round(in_evaluation, manager)
    review(review_round, reviewer_a, manager, 4, {"market_size": 5})
    review(review_round, reviewer_b, manager, 3, {"market_size": 4})
    review_round.refresh_from_db()
    assert review_round.status == "scored"
    return round_finalise(review_round=review_round, actor=manager, **FINAL)


def _pdf_text(data: bytes) -> str:
    return extract_text(data)


@pytest.mark.django_db
def test_the_pdf_report_has_the_chinese_criterion_names_and_the_scores(client, manager, finalised):
    response = login(client, manager).get(reverse("evaluation:report_pdf", args=[finalised.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = _pdf_text(b"".join(response.streaming_content))
    for name in (
        "技术先进性",
        "市场规模与需求",
        "转化评价报告",
        "科学价值",
        "推进至运营策划",
        "算法泛化能力强",
    ):
        assert name in text, name
    assert "4.50" in text  # market size: mean of 5 and 4
    assert f"{finalised.overall_score}/100" in text
    assert (
        "Reviewer1" in text and "rev_a" not in text and "Zhao" not in text
    )  # reviewers are numbered, never named
    assert (
        AuditEvent.objects.filter(
            action="evaluation.report_download", object_id=str(finalised.pk)
        ).count()
        == 1
    )


@pytest.mark.django_db
def test_the_report_is_reproducible_from_the_stored_scores(finalised):
    from opentto.evaluation.report import report_pdf

    with finalised.report_file.open("rb") as handle:
        stored = handle.read()
    assert _pdf_text(report_pdf(ReviewRound.objects.get(pk=finalised.pk))) == _pdf_text(stored)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "who,status",
    [
        ("manager", 200),
        ("inventor", 200),
        ("enterprise_user", 404),
        ("other_inventor", 404),
        ("reviewer_a", 404),
        ("investor", 404),
        ("official", 404),
    ],
)
def test_who_reaches_the_report(client, request, finalised, who, status):
    user = request.getfixturevalue(who)
    login(client, user)
    assert client.get(reverse("evaluation:report", args=[finalised.pk])).status_code == status
    assert client.get(reverse("evaluation:report_pdf", args=[finalised.pk])).status_code == status
    if status == 404:
        assert not AuditEvent.objects.filter(
            action__startswith="evaluation.report", actor=user
        ).exists()


@pytest.mark.django_db
def test_anonymous_is_sent_to_sign_in(client, finalised):
    response = client.get(reverse("evaluation:report_pdf", args=[finalised.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_inventors_never_see_reviewer_identities(client, inventor, finalised, reviewer_a):
    page = (
        login(client, inventor)
        .get(reverse("evaluation:report", args=[finalised.pk]))
        .content.decode()
    )
    assert "Reviewer 1" in page or "专家" in page or "评审专家 1" in page
    assert reviewer_a.last_name not in page and reviewer_a.username not in page
    result_page = client.get(reverse("results:detail", args=[finalised.result_id])).content.decode()
    assert reviewer_a.last_name not in result_page


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["enterprise_user", "inventor", "reviewer_a", "official"])
def test_round_pages_and_actions_are_refused_to_others_and_nothing_changes(
    client, request, manager, in_evaluation, reviewer_b, who
):
    review_round = open_round(in_evaluation, manager)
    login(client, request.getfixturevalue(who))
    assert client.get(reverse("evaluation:round", args=[review_round.pk])).status_code in (404, 302)
    assert (
        client.post(
            reverse("evaluation:assign", args=[review_round.pk]), {"assign-reviewer": reviewer_b.pk}
        ).status_code
        == 404
    )
    assert (
        client.post(
            reverse("evaluation:cancel", args=[review_round.pk]), {"cancel-reason": "x"}
        ).status_code
        == 404
    )
    # the result is visible to them (public, or their organisation's): opening a round is refused with 403
    assert client.post(reverse("evaluation:open", args=[in_evaluation.pk]), {}).status_code == 403
    assert not ReviewAssignment.objects.exists()
    review_round.refresh_from_db()
    assert review_round.status == "open"
    assert ReviewRound.objects.count() == 1


@pytest.mark.django_db
def test_manager_opens_a_round_and_assigning_an_insider_shows_the_reason(
    client, manager, in_evaluation, university
):
    login(client, manager)
    response = client.post(
        reverse("evaluation:open", args=[in_evaluation.pk]),
        {
            "round-rubric": "",
            "round-purpose": "transfer",
            "round-deadline": "2099-01-31",
            "round-spread_threshold": "2",
            "round-min_reviews": "2",
        },
    )
    assert response.status_code == 302 and not ReviewRound.objects.exists()
    from opentto.evaluation.models import Rubric

    rubric = Rubric.objects.get(key="patent-value", is_active=True)
    response = client.post(
        reverse("evaluation:open", args=[in_evaluation.pk]),
        {
            "round-rubric": rubric.pk,
            "round-purpose": "transfer",
            "round-deadline": "2099-01-31",
            "round-spread_threshold": "1.5",
            "round-min_reviews": "2",
            "round-is_blind": "on",
        },
    )
    review_round = ReviewRound.objects.get()
    assert response["Location"] == reverse("evaluation:round", args=[review_round.pk])
    assert review_round.is_blind and str(review_round.spread_threshold) == "1.50"
    insider = make_user(UserRoleChoices.REVIEWER, university, username="insider", last_name="Nei")
    response = client.post(
        reverse("evaluation:assign", args=[review_round.pk]), {"assign-reviewer": insider.pk}
    )
    assert response.status_code == 422
    assert "an owner of this result" in response.content.decode()
    assert not ReviewAssignment.objects.exists()


@pytest.mark.django_db
def test_a_reviewer_sees_confidential_details_only_after_declaring_no_conflict(
    client, manager, in_evaluation, reviewer_a, reviewer_b
):
    review_round = open_round(in_evaluation, manager)
    assignment = review_assign(review_round=review_round, reviewer=reviewer_a, actor=manager)
    url = reverse("evaluation:review", args=[assignment.pk])
    login(client, reviewer_b)
    assert client.get(url).status_code == 404  # not theirs
    login(client, reviewer_a)
    page = client.get(url).content.decode()
    assert "secret" not in page and "Policy network architecture" not in page
    assert not AuditEvent.objects.filter(action="result.view_details", actor=reviewer_a).exists()
    # The result page itself stays closed to a reviewer (confidential details are not theirs there).
    assert (
        "Policy network architecture"
        not in client.get(reverse("results:detail", args=[in_evaluation.pk])).content.decode()
    )
    response = client.post(
        reverse("evaluation:declare", args=[assignment.pk]), {"has_conflict": "no"}
    )
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "Policy network architecture" in page or "策略网络结构" in page
    assert AuditEvent.objects.filter(
        action="result.view_details", actor=reviewer_a, object_id=str(in_evaluation.pk)
    ).exists()
    from opentto.evaluation.selectors import results_for_reviewer

    assert list(results_for_reviewer(reviewer_a)) == [in_evaluation]
    assert list(results_for_reviewer(reviewer_b)) == []


@pytest.mark.django_db
def test_a_reviewer_scores_through_the_page(client, manager, in_evaluation, reviewer_a):
    from opentto.evaluation.models import Rubric

    review_round = open_round(
        in_evaluation, manager, rubric=Rubric.objects.get(key="trl"), min_reviews=1
    )
    assignment = review_assign(review_round=review_round, reviewer=reviewer_a, actor=manager)
    review_declare(assignment=assignment, has_conflict=False, actor=reviewer_a)
    login(client, reviewer_a)
    url = reverse("evaluation:review", args=[assignment.pk])
    response = client.post(url, {"score-trl": "6", "justification-trl": "", "action": "submit"})
    assert response.status_code == 422
    assert (
        "State the evidence for the level." in response.content.decode()
        or "证据" in response.content.decode()
    )
    pdf = io.BytesIO(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    pdf.name = "pilot-report.pdf"
    response = client.post(
        url,
        {
            "score-trl": "6",
            "justification-trl": "现场试运行报告",
            "evidence-trl": pdf,
            "action": "submit",
        },
    )
    assert response.status_code == 302
    assignment.refresh_from_db()
    assert assignment.status == "submitted"
    score = assignment.scores.get()
    assert (score.score, score.evidence.count()) == (6, 1)
    review_round.refresh_from_db()
    assert review_round.status == "scored"
    assert (
        client.get(reverse("evaluation:evidence", args=[score.evidence.get().pk])).status_code
        == 200
    )


@pytest.mark.django_db
def test_an_external_expert_is_invited_by_email_and_sets_a_password(
    client, manager, in_evaluation, django_capture_on_commit_callbacks
):
    review_round = open_round(in_evaluation, manager)
    login(client, manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("evaluation:invite", args=[review_round.pk]),
            {
                "invite-email": "Expert@Example.org",
                "invite-last_name": "Sun",
                "invite-first_name": "Li",
            },
        )
    assert response.status_code == 302
    expert = User.objects.get(email="expert@example.org")
    assert expert.role == "reviewer" and not expert.has_usable_password()
    assert ReviewAssignment.objects.filter(
        review_round=review_round, reviewer=expert, status="invited"
    ).exists()
    invitation = [m for m in mail.outbox if "expert@example.org" in m.to]
    assert len(invitation) == 1
    # one language: the manager worked in English, so the mail (and the link's page) are in English
    assert invitation[0].subject == "[OpenTTO] Invitation to review"
    assert "You are invited to review" in invitation[0].body and "/en/" in invitation[0].body
    assert not re.search(
        r"[\u4e00-\u9fff]",
        invitation[0].subject + invitation[0].body.replace(str(in_evaluation.title_zh), ""),
    )
    link = re.search(r"http://testserver(/\S+/invitation/\S+/)", invitation[0].body).group(1)
    client.logout()
    response = client.get(link, follow=True)
    assert response.status_code == 200
    set_url = response.redirect_chain[-1][0]
    response = client.post(
        set_url, {"new_password1": PASSWORD + "x!", "new_password2": PASSWORD + "x!"}
    )
    assert response.status_code == 302
    expert.refresh_from_db()
    assert expert.check_password(PASSWORD + "x!")
    # The link is one-time.
    assert (
        "invalid" in client.get(link, follow=True).content.decode()
        or "无效" in client.get(link, follow=True).content.decode()
    )


@pytest.mark.django_db
def test_the_result_page_shows_the_round_to_the_manager_and_the_open_form(
    client, manager, in_evaluation, enterprise_user
):
    open_round(in_evaluation, manager)
    page = (
        login(client, manager)
        .get(reverse("results:detail", args=[in_evaluation.pk]))
        .content.decode()
    )
    assert reverse("evaluation:open", args=[in_evaluation.pk]) in page
    assert "Record evaluation" in page or "evaluation" in page
    page = (
        login(client, enterprise_user)
        .get(reverse("results:detail", args=[in_evaluation.pk]))
        .content.decode()
    )
    assert reverse("evaluation:open", args=[in_evaluation.pk]) not in page
    assert 'id="evaluation-h"' not in page


@pytest.mark.django_db
def test_rubric_pages(client, manager, admin_user):
    from opentto.evaluation.models import Rubric

    rubric = Rubric.objects.get(key="patent-value")
    page = (
        login(client, manager).get(reverse("evaluation:rubric", args=[rubric.pk])).content.decode()
    )
    assert (
        "GB/T 42748-2023" in page
        and "Detectability of infringement" in page
        and "侵权可判定性" not in page
    )  # one language
    with translation.override("zh-hans"):
        page = client.get(reverse("evaluation:rubric", args=[rubric.pk])).content.decode()
    assert "侵权可判定性" in page and "Detectability of infringement" not in page
    assert (
        client.get(reverse("evaluation:rubric_revise", args=[rubric.pk])).status_code == 403
    )  # sees the rubric, may not revise it
    login(client, admin_user)
    data = {"title_zh": rubric.title_zh, "title_en": rubric.title_en, "revision_note": ""}
    for c in rubric.criteria.all():
        data.update(
            {
                f"c-{c.key}-title_zh": c.title_zh,
                f"c-{c.key}-title_en": c.title_en,
                f"c-{c.key}-weight": str(c.weight),
                f"c-{c.key}-clause": c.clause,
            }
        )
    assert (
        client.post(reverse("evaluation:rubric_revise", args=[rubric.pk]), data).status_code == 422
    )
    data["revision_note"] = "质押场景权重调整"
    response = client.post(reverse("evaluation:rubric_revise", args=[rubric.pk]), data)
    assert response.status_code == 302
    assert Rubric.objects.get(key="patent-value", is_active=True).version == 2


@pytest.mark.django_db
def test_evidence_downloads_only_for_staff_and_the_scoring_reviewer(
    client, manager, inventor, in_evaluation, reviewer_a, reviewer_b
):
    from opentto.evaluation.models import Rubric
    from opentto.evaluation.selectors import evidence_visible

    review_round = open_round(
        in_evaluation, manager, rubric=Rubric.objects.get(key="trl"), min_reviews=1
    )
    assignment = review_assign(review_round=review_round, reviewer=reviewer_a, actor=manager)
    review_declare(assignment=assignment, has_conflict=False, actor=reviewer_a)
    login(client, reviewer_a)
    pdf = io.BytesIO(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    pdf.name = "pilot-report.pdf"
    client.post(
        reverse("evaluation:review", args=[assignment.pk]),
        {
            "score-trl": "6",
            "justification-trl": "现场试运行报告",
            "evidence-trl": pdf,
            "action": "submit",
        },
    )
    evidence = assignment.scores.get().evidence.get()
    url = reverse("evaluation:evidence", args=[evidence.pk])
    client.logout()

    def downloads() -> int:
        return AuditEvent.objects.filter(action="evaluation.evidence_download").count()

    response = client.get(url)  # anonymous: to the sign-in page, nothing served or recorded
    assert response.status_code == 302 and "login" in response["Location"]
    for outsider in (reviewer_b, inventor):  # another reviewer; the result's own inventor
        login(client, outsider)
        assert client.get(url).status_code == 404
    assert downloads() == 0
    assert client.get(reverse("evaluation:evidence", args=[evidence.pk + 1000])).status_code == 404
    for allowed in (reviewer_a, manager):
        login(client, allowed)
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content).startswith(b"%PDF-1.4")
        assert 'filename="pilot-report.pdf"' in response["Content-Disposition"]
    assert list(
        AuditEvent.objects.filter(action="evaluation.evidence_download")
        .values_list("actor_id", flat=True)
        .order_by("id")
    ) == [reviewer_a.pk, manager.pk]
    # an assignment the manager removed takes the reviewer's access with it; staff keep theirs
    ReviewAssignment.objects.filter(pk=assignment.pk).update(status="removed")
    assert list(evidence_visible(reviewer_a)) == [] and list(evidence_visible(manager)) == [
        evidence
    ]
    assert list(evidence_visible(reviewer_b)) == [] and list(evidence_visible(None)) == []
