"""Who may see and do what in landing (registered with :mod:`opentto.core.permissions`).

Deals: the TTO all of them (and every step: terms, notice, signing, money); an enterprise the
deals it is the counterparty of; an inventor the deals covering their organisation's results; a
district official counts them in the figures. What hangs off a deal (schedule, notices, royalty
reports, payments, their distribution) follows the deal: its constraint is built from the deal's
restricted queryset, so it can never show more than the deal. The internal split of a payment
(distribution, the team's shares) is the owners' business: the TTO and the owning organisation's
staff, not the counterparty. A person sees their own rewards (statements); the TTO everyone's.

| type | action | who (default grants) |
|---|---|---|
| landing.deal | view | TTO all; inventor covering own results; enterprise as counterparty |
| landing.deal | figures | TTO, official all; inventor, enterprise as for view |
| landing.deal | add (type), change, sign, record_payment, distribute, register_contract | TTO all |
| contract registration | view | of a deal the user may view |
| registration document | view | of a registration the user may view |
| payment, schedule item, royalty report, public notice | view | of a deal the user may view (notices: also anyone while running) |
| distribution | view | TTO, inventor: of a payment the user may view |
| distribution | figures | TTO, official all; inventor: of a deal they may count (not the counterparty: the split is the owners' business) |
| distribution line | view | TTO, inventor: of a distribution the user may view; anyone signed in: their own rewards |
| distribution line | statement | TTO all; anyone signed in: their own rewards |
| result cost | view | TTO: of results whose details they may read |
| result cost | add (type) | TTO |
| agreement | view | TTO all; inventor, enterprise: their organisation is a party |
| agreement | add (type) | TTO |
| co-owner share | view | of an agreement the user may view |
| distribution rule | view | TTO all; inventor: their organisation's |
| distribution rule | add (type), change | TTO |
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, Q
from django.utils import timezone

from opentto.core.permissions import (
    ALL,
    ENTERPRISE,
    EVERYONE,
    INVENTOR,
    OFFICIAL,
    SIGNED_IN,
    STAFF,
    organisation_id,
    permitted,
    register,
    user_role,
)

DEAL_ACTIONS = {
    "view",
    "change",
    "sign",
    "record_payment",
    "distribute",
    "figures",
    "add",
    "register_contract",
}
#: Everything the TTO does with a deal: the contract's steps, its money and its technology-contract
#: registration (``register_contract``: classify the contract, the reliefs claimed, each registration
#: step and its documents; the registration reminders go to those who hold it on the deal).
DEAL_STAFF_ACTIONS = (
    "view",
    "change",
    "sign",
    "record_payment",
    "distribute",
    "figures",
    "add",
    "register_contract",
)
#: Whose users see a deal (and so what hangs off it).
DEAL_PARTIES = (INVENTOR, ENTERPRISE)


def _counterparty(user: Any, model: type[Model]) -> Q | None:
    org = organisation_id(user)
    return None if org is None else Q(counterparty_id=org)


def _covering_own_results(user: Any, model: type[Model]) -> Q | None:
    org = organisation_id(user)
    if org is None:
        return None
    return Q(
        pk__in=model._default_manager.filter(results__ownerships__organisation_id=org).values("pk")
    )


def _of_visible_deal(user: Any, model: type[Model]) -> Q:
    """A deal's child: visible exactly when its deal is."""
    from .models import Deal

    return Q(deal__in=Deal.objects.restrict(user, "view").values("pk"))


def _of_visible_registration(user: Any, model: type[Model]) -> Q:
    from .models import ContractRegistration

    return Q(registration__in=ContractRegistration.objects.restrict(user, "view").values("pk"))


def _notice_running(user: Any, model: type[Model]) -> Q:
    """Public by law (公示): a notice while it runs, with the results' names and the price."""
    today = timezone.localdate()
    return Q(status="running", starts_on__lte=today, ends_on__gte=today)


def _of_visible_payment(user: Any, model: type[Model]) -> Q:
    from .models import Payment

    return Q(payment__in=Payment.objects.restrict(user, "view").values("pk"))


def _of_counted_deal(user: Any, model: type[Model]) -> Q:
    """A distribution of a payment on a deal the user may count in their figures."""
    from .models import Deal

    return Q(payment__deal__in=Deal.objects.restrict(user, "figures").values("pk"))


def _of_visible_distribution(user: Any, model: type[Model]) -> Q:
    from .models import Distribution

    return Q(distribution__in=Distribution.objects.restrict(user, "view").values("pk"))


def _own_reward(user: Any, model: type[Model]) -> Q | None:
    """The lines paying the user's own person (a team member's reward, or their part as an owner after a 赋权)."""
    person = getattr(user, "person_id", None) if user_role(user) is not None else None
    return None if person is None else Q(party__in=("person", "team_owner"), person_id=person)


