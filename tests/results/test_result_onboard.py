from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from opentto.core.models import AuditEvent
from opentto.results.models import Attachment, IPAsset, Result, ResultInventor, StageTransition
from opentto.results.services import (
    DuplicateResultError,
    IPAssetInput,
    result_onboard,
    result_update,
)

from ..conftest import result_input

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def counts():
    return (
        Result.objects.count(),
        IPAsset.objects.count(),
        ResultInventor.objects.count(),
        AuditEvent.objects.count(),
    )


@pytest.mark.django_db
def test_onboarding_saves_the_result_its_children_a_timeline_step_and_an_audit_event(
    manager, university, researcher, second_researcher
):
    data = result_input([university], [(researcher, "60"), (second_researcher, "40")])
    result = result_onboard(data=data, actor=manager)
    assert result.stage == "onboarding"
    assert [(i.person, i.share) for i in result.inventorships.all()] == [
        (researcher, Decimal("60.00")),
        (second_researcher, Decimal("40.00")),
    ]
    assert list(result.ip_assets.values_list("application_number", flat=True)) == [
        "CN202210123456.1"
    ]
    assert list(result.owners.all()) == [university]
    assert list(
        StageTransition.objects.filter(result=result).values_list("from_stage", "to_stage")
    ) == [("", "onboarding")]
    assert AuditEvent.objects.filter(action="result.onboard", object_id=str(result.pk)).count() == 1


@pytest.mark.django_db
def test_wrong_patent_check_digit_is_refused_on_its_field_and_nothing_is_saved(
    manager, university, researcher
):
    before = counts()
    data = result_input(
        [university],
        [(researcher, "100")],
        ip_assets=[IPAssetInput(application_number="CN202210123456.7")],
    )
    with pytest.raises(ValidationError) as exc:
        result_onboard(data=data, actor=manager)
    assert list(exc.value.message_dict) == ["ip_assets-0-application_number"]
    assert "1" in exc.value.message_dict["ip_assets-0-application_number"][0]
    assert counts() == before


@pytest.mark.django_db
@pytest.mark.parametrize("shares", [("60", "30"), ("60", "50"), ("100", "0")])
def test_shares_must_add_up_to_100_and_nothing_is_saved(
    manager, university, researcher, second_researcher, shares
):
    before = counts()
    data = result_input([university], [(researcher, shares[0]), (second_researcher, shares[1])])
    with pytest.raises(ValidationError) as exc:
        result_onboard(data=data, actor=manager)
    assert "inventors" in exc.value.message_dict
    assert counts() == before


@pytest.mark.django_db
def test_title_kind_field_trl_and_owner_are_required(manager, researcher):
    data = result_input(
        [], [(researcher, "100")], title_zh="", title_en="", kind="x", field="y", trl=10
    )
    with pytest.raises(ValidationError) as exc:
        result_onboard(data=data, actor=manager)
    assert set(exc.value.message_dict) == {"title_zh", "kind", "field", "trl", "owners"}


@pytest.mark.django_db
def test_same_patent_number_is_flagged_as_a_duplicate(manager, onboarded, university, researcher):
    data = result_input(
        [university],
        [(researcher, "100")],
        title_zh="完全不同的成果",
        title_en="A different result",
    )
    with pytest.raises(ValidationError) as exc:
        result_onboard(data=data, actor=manager)
    assert "already registered" in exc.value.message_dict["ip_assets-0-application_number"][0]
    assert Result.objects.count() == 1


@pytest.mark.django_db
def test_near_identical_title_in_the_same_organisation_needs_confirmation(
    manager, onboarded, university, researcher
):
    data = result_input(
        [university],
        [(researcher, "100")],
        title_zh="强化学习驱动的通用机械臂控制。",
        title_en="",
        ip_assets=[],
    )
    with pytest.raises(DuplicateResultError) as exc:
        result_onboard(data=data, actor=manager)
    assert exc.value.similar == [onboarded]
    assert Result.objects.count() == 1
    confirmed = result_onboard(data=data, actor=manager, confirm_duplicates=True)
    assert Result.objects.count() == 2 and confirmed.pk != onboarded.pk


@pytest.mark.django_db
def test_a_similar_title_in_another_organisation_is_not_a_duplicate(
    manager, onboarded, other_university, researcher
):
    data = result_input([other_university], [(researcher, "100")], ip_assets=[])
    assert result_onboard(data=data, actor=manager).pk != onboarded.pk


@pytest.mark.django_db
def test_inventor_onboards_only_for_their_own_organisation(
    inventor, other_university, university, researcher
):
    with pytest.raises(ValidationError) as exc:
        result_onboard(data=result_input([other_university], [(researcher, "100")]), actor=inventor)
    assert "owners" in exc.value.message_dict
    assert (
        result_onboard(
            data=result_input([university], [(researcher, "100")]), actor=inventor
        ).created_by
        == inventor
    )


@pytest.mark.django_db
@pytest.mark.parametrize("role_fixture", ["enterprise_user", "reviewer", "official", "investor"])
def test_other_roles_cannot_onboard(request, role_fixture, university, researcher):
    before = counts()
    with pytest.raises(PermissionError):
        result_onboard(
            data=result_input([university], [(researcher, "100")]),
            actor=request.getfixturevalue(role_fixture),
        )
    assert counts() == before


@pytest.mark.django_db
def test_attachments_are_checked_by_content(manager, university, researcher):
    fake = SimpleUploadedFile(
        "report.pdf", b"MZ\x90\x00 this is an executable", content_type="application/pdf"
    )
    with pytest.raises(ValidationError) as exc:
        result_onboard(
            data=result_input([university], [(researcher, "100")]),
            actor=manager,
            attachments=[fake],
        )
    assert list(exc.value.message_dict) == ["attachments"]
    assert Result.objects.count() == 0 and Attachment.objects.count() == 0

    real = SimpleUploadedFile("../../etc/评估报告.pdf", PDF, content_type="text/plain")
    result = result_onboard(
        data=result_input([university], [(researcher, "100")]), actor=manager, attachments=[real]
    )
    attachment = result.attachments.get()
    assert attachment.original_name == "评估报告.pdf"
    assert attachment.content_type == "application/pdf"
    assert "评估" not in attachment.file.name and ".." not in attachment.file.name


@pytest.mark.django_db
def test_oversized_attachment_is_refused(settings, manager, university, researcher):
    settings.OPENTTO_MAX_UPLOAD_BYTES = 100
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * 200)
    with pytest.raises(ValidationError) as exc:
        result_onboard(
            data=result_input([university], [(researcher, "100")]), actor=manager, attachments=[big]
        )
    assert "limit" in exc.value.messages[0]
    assert Result.objects.count() == 0


@pytest.mark.django_db
def test_update_replaces_children_and_keeps_its_own_patent_number(
    manager, onboarded, university, researcher, second_researcher
):
    data = result_input([university], [(researcher, "50"), (second_researcher, "50")], trl=6)
    updated = result_update(result=onboarded, data=data, actor=manager)
    assert updated.trl == 6
    assert updated.inventorships.count() == 2
    assert IPAsset.objects.count() == 1


@pytest.mark.django_db
def test_inventor_of_another_organisation_cannot_update(
    other_inventor, onboarded, university, researcher
):
    with pytest.raises(PermissionError):
        result_update(
            result=onboarded,
            data=result_input([university], [(researcher, "100")], trl=9),
            actor=other_inventor,
        )
    onboarded.refresh_from_db()
    assert onboarded.trl == 4
