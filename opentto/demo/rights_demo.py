"""Demo data for 赋权: one owner institution recorded as a pilot of a local programme (marked as
demo data: no real programme is claimed), and on a result it owns that a counted deal covers, a
grant in effect — the team owns 70 % — with a later payment on the deal distributed to the new
owners. The story's figures are untouched (no deal is added or changed; a payment is not a figure
of the story). Runs after landing's demo (``opentto.demo.loader.DEMO_EXTENSIONS``); the payment goes
through landing's services. It lives in the demo app, not in ``opentto.rights``: rights sits below
landing, and the demo app above every app."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone


def _pick(context: Any) -> tuple[Any, Any] | None:
    """(result, deal): a result owned by a university, institute or hospital, with inventors, covered by
    a counted deal — the demo inventor's own when there is one."""
    from opentto.landing.models import Deal

    inventor = context.users.get("inventor")
    person_id = getattr(inventor, "person_id", None)
    candidates = []
    for deal in Deal.objects.counted().order_by("signed_on", "pk").prefetch_related("results"):
        for result in deal.results.all():
            owners = [o.organisation for o in result.ownerships.select_related("organisation")]
            if len(owners) == 1 and owners[0].is_research and result.inventorships.exists():
                mine = (
                    person_id is not None
                    and result.inventorships.filter(person_id=person_id).exists()
                )
                candidates.append((0 if mine else 1, result, deal))
    if not candidates:
        return None
    candidates.sort(key=lambda c: c[0])
    return candidates[0][1], candidates[0][2]


def load(context: Any) -> None:
    from opentto.landing.services import payment_distribute, payment_record
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

    manager = context.users.get("manager")
    picked = _pick(context) if manager is not None else None
    if picked is None:
        return
    result, deal = picked
    today = timezone.localdate()
    institution = result.ownerships.get().organisation
    pilot = pilot_create(
        organisation=institution,
        programme="local",
        programme_name="地方赋权改革试点（演示数据）/ Local 赋权 pilot (demo data)",
        legal_basis="赋予科研人员职务科技成果所有权或长期使用权试点实施方案，及地方的扩大试点方案（演示） / the national plan and a local "
        "programme extending it (demo)",
        citation="国科发区〔2020〕128号",
        starts_on=today - dt.timedelta(days=400),
        ends_on=today + dt.timedelta(days=695),
        notice_min_days=15,
        actor=manager,
    )
    inventorships = list(result.inventorships.select_related("person").order_by("position", "id"))
    team = [TeamMemberInput(i.person, i.share) for i in inventorships]
    inventor = context.users.get("inventor")
    actor = (
        inventor
        if inventor is not None and any(i.person_id == inventor.person_id for i in inventorships)
        else manager
    )
    application = rights_application_create(
        result=result,
        pilot=pilot,
        requested_kind="ownership",
        requested_share="70",
        team=team,
        statement="团队申请成果70%的所有权，自行承担后续专利维持费用。/ The team asks for 70 % of the ownership and bears the patent fees from now on.",
        actor=actor,
    )
    rights_application_submit(application=application, actor=actor)
    decided = today - dt.timedelta(days=60)
    rights_application_grant(
        application=application,
        decided_on=decided,
        kind="ownership",
        share="70",
        conditions="团队承担专利维持费用；学校保留30%。/ The team bears the patent fees; the institution keeps 30 %.",
        actor=manager,
    )
    rights_application_notice_start(
        application=application,
        starts_on=decided + dt.timedelta(days=1),
        ends_on=decided + dt.timedelta(days=15),
        text_zh=f"拟赋予成果“{result.title_zh}”完成团队70%的所有权，公示15天，如有异议请联系技术转移办公室。",
        text_en=f"The team of “{result.title_en}” is to be given 70 % of its ownership. Objections to the TTO within 15 days.",
        actor=manager,
    )
    from django.core.files.base import ContentFile

    document = ContentFile(
        b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", name="fuquan-agreement.pdf"
    )
    rights_application_agreement_record(
        application=application,
        signed_on=decided + dt.timedelta(days=17),
        document=document,  # type: ignore[arg-type]
        reference="FQ-DEMO-001",
        actor=manager,
    )
    rights_application_bring_into_effect(
        application=application, effective_on=decided + dt.timedelta(days=20), actor=manager
    )
    # a later payment on the deal, distributed to the new owners
    payment = payment_record(
        deal=deal,
        received_on=today - dt.timedelta(days=5),
        amount_cny=Decimal("1000000.00"),
        note="赋权后的付款 / Payment after the 赋权",
        actor=manager,
    )
    payment_distribute(payment=payment, actor=manager)
