"""Reads for researchers' ownership and use rights. Each page read takes the user and returns only
what the grants allow (``opentto/rights/permissions.py``); :func:`ownership_for_distribution` is the
one read without a user, for landing's distribution service after it has asked its own grant."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, QuerySet

from opentto.organisations.models import Organisation, Person
from opentto.results.models import Result

from .models import (
    HolderKindChoices,
    OwnershipShare,
    OwnershipShareQuerySet,
    PilotInstitution,
    PilotInstitutionQuerySet,
    RightsApplication,
    RightsApplicationQuerySet,
    RightsKindChoices,
    RightsStatusChoices,
    RightsTeamMember,
)


def applications_visible(user: Any) -> RightsApplicationQuerySet:
    return RightsApplication.objects.restrict(user, "view").select_related(
        "result", "pilot", "pilot__organisation"
    )


def application_counts(user: Any) -> list[tuple[str, int]]:
    """(status label, count) of the applications the user may count (the officials' figures)."""
    rows = (
        RightsApplication.objects.restrict(user, "figures")
        .values("status")
        .annotate(n=Count("id"))
        .order_by("status")
    )
    labels = dict(RightsStatusChoices.choices)
    return [(str(labels.get(r["status"], r["status"])), r["n"]) for r in rows]


def notices_running(user: Any) -> RightsApplicationQuerySet:
    """The public notices (公示) running today that the user may read."""
    return (
        RightsApplication.objects.restrict(user, "view_notice")
        .select_related("result", "pilot", "pilot__organisation")
        .order_by("notice_ends_on", "pk")
    )


def pilots_visible(user: Any) -> PilotInstitutionQuerySet:
    return PilotInstitution.objects.restrict(user, "view").select_related("organisation")


def team_of(user: Any, application: RightsApplication) -> QuerySet[RightsTeamMember]:
    return (
        RightsTeamMember.objects.restrict(user, "view")
        .filter(application=application)
        .select_related("person")
    )


def notice_team(application: RightsApplication) -> list[Person]:
    """The team named in a running public notice: public while it runs, as the notice itself."""
    return [m.person for m in application.team.select_related("person")]


def ownership_history(user: Any, result: Result) -> OwnershipShareQuerySet:
    return (
        OwnershipShare.objects.restrict(user, "view")
        .filter(result=result)
        .select_related("organisation", "team", "source")
        .order_by("-valid_from", "holder_kind", "id")
    )


def use_rights_in_effect(user: Any, result: Result) -> RightsApplicationQuerySet:
    return applications_visible(user).filter(
        result=result, status=RightsStatusChoices.IN_EFFECT, granted_kind=RightsKindChoices.USE
    )


@dataclass
class OwnerWeight:
    """One holder of a deal's results for a distribution: an organisation, or a team (with its members' parts)."""

    key: str
    holder_kind: str
    organisation: Organisation
    share: Decimal  # percentage of the deal's income (the results' shares averaged)
    application_id: int | None = None
    members: list[tuple[Person, Decimal]] = field(default_factory=list)
    basis: str = ""


def ownership_for_distribution(*, result_ids: list[int], on: dt.date) -> list[OwnerWeight] | None:
    """The holders of the results on ``on`` when a 赋权 has changed the ownership of at least one of
    them; ``None`` otherwise (the distribution then splits between the owner organisations as
    before). Each result weighs equally; a result without ownership rows counts with its owners'
    shares before any 赋权 (co-owner agreement or equal)."""
    from .services import initial_owner_shares

    rows = list(
        OwnershipShare.objects.valid_on(on)
        .filter(result_id__in=result_ids)
        .select_related("organisation", "team")
    )
    if not any(r.source_id is not None for r in rows):
        return None
    by_result: dict[int, list[OwnershipShare]] = defaultdict(list)
    for r in rows:
        by_result[r.result_id].append(r)
    weights: dict[str, OwnerWeight] = {}
    count = Decimal(len(result_ids))
    for result in Result.objects.filter(pk__in=result_ids).order_by("pk"):
        if by_result.get(result.pk):
            for r in by_result[result.pk]:
                key = (
                    f"team:{r.team_id}"
                    if r.holder_kind == HolderKindChoices.TEAM
                    else f"org:{r.organisation_id}"
                )
                weight = weights.get(key)
                if weight is None:
                    assert r.organisation is not None
                    weight = weights[key] = OwnerWeight(
                        key=key,
                        holder_kind=r.holder_kind,
                        organisation=r.organisation,
                        share=Decimal(0),
                        application_id=r.team_id,
                        basis=r.basis,
                    )
                    if r.team_id is not None:
                        weight.members = [
                            (m.person, m.split)
                            for m in RightsTeamMember.objects.filter(
                                application_id=r.team_id
                            ).select_related("person")
                        ]
                weight.share += r.share / count
        else:
            initial, basis = initial_owner_shares(result)
            for org, share in initial:
                key = f"org:{org.pk}"
                weights.setdefault(
                    key,
                    OwnerWeight(
                        key=key,
                        holder_kind=HolderKindChoices.ORGANISATION,
                        organisation=org,
                        share=Decimal(0),
                        basis=str(basis),
                    ),
                )
                weights[key].share += share / count
    return list(weights.values())
