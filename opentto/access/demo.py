"""Demo data for NDA access: the enterprise user has a live NDA share of the mitral-clip result
and a pending request for the robot arm (when it is public); the inventor's ID and bank details are
recorded with consent. Figures of the story are unchanged (nothing here touches stages or deals)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone


def load(context: Any) -> None:
    from .models import AccessRequest
    from .privacy import person_record_consent, person_set_private_data
    from .services import access_request_approve, access_request_create

    manager = context.users.get("manager")
    enterprise = context.users.get("enterprise")
    if manager is None or enterprise is None:
        return
    robot = context.results.get(context.ROBOT_ARM_KEY)
    clip = context.results.get(context.MITRAL_CLIP_KEY)
    if robot is not None and robot.is_public:
        access_request_create(
            result=robot,
            purpose="评估独家许可的可行性 / Evaluating an exclusive licence",
            nda_kind="click_through",
            accept_nda=True,
            actor=enterprise,
        )
    if clip is not None:
        shared = AccessRequest.objects.create(
            result=clip,
            requester=enterprise,
            organisation_id=enterprise.organisation_id,
            purpose="临床合作尽职调查 / Due diligence for a clinical partnership",
            nda_kind="signed_upload",
        )
        access_request_approve(
            access_request=shared,
            expires_on=timezone.localdate() + timedelta(days=60),
            actor=manager,
            note="NDA signed on paper",
        )
    inventor = context.users.get("inventor")
    person = getattr(inventor, "person", None) if inventor is not None else None
    if person is not None:
        person_record_consent(person=person, actor=manager)
        person_set_private_data(
            person=person,
            id_number="11010519491231002X",
            bank_name="中国工商银行 ICBC",
            bank_account="6222020200112233445",
            retain_until=timezone.localdate() + timedelta(days=5 * 365),
            actor=manager,
        )
