"""Demo portfolio decision: the TTO keeps the mitral-valve clip's CN invention patent (licensed,
earning, its fees reduced 85%)."""

from __future__ import annotations

from typing import Any

from opentto.patents.models import Filing

from .services import portfolio_decision_record


def load(context: Any) -> None:
    result = context.results.get(context.MITRAL_CLIP_KEY)
    if result is None:
        return
    filing = (
        Filing.objects.filter(
            family__result=result,
            family__kind="invention",
            office="CN",
            status__in=["filed", "granted"],
        )
        .order_by("filing_date", "id")
        .first()
    )
    if filing is None:
        return
    portfolio_decision_record(
        filing=filing,
        decision="keep",
        reason="已独占许可并产生收入，年费减缴85%，继续维持。 Licensed exclusively and earning; its annual fees are reduced 85%: keep it.",
        actor=context.users["manager"],
    )
