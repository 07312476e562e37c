"""Who may see and change results and their parts (registered with :mod:`opentto.core.permissions`).

``results.result``:

| role | view | view_details | change | figures | add, view_access_log, submit, withdraw | proceed, return, decline, land, hold, resume |
|---|---|---|---|---|---|---|
| anonymous | public | — | — | — | — | — |
| admin, manager | all | all | all | all | all | all |
| inventor (organisation staff) | public + their organisation's | their organisation's | their organisation's while onboarding | over what they see | their organisation's | — |
| enterprise, investor | public (+ shared under a live NDA: opentto.access) | shared under a live NDA | — | public | — (request_access: opentto.access) | — |
| reviewer | public | assigned and declared (opentto.evaluation) | — | public | — | — |
| official | public | — | — | all | — | — |

The pipeline's edges (``opentto.results.pipeline.TRANSITIONS``) are actions on the result: a move
is allowed when ``allows(user, result, <edge>)`` and the edge's guard passes. ``add`` is asked
twice: ``permitted(user, Result, "add")`` (may onboard at all) and, once the new result and its
owners are written, ``allows(user, result, "add")`` (this one: an inventor's must be owned by their
organisation), so the rule lives in the constraint, not in the service.

The parts of a result never outrun it: IP assets, inventors, funding and the timeline are seen
by those who may see the result (inventors, funding and the timeline by signed-in users, as the
result page shows them), attachments by those who may read its confidential details. Audit
entries about a result or its attachments (``core.auditevent``: *who looked at this result*) by
those who may read its access log (``view_access_log``: the owners, i.e. inventors of an owning
organisation; the TTO reads every entry, opentto.access).
"""

from __future__ import annotations

from typing import Any

from django.db.models import CharField, Model, Q
from django.db.models.functions import Cast

from opentto.core.permissions import (
    ALL,
    ANONYMOUS,
    ENTERPRISE,
    EVERYONE,
    INVENTOR,
    INVESTOR,
    OFFICIAL,
    REVIEWER,
    SIGNED_IN,
    STAFF,
    allowed_condition,
    organisation_id,
    register,
)

#: The pipeline's edges a user may take (the others are taken by signing or terminating a deal).
PIPELINE_ACTIONS = ("submit", "proceed", "return", "decline", "land", "hold", "resume", "withdraw")
#: Edges an owning inventor takes on their organisation's results.
OWNER_PIPELINE_ACTIONS = ("submit", "withdraw")
RESULT_ACTIONS = {
    "view",
    "view_details",
    "change",
    "figures",
    "add",
    "view_access_log",
    *PIPELINE_ACTIONS,
}


def _public(user: Any, model: type[Model]) -> Q:
    return Q(is_public=True)


def _own_organisation(user: Any, model: type[Model]) -> Q | None:
    org = organisation_id(user)
    if org is None:
        return None
    # A subquery, not a join: a result with two owners must not appear twice.
    return Q(pk__in=model._default_manager.filter(ownerships__organisation_id=org).values("pk"))


def _own_organisation_onboarding(user: Any, model: type[Model]) -> Q | None:
    own = _own_organisation(user, model)
    return None if own is None else own & Q(stage="onboarding")


register(
    "results.result",
    actions=RESULT_ACTIONS,
    constraints={
        "public": _public,
        "own_organisation": _own_organisation,
        "own_organisation_onboarding": _own_organisation_onboarding,
    },
    grants=[
        *[
            (
                role,
                ALL,
                (
                    "view",
                    "view_details",
                    "change",
                    "figures",
                    "add",
                    "view_access_log",
                    *PIPELINE_ACTIONS,
                ),
            )
            for role in STAFF
        ],
        (ANONYMOUS, "public", ("view",)),
        *[
            (role, "public", ("view", "figures"))
            for role in (INVENTOR, ENTERPRISE, REVIEWER, INVESTOR)
        ],
        (OFFICIAL, "public", ("view",)),
        (OFFICIAL, ALL, ("figures",)),
        (
            INVENTOR,
            "own_organisation",
            ("view", "view_details", "figures", "add", "view_access_log", *OWNER_PIPELINE_ACTIONS),
        ),
        (INVENTOR, "own_organisation_onboarding", ("change",)),
    ],
)


# --- The parts of a result --------------------------------------------------------------------


def of_results(user: Any, action: str, field: str = "result") -> Q | None:
    """Rows whose result (``field``) ``user`` may ``action``: every row when the user's grants
    allow every result, none when none. The constraint of every part of a result."""
    from .models import Result

    condition = allowed_condition(Result, user, action)
    if condition is None:
        return None
    if not condition:
        return Q()
    return Q(**{f"{field}__in": Result.objects.filter(condition).values("pk")})


def _result_viewable(user: Any, model: type[Model]) -> Q | None:
    return of_results(user, "view")


def _result_and_person_viewable(user: Any, model: type[Model]) -> Q | None:
    """An inventorship: its result and its person both visible to ``user``."""
    from opentto.organisations.models import Person

    result = of_results(user, "view")
    person = allowed_condition(Person, user, "view")
    if result is None or person is None:
        return None
    return result & (
        Q(person__in=Person.objects.filter(person).values("pk"))
        if person
        else Q(person__isnull=False)
    )


def _result_details_viewable(user: Any, model: type[Model]) -> Q | None:
    return of_results(user, "view_details")


for _part, _roles in (
    ("results.ipasset", EVERYONE),  # the result page shows them to anyone who sees the result
    ("results.funding", SIGNED_IN),
    ("results.stagetransition", SIGNED_IN),  # the timeline names who moved the result
):
    register(
        _part,
        actions={"view"},
        constraints={"result_viewable": _result_viewable},
        grants=[(role, "result_viewable", ("view",)) for role in _roles],
    )

register(
    "results.resultinventor",
    actions={"view"},
    constraints={"result_and_person_viewable": _result_and_person_viewable},
    grants=[(role, "result_and_person_viewable", ("view",)) for role in SIGNED_IN],
)
register(
    "results.attachment",
    actions={"view"},
    constraints={"result_details_viewable": _result_details_viewable},
    grants=[(role, "result_details_viewable", ("view",)) for role in SIGNED_IN],
)


# --- Audit entries about results ----------------------------------------------------------------


def _about_results_with_access_log(user: Any, model: type[Model]) -> Q | None:
    """Entries about results whose access log the user reads (``view_access_log``), and about
    their attachments: who read the details, who downloaded what."""
    from .models import Attachment, Result

    condition = allowed_condition(Result, user, "view_access_log")
    if condition is None:
        return None
    results = Result.objects.filter(condition)
    attachments = Attachment.objects.filter(result__in=results.values("pk"))
    # object_id is text: compare it with the ids as text (PostgreSQL does not cast for us).
    return Q(
        object_type="results.result",
        object_id__in=results.annotate(key=Cast("pk", CharField())).values("key"),
    ) | Q(
        object_type="results.attachment",
        object_id__in=attachments.annotate(key=Cast("pk", CharField())).values("key"),
    )


#: The constraint under which the owners of a result read *who looked at this result*.
ABOUT_RESULTS_WITH_ACCESS_LOG = "about_results_with_access_log"

register(
    "core.auditevent",
    constraints={ABOUT_RESULTS_WITH_ACCESS_LOG: _about_results_with_access_log},
    grants=[(INVENTOR, ABOUT_RESULTS_WITH_ACCESS_LOG, ("view",))],
)
