"""Who may see and act on demands, matches and targeted R&D projects (registered with
:mod:`opentto.core.permissions`; the table is in docs/security.md).

- **Demands** (``demands.demand``): ``view``; ``change`` (edit, publish, close, withdraw);
  ``match`` (the matches page, shortlisting, "not relevant", contacting a result's owners: adds a
  match to the demand); ``commission`` (targeted R&D against it: adds a project); ``follow`` (told
  when a newly opened demand matches a result strongly); ``view_scores`` (the matches page's
  scores and how they are made; without it the page explains each result in a sentence). The TTO all; an enterprise user their
  organisation's (any status) and the public ones that are not drafts; every other signed-in user
  the public ones that are not drafts; anonymous visitors none. TTO managers follow every demand,
  inventors the public ones (told only about their organisation's results). The TTO sees scores.
- **Matches** (``demands.match``): ``view`` never outruns its parents: the result must be one the
  user may see and the demand (when there is one) too. The TTO all such; an enterprise user their
  organisation's; an inventor those on their organisation's results. ``change`` (contacted,
  declined): the TTO, the match's enterprise; ``negotiate`` (NDA, negotiating) and ``make_deal``:
  the TTO; ``follow`` (told of a new match): TTO managers.
- **Targeted R&D projects** (``demands.targetedproject``): ``view``: the TTO, the commissioning
  enterprise, the research organisation's users (who do not see a confidential demand for it);
  ``change`` (status, milestones done): the TTO.
- Children follow their parent: a demand's timeline (``demandevent``) its demand's ``view``, a
  match's timeline (``matchevent``) its match's ``view``, relevance judgements
  (``matchfeedback``) and the signals kept for learning to rank (``matchjudgement``: marks,
  contacts, NDAs, deals, managers' additions) their demand's ``match``, milestones (``projectmilestone``) their project's
  ``view`` and ``change``.
- Trained rankers (``demands.rankerversion``, their metrics and weights): ``view``, the TTO.
- On organisations (``organisations.organisation``): ``post_demand`` (a demand for it: the TTO for
  every enterprise, an enterprise user for their own) and ``express_interest`` (a showcase result's
  interest recorded for it: an enterprise user for their own).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, Q

from opentto.core.permissions import (
    ADMIN,
    ALL,
    ENTERPRISE,
    INVENTOR,
    INVESTOR,
    MANAGER,
    OFFICIAL,
    REVIEWER,
    SIGNED_IN,
    STAFF,
    allows,
    organisation_id,
    register,
)
from opentto.organisations.models import OrganisationKindChoices
from opentto.organisations.permissions import within

from .models import DemandStatusChoices

DEMAND = "demands.demand"
MATCH = "demands.match"
PROJECT = "demands.targetedproject"


# -- demands -----------------------------------------------------------------------------------
def _public(user: Any, model: type[Model]) -> Q:
    """Public demands that are not drafts."""
    return Q(is_public=True) & ~Q(status=DemandStatusChoices.DRAFT)


def _own_organisation(user: Any, model: type[Model]) -> Q | None:
    org = organisation_id(user)
    return None if org is None else Q(organisation_id=org)


register(
    DEMAND,
    actions={"view", "change", "match", "commission", "follow", "view_scores"},
    constraints={"public": _public, "own_organisation": _own_organisation},
    grants=[
        (ADMIN, ALL, ("view", "change", "match", "commission", "view_scores")),
        (MANAGER, ALL, ("view", "change", "match", "commission", "follow", "view_scores")),
        (ENTERPRISE, "public", ("view",)),
        (ENTERPRISE, "own_organisation", ("view", "change", "match", "commission")),
        (INVENTOR, "public", ("view", "follow")),
        *[(role, "public", ("view",)) for role in (REVIEWER, OFFICIAL, INVESTOR)],
    ],
)


# -- matches -----------------------------------------------------------------------------------
def _parents_visible(user: Any, model: type[Model]) -> Q | None:
    """The result is one the user may see, and the demand (when there is one) too."""
    from opentto.results.models import Result

    result = within(user, Result, "view", "result")
    from .models import Demand

    demand = within(user, Demand, "view", "demand")
    if result is None:
        return None
    return result & (Q(demand__isnull=True) if demand is None else Q(demand__isnull=True) | demand)


def _own_organisation_match(user: Any, model: type[Model]) -> Q | None:
    org, visible = organisation_id(user), _parents_visible(user, model)
    return None if org is None or visible is None else Q(organisation_id=org) & visible


def _on_own_results(user: Any, model: type[Model]) -> Q | None:
    from opentto.results.models import Result

    org, visible = organisation_id(user), _parents_visible(user, model)
    if org is None or visible is None:
        return None
    return (
        Q(result__in=Result.objects.filter(ownerships__organisation_id=org).values("pk")) & visible
    )


register(
    MATCH,
    actions={"view", "change", "negotiate", "make_deal", "follow"},
    constraints={
        "parents_visible": _parents_visible,
        "own_organisation": _own_organisation_match,
        "on_own_results": _on_own_results,
    },
    grants=[
        *[(role, "parents_visible", ("view",)) for role in STAFF],
        (ADMIN, ALL, ("change", "negotiate", "make_deal")),
        (MANAGER, ALL, ("change", "negotiate", "make_deal", "follow")),
        (ENTERPRISE, "own_organisation", ("view", "change")),
        (INVENTOR, "on_own_results", ("view",)),
    ],
)


# -- targeted R&D projects -----------------------------------------------------------------------
def _commissioning_organisation(user: Any, model: type[Model]) -> Q | None:
    org = organisation_id(user)
    return None if org is None else Q(demand__organisation_id=org)


def _research_organisation(user: Any, model: type[Model]) -> Q | None:
    org = organisation_id(user)
    return None if org is None else Q(research_organisation_id=org)


register(
    PROJECT,
    actions={"view", "change"},
    constraints={
        "commissioning_organisation": _commissioning_organisation,
        "research_organisation": _research_organisation,
    },
    grants=[
        *[(role, ALL, ("view", "change")) for role in STAFF],
        (ENTERPRISE, "commissioning_organisation", ("view",)),
        (INVENTOR, "research_organisation", ("view",)),
    ],
)


# -- children: they follow their parent's grants ---------------------------------------------------
def _child(parent: str, action: str, field: str) -> Any:
    def constraint(user: Any, model: type[Model]) -> Q | None:
        from django.apps import apps

        return within(user, apps.get_model(parent), action, field)

    constraint.__doc__ = f"Rows whose {field} the user may {action}."
    return constraint


register(
    "demands.demandevent",
    actions={"view"},
    constraints={"demand_visible": _child(DEMAND, "view", "demand")},
    grants=[(role, "demand_visible", ("view",)) for role in SIGNED_IN],
)
register(
    "demands.matchevent",
    actions={"view"},
    constraints={"match_visible": _child(MATCH, "view", "match")},
    grants=[(role, "match_visible", ("view",)) for role in SIGNED_IN],
)
register(
    "demands.matchfeedback",
    actions={"view"},
    constraints={"demand_matched": _child(DEMAND, "match", "demand")},
    grants=[(role, "demand_matched", ("view",)) for role in SIGNED_IN],
)
register(
    "demands.matchjudgement",
    actions={"view"},
    constraints={"demand_matched": _child(DEMAND, "match", "demand")},
    grants=[(role, "demand_matched", ("view",)) for role in SIGNED_IN],
)
register(
    "demands.rankerversion", actions={"view"}, grants=[(role, ALL, ("view",)) for role in STAFF]
)
register(
    "demands.projectmilestone",
    actions={"view", "change"},
    constraints={
        "project_visible": _child(PROJECT, "view", "project"),
        "project_changed": _child(PROJECT, "change", "project"),
    },
    grants=[
        g
        for role in SIGNED_IN
        for g in ((role, "project_visible", ("view",)), (role, "project_changed", ("change",)))
    ],
)


# -- on organisations: posting a demand, expressing interest ---------------------------------------
def _enterprises(user: Any, model: type[Model]) -> Q:
    return Q(kind=OrganisationKindChoices.ENTERPRISE)


register(
    "organisations.organisation",
    actions={"post_demand", "express_interest"},
    constraints={"enterprises": _enterprises},
    grants=[
        *[(role, "enterprises", ("post_demand",)) for role in STAFF],
        (ENTERPRISE, "own_organisation", ("post_demand", "express_interest")),
    ],
)


# -- questions the views, forms and services ask --------------------------------------------------
def may_express_interest(user: Any) -> bool:
    """Whether ``user`` may record their organisation's interest in a showcase result."""
    from opentto.organisations.models import Organisation

    org = organisation_id(user)
    return (
        org is not None
        and Organisation.objects.restrict(user, "express_interest").filter(pk=org).exists()
    )


def may_post_for(user: Any, organisation: Any) -> bool:
    """Whether ``user`` may post (or keep) a demand for ``organisation``."""
    return organisation is not None and allows(user, organisation, "post_demand")