def _of_readable_result(user: Any, model: type[Model]) -> Q:
    """Costs of results whose confidential details the user may read."""
    from opentto.results.models import Result

    return Q(result__in=Result.objects.restrict(user, "view_details").values("pk"))


def _party(user: Any, model: type[Model]) -> Q | None:
    """Agreements the user's organisation is a party to (a subquery: one row per agreement)."""
    org = organisation_id(user)
    if org is None:
        return None
    return Q(pk__in=model._default_manager.filter(parties=org).values("pk"))


def _of_visible_agreement(user: Any, model: type[Model]) -> Q:
    from .models import Agreement

    return Q(agreement__in=Agreement.objects.restrict(user, "view").values("pk"))


def _own_organisation(user: Any, model: type[Model]) -> Q | None:
    org = organisation_id(user)
    return None if org is None else Q(organisation_id=org)


register(
    "landing.deal",
    actions=DEAL_ACTIONS,
    constraints={"counterparty": _counterparty, "covering_own_results": _covering_own_results},
    grants=[
        *[(role, ALL, DEAL_STAFF_ACTIONS) for role in STAFF],
        (OFFICIAL, ALL, ("figures",)),
        (INVENTOR, "covering_own_results", ("view", "figures")),
        (ENTERPRISE, "counterparty", ("view", "figures")),
    ],
)
for _type in ("landing.payment", "landing.paymentscheduleitem", "landing.royaltyreport"):
    register(
        _type,
        actions={"view"},
        constraints={"of_visible_deal": _of_visible_deal},
        grants=[(role, "of_visible_deal", ("view",)) for role in (*STAFF, *DEAL_PARTIES)],
    )
register(
    "landing.contractregistration",
    actions={"view"},
    constraints={"of_visible_deal": _of_visible_deal},
    grants=[(role, "of_visible_deal", ("view",)) for role in (*STAFF, *DEAL_PARTIES)],
)
register(
    "landing.contractregistrationdocument",
    actions={"view"},
    constraints={"of_visible_registration": _of_visible_registration},
    grants=[(role, "of_visible_registration", ("view",)) for role in (*STAFF, *DEAL_PARTIES)],
)
register(
    "landing.publicnotice",
    actions={"view"},
    constraints={"of_visible_deal": _of_visible_deal, "running": _notice_running},
    grants=[
        *[(role, "running", ("view",)) for role in EVERYONE],
        *[(role, "of_visible_deal", ("view",)) for role in (*STAFF, *DEAL_PARTIES)],
    ],
)
register(
    "landing.distribution",
    actions={"view", "figures"},
    constraints={"of_visible_payment": _of_visible_payment, "of_counted_deal": _of_counted_deal},
    grants=[
        *[(role, "of_visible_payment", ("view",)) for role in (*STAFF, INVENTOR)],
        *[(role, ALL, ("figures",)) for role in (*STAFF, OFFICIAL)],
        (INVENTOR, "of_counted_deal", ("figures",)),
    ],
)
register(
    "landing.distributionline",
    actions={"view", "statement"},
    constraints={"of_visible_distribution": _of_visible_distribution, "own_reward": _own_reward},
    grants=[
        *[(role, "of_visible_distribution", ("view",)) for role in (*STAFF, INVENTOR)],
        *[(role, ALL, ("statement",)) for role in STAFF],
        *[(role, "own_reward", ("view", "statement")) for role in SIGNED_IN],
    ],
)
register(
    "landing.resultcost",
    actions={"view", "add"},
    constraints={"of_readable_result": _of_readable_result},
    grants=[
        *[(role, "of_readable_result", ("view",)) for role in STAFF],
        *[(role, ALL, ("add",)) for role in STAFF],
    ],
)
register(
    "landing.agreement",
    actions={"view", "add"},
    constraints={"party": _party},
    grants=[
        *[(role, ALL, ("view", "add")) for role in STAFF],
        *[(role, "party", ("view",)) for role in DEAL_PARTIES],
    ],
)
register(
    "landing.coownershare",
    actions={"view"},
    constraints={"of_visible_agreement": _of_visible_agreement},
    grants=[(role, "of_visible_agreement", ("view",)) for role in (*STAFF, *DEAL_PARTIES)],
)
register(
    "landing.distributionrule",
    actions={"view", "change", "add"},
    constraints={"own_organisation": _own_organisation},
    grants=[
        *[(role, ALL, ("view", "change", "add")) for role in STAFF],
        (INVENTOR, "own_organisation", ("view",)),
    ],
)


def statement_open(user: Any, person: Any, *, has_lines: bool) -> bool:
    """Whether ``user`` may open ``person``'s yearly statement: the TTO (statements of everyone),
    the person themselves (even an empty year), or anyone who may read some of its lines."""
    from .models import DistributionLine

    if permitted(user, DistributionLine, "statement", every_row=True) or has_lines:
        return True
    return (
        user_role(user) is not None
        and getattr(user, "person_id", None) == person.pk
        and permitted(user, DistributionLine, "statement")
    )
