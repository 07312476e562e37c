"""The 赋权 workflow, its refusals (which write nothing) and the ownership history."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from opentto.core.models import AuditEvent
from opentto.landing.models import Agreement
from opentto.landing.services import agreement_create
from opentto.results.services import result_onboard
from opentto.rights.models import OwnershipShare, RightsApplication, RightsEvent
from opentto.rights.selectors import ownership_for_distribution
from opentto.rights.services import (
    TeamMemberInput,
    pilot_create,
    rights_application_agreement_record,
    rights_application_bring_into_effect,
    rights_application_create,
    rights_application_grant,
    rights_application_notice_start,
    rights_application_objection_record,
    rights_application_refuse,
    rights_application_submit,
    rights_application_withdraw,
)
from tests.conftest import result_input
from tests.factories import PersonFactory

from .conftest import (
    DECIDED,
    EFFECTIVE,
    NOTICE_ENDS,
    NOTICE_STARTS,
    SIGNED,
    TODAY,
    agreement_pdf,
    take_into_effect,
)

pytestmark = pytest.mark.django_db


def _counts():
    return (
        RightsApplication.objects.count(),
        RightsEvent.objects.count(),
        OwnershipShare.objects.count(),
        AuditEvent.objects.count(),
    )


def _status(application):
    application.refresh_from_db()
    return application.status


def test_the_whole_workflow_changes_the_owners_with_history(
    in_effect, university, owned_result, researcher, second_researcher
):
    assert in_effect.status == "in_effect"
    assert [e.to_status for e in in_effect.events.all()] == [
        "draft",
        "submitted",
        "granted",
        "notice",
        "agreed",
        "in_effect",
    ]
    assert in_effect.agreement_file_name == "fuquan-agreement.pdf"
    rows = list(
        OwnershipShare.objects.filter(result=owned_result).order_by("valid_from", "holder_kind")
    )
    before, *after = rows
    # before: the university alone (100 %), from the day the result was onboarded until the 赋权
    assert (
        before.holder_kind,
        before.organisation,
        before.share,
        before.valid_to,
        before.source,
    ) == ("organisation", university, Decimal("100.000000"), EFFECTIVE, None)
    assert [(r.holder_kind, r.share, r.valid_from, r.valid_to, r.source_id) for r in after] == [
        ("organisation", Decimal("30.000000"), EFFECTIVE, None, in_effect.pk),
        ("team", Decimal("70.000000"), EFFECTIVE, None, in_effect.pk),
    ]
    holders = ownership_for_distribution(result_ids=[owned_result.pk], on=TODAY)
    assert [(h.key, h.share, h.members) for h in holders] == [
        (f"org:{university.pk}", Decimal("30.000000"), []),
        (
            f"team:{in_effect.pk}",
            Decimal("70.000000"),
            [(researcher, Decimal("60.000")), (second_researcher, Decimal("40.000"))],
        ),
    ]
    # the day before the 赋权 the owners were as before: no holders, the old distribution
    assert (
        ownership_for_distribution(
            result_ids=[owned_result.pk], on=EFFECTIVE - dt.timedelta(days=1)
        )
        is None
    )


def test_a_second_grant_splits_the_institutions_remaining_share(
    in_effect, manager, inventor, owned_result, researcher, university
):
    second = rights_application_create(
        result=owned_result,
        pilot=in_effect.pilot,
        requested_kind="ownership",
        requested_share="50",
        team=[TeamMemberInput(researcher, "100")],
        actor=inventor,
    )
    take_into_effect(second, manager, inventor, share="50")
    current = OwnershipShare.objects.filter(result=owned_result, valid_to__isnull=True).order_by(
        "holder_kind", "team_id"
    )
    assert [(r.holder_kind, r.team_id, r.share) for r in current] == [
        ("organisation", None, Decimal("15.000000")),
        ("team", in_effect.pk, Decimal("70.000000")),
        ("team", second.pk, Decimal("15.000000")),
    ]
    assert (
        OwnershipShare.objects.filter(result=owned_result).count() == 6
    )  # 1 before, 2 after the first, 3 after the second


def test_initial_shares_follow_the_co_owner_agreement(
    manager, inventor, university, other_university, researcher, second_researcher
):
    result = result_onboard(
        data=result_input(
            [university, other_university], [(researcher, "60"), (second_researcher, "40")]
        ),
        actor=manager,
    )
    agreement_create(
        kind="co_owner",
        title="共有协议",
        parties=[university, other_university],
        signed_on=dt.date(2025, 1, 1),
        results=[result],
        shares=[(university, "60"), (other_university, "40")],
        actor=manager,
    )
    pilot = pilot_create(
        organisation=university,
        programme="local",
        programme_name="上海市赋权试点",
        legal_basis="地方方案",
        citation="沪科规〔示例〕",
        starts_on=TODAY - dt.timedelta(days=100),
        ends_on=TODAY,
        actor=manager,
    )
    application = rights_application_create(
        result=result,
        pilot=pilot,
        requested_kind="ownership",
        requested_share="50",
        team=[TeamMemberInput(researcher, "100")],
        actor=inventor,
    )
    take_into_effect(application, manager, inventor, share="50")
    assert Agreement.objects.count() == 1
    current = OwnershipShare.objects.filter(result=result, valid_to__isnull=True).order_by(
        "holder_kind", "organisation_id"
    )
    # the university's 60 % is split: 30 % the team, 30 % the university; the other university keeps 40 %
    assert [(r.holder_kind, r.organisation_id, r.share) for r in current] == [
        ("organisation", university.pk, Decimal("30.000000")),
        ("organisation", other_university.pk, Decimal("40.000000")),
        ("team", university.pk, Decimal("30.000000")),
    ]
    assert (
        "共有协议"
        in OwnershipShare.objects.get(
            result=result, valid_to=EFFECTIVE, organisation=university
        ).basis
    )


def test_a_right_of_use_changes_no_ownership(draft, manager, inventor, owned_result):
    application = take_into_effect(draft, manager, inventor, kind="use", share=None, term_years=10)
    assert (application.granted_kind, application.granted_term_years, application.use_ends_on) == (
        "use",
        10,
        EFFECTIVE.replace(year=EFFECTIVE.year + 10) - dt.timedelta(days=1),
    )
    assert OwnershipShare.objects.count() == 0
    assert ownership_for_distribution(result_ids=[owned_result.pk], on=TODAY) is None


def test_refused_when_the_institution_is_not_a_pilot_on_the_decision_date(
    draft, manager, inventor, pilot
):
    rights_application_submit(application=draft, actor=inventor)
    before = _counts()
    late = pilot.ends_on + dt.timedelta(days=1)
    pilot.ends_on = TODAY - dt.timedelta(days=1)
    pilot.save()
    with pytest.raises(ValidationError) as exc:
        rights_application_grant(
            application=draft, decided_on=TODAY, kind="ownership", share="70", actor=manager
        )
    assert "is not a pilot institution on" in exc.value.message_dict["decided_on"][0]
    assert late > pilot.ends_on
    assert _counts() == before and _status(draft) == "submitted"


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"kind": "use", "term_years": 9}, "granted_term_years", "at least 10 years"),
        ({"kind": "ownership", "share": "0"}, "granted_share", "above 0 and at most 100%"),
        ({"kind": "ownership", "share": "100.5"}, "granted_share", "above 0 and at most 100%"),
        ({"kind": "ownership"}, "granted_share", "Give the team's share"),
    ],
)
def test_a_grant_with_bad_terms_writes_nothing(draft, manager, inventor, kwargs, field, message):
    rights_application_submit(application=draft, actor=inventor)
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        rights_application_grant(application=draft, decided_on=DECIDED, actor=manager, **kwargs)
    assert message in exc.value.message_dict[field][0]
    assert _counts() == before and _status(draft) == "submitted"


def test_the_team_is_among_the_inventors_and_its_parts_sum_to_100(
    inventor, owned_result, pilot, researcher, second_researcher
):
    stranger = PersonFactory(name_en="Stranger")
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        rights_application_create(
            result=owned_result,
            pilot=pilot,
            requested_kind="ownership",
            requested_share="70",
            team=[TeamMemberInput(researcher, "60"), TeamMemberInput(stranger, "40")],
            actor=inventor,
        )
    assert exc.value.message_dict["team"] == ["Stranger is not an inventor of this result."]
    with pytest.raises(ValidationError) as exc:
        rights_application_create(
            result=owned_result,
            pilot=pilot,
            requested_kind="ownership",
            requested_share="70",
            team=[TeamMemberInput(researcher, "60"), TeamMemberInput(second_researcher, "30")],
            actor=inventor,
        )
    assert exc.value.message_dict["team"] == ["The members' parts must add up to 100%."]
    assert _counts() == before


def test_an_inventor_applies_only_for_a_team_they_are_in(
    inventor, owned_result, pilot, second_researcher
):
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        rights_application_create(
            result=owned_result,
            pilot=pilot,
            requested_kind="use",
            requested_term_years=12,
            team=[TeamMemberInput(second_researcher, "100")],
            actor=inventor,
        )
    assert exc.value.message_dict["team"] == ["You may apply only for a team you are in."]
    assert _counts() == before


def test_only_the_tto_decides_and_the_transition_table_guards(draft, manager, inventor):
    before = _counts()
    with pytest.raises(PermissionError):
        rights_application_grant(
            application=draft, decided_on=DECIDED, kind="ownership", share="70", actor=inventor
        )
    with pytest.raises(ValidationError) as exc:  # a draft is not decided
        rights_application_grant(
            application=draft, decided_on=DECIDED, kind="ownership", share="70", actor=manager
        )
    assert exc.value.message_dict["status"] == [
        "An application that is “Draft” cannot become “Granted”."
    ]
    assert _counts() == before and _status(draft) == "draft"


def test_the_notice_runs_at_least_the_institutions_days(draft, manager, inventor):
    rights_application_submit(application=draft, actor=inventor)
    rights_application_grant(
        application=draft, decided_on=DECIDED, kind="ownership", share="70", actor=manager
    )
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        rights_application_notice_start(
            application=draft,
            starts_on=NOTICE_STARTS,
            ends_on=NOTICE_ENDS - dt.timedelta(days=1),
            text_zh="公示",
            actor=manager,
        )
    assert exc.value.message_dict["ends_on"] == [
        "The notice runs 14 days; the institution's rule asks for at least 15."
    ]
    assert _counts() == before and _status(draft) == "granted"


def test_objections_then_refusal_and_agreement_only_after_the_notice(draft, manager, inventor):
    rights_application_submit(application=draft, actor=inventor)
    rights_application_grant(
        application=draft, decided_on=DECIDED, kind="ownership", share="70", actor=manager
    )
    rights_application_notice_start(
        application=draft,
        starts_on=NOTICE_STARTS,
        ends_on=NOTICE_ENDS,
        text_zh="公示",
        actor=manager,
    )
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        rights_application_agreement_record(
            application=draft, signed_on=NOTICE_ENDS, document=agreement_pdf(), actor=manager
        )
    assert "after the notice has ended" in exc.value.message_dict["signed_on"][0]
    assert _counts() == before and not RightsApplication.objects.get(pk=draft.pk).agreement_file
    rights_application_objection_record(
        application=draft, objection="合作单位提出异议：贡献比例不准确。", actor=manager
    )
    refused = rights_application_refuse(
        application=draft, decided_on=TODAY, reasons="异议成立。", actor=manager
    )
    assert (refused.status, refused.refusal_reasons) == ("refused", "异议成立。")
    assert "合作单位提出异议" in refused.objections
    with pytest.raises(ValidationError):
        rights_application_withdraw(application=draft, reason="too late", actor=inventor)


def test_bringing_into_effect_needs_the_agreement_date(draft, manager, inventor):
    rights_application_submit(application=draft, actor=inventor)
    rights_application_grant(
        application=draft, decided_on=DECIDED, kind="ownership", share="70", actor=manager
    )
    rights_application_notice_start(
        application=draft,
        starts_on=NOTICE_STARTS,
        ends_on=NOTICE_ENDS,
        text_zh="公示",
        actor=manager,
    )
    rights_application_agreement_record(
        application=draft, signed_on=SIGNED, document=agreement_pdf(), actor=manager
    )
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        rights_application_bring_into_effect(
            application=draft, effective_on=SIGNED - dt.timedelta(days=1), actor=manager
        )
    assert exc.value.message_dict["effective_on"] == [
        "The grant takes effect on or after the agreement's signing date."
    ]
    assert _counts() == before and _status(draft) == "agreed"


def test_the_team_withdraws_with_a_reason(draft, inventor):
    with pytest.raises(ValidationError):
        rights_application_withdraw(application=draft, reason=" ", actor=inventor)
    withdrawn = rights_application_withdraw(
        application=draft, reason="改为许可方式。", actor=inventor
    )
    assert (withdrawn.status, withdrawn.withdrawn_reason) == ("withdrawn", "改为许可方式。")
