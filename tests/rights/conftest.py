import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from opentto.landing.services import rule_set
from opentto.results.services import result_onboard
from opentto.rights.services import (
    TeamMemberInput,
    pilot_create,
    rights_application_agreement_record,
    rights_application_bring_into_effect,
    rights_application_create,
    rights_application_grant,
    rights_application_notice_start,
    rights_application_submit,
)

from ..conftest import result_input
from ..security.helpers import PDF

TODAY = timezone.localdate()
#: The decision, 40 days ago; the notice runs 15 days from the next day; signed after it; in effect 10 days ago.
DECIDED = TODAY - dt.timedelta(days=40)
NOTICE_STARTS = DECIDED + dt.timedelta(days=1)
NOTICE_ENDS = NOTICE_STARTS + dt.timedelta(days=14)
SIGNED = NOTICE_ENDS + dt.timedelta(days=1)
EFFECTIVE = TODAY - dt.timedelta(days=10)


def agreement_pdf(name: str = "fuquan-agreement.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@pytest.fixture
def pilot(manager, university):
    return pilot_create(
        organisation=university,
        programme="national",
        programme_name="赋予科研人员职务科技成果所有权或长期使用权试点",
        legal_basis="赋予科研人员职务科技成果所有权或长期使用权试点实施方案",
        citation="国科发区〔2020〕128号",
        starts_on=TODAY - dt.timedelta(days=365),
        ends_on=TODAY + dt.timedelta(days=365),
        notice_min_days=15,
        actor=manager,
    )


@pytest.fixture
def owned_result(manager, university, researcher, second_researcher):
    return result_onboard(
        data=result_input(
            [university], [(researcher, "60"), (second_researcher, "40")], is_public=False
        ),
        actor=manager,
    )


@pytest.fixture
def draft(inventor, owned_result, pilot, researcher, second_researcher):
    return rights_application_create(
        result=owned_result,
        pilot=pilot,
        requested_kind="ownership",
        requested_share="70",
        team=[TeamMemberInput(researcher, "60"), TeamMemberInput(second_researcher, "40")],
        statement="我们申请70%所有权。",
        actor=inventor,
    )


def take_into_effect(
    application, manager, inventor, *, kind="ownership", share="70", term_years=None
):
    rights_application_submit(application=application, actor=inventor)
    rights_application_grant(
        application=application,
        decided_on=DECIDED,
        kind=kind,
        share=share,
        term_years=term_years,
        conditions="团队承担后续专利费用。",
        actor=manager,
    )
    rights_application_notice_start(
        application=application,
        starts_on=NOTICE_STARTS,
        ends_on=NOTICE_ENDS,
        text_zh="拟赋予团队70%所有权，公示15天。",
        text_en="The team is to own 70 %.",
        actor=manager,
    )
    rights_application_agreement_record(
        application=application,
        signed_on=SIGNED,
        document=agreement_pdf(),
        reference="FQ-2026-01",
        actor=manager,
    )
    return rights_application_bring_into_effect(
        application=application, effective_on=EFFECTIVE, actor=manager
    )


@pytest.fixture
def in_effect(draft, manager, inventor):
    return take_into_effect(draft, manager, inventor)


@pytest.fixture
def rule(manager, university):
    return rule_set(
        organisation=university,
        team_share=Decimal("0.7"),
        tto_share=Decimal("0.1"),
        legal_source="大学科技成果转化管理办法 第十条",
        actor=manager,
    )[0]
