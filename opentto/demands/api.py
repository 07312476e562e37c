"""API resources for demands and matches (``/api/v1/demands/``, ``/api/v1/matches/``).

Reads go through the app's selectors (``demand_list``, ``demands_visible``, ``demands_permitted``,
``matches_visible``, ``demand_matches``); posting a demand goes through ``demand_create``,
contacting a result's owners for a demand through ``match_contact`` and moving a match along its
workflow (contacted, NDA, negotiating, declined) through ``match_transition``."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from opentto.core.rest import FilterParam, RestrictedViewSet, service_call
from opentto.organisations.models import Organisation
from opentto.organisations.serializers import OrganisationRefSerializer
from opentto.results.models import Result, ResultFieldChoices
from opentto.results.serializers import ResultRefSerializer

from .models import (
    Demand,
    DemandCooperationChoices,
    DemandStatusChoices,
    FeedbackVerdictChoices,
    JudgementReasonChoices,
    Match,
    MatchStatusChoices,
)
from .permissions import DEMAND, MATCH
from .selectors import (
    demand_list,
    demand_matches,
    demands_permitted,
    demands_visible,
    matches_visible,
)
from .services import DemandInput, demand_create, feedback_record, match_contact, match_transition

MONEY = {"max_digits": 16, "decimal_places": 2, "coerce_to_string": True}


class DemandRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Demand
        fields = ["id", "title_zh", "title_en"]


class DemandSerializer(serializers.ModelSerializer):
    organisation = OrganisationRefSerializer(read_only=True)
    cooperation = serializers.ListField(
        child=serializers.ChoiceField(choices=DemandCooperationChoices.choices), read_only=True
    )
    budget_min_cny = serializers.DecimalField(**MONEY, allow_null=True, read_only=True)
    budget_max_cny = serializers.DecimalField(**MONEY, allow_null=True, read_only=True)
    confidential = serializers.SerializerMethodField(
        help_text="Only the enterprise and the TTO managers see it."
    )
    field = serializers.ChoiceField(
        choices=ResultFieldChoices.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = Demand
        fields = [
            "id",
            "title_zh",
            "title_en",
            "problem_zh",
            "problem_en",
            "organisation",
            "field",
            "cooperation",
            "budget_min_cny",
            "budget_max_cny",
            "deadline",
            "status",
            "confidential",
            "status_changed_at",
            "created_at",
        ]
        read_only_fields = fields

    def get_confidential(self, obj: Demand) -> bool:
        return not obj.is_public


class DemandCreateSerializer(serializers.Serializer):
    """Post a demand (``demand_create``): the same validation as the form."""

    organisation = serializers.IntegerField(
        min_value=1,
        max_value=2**62,
        required=False,
        allow_null=True,
        default=None,
        help_text="The enterprise (TTO managers); an enterprise user posts for their own organisation.",
    )
    title_zh = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    title_en = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    problem_zh = serializers.CharField(required=False, allow_blank=True, default="")
    problem_en = serializers.CharField(required=False, allow_blank=True, default="")
    field = serializers.ChoiceField(
        choices=ResultFieldChoices.choices, required=False, allow_blank=True, default=""
    )
    cooperation = serializers.ListField(
        child=serializers.ChoiceField(choices=DemandCooperationChoices.choices), max_length=10
    )
    budget_min_cny = serializers.DecimalField(
        max_digits=16, decimal_places=2, min_value=0, required=False, allow_null=True, default=None
    )
    budget_max_cny = serializers.DecimalField(
        max_digits=16, decimal_places=2, min_value=0, required=False, allow_null=True, default=None
    )
    deadline = serializers.DateField(required=False, allow_null=True, default=None)
    is_public = serializers.BooleanField(default=False)
    publish = serializers.BooleanField(
        default=False, help_text="Open at once (otherwise saved as a draft)."
    )


class MatchSerializer(serializers.ModelSerializer):
    organisation = OrganisationRefSerializer(read_only=True)
    result = ResultRefSerializer(read_only=True)
    demand = DemandRefSerializer(read_only=True, allow_null=True)
    deal = serializers.SerializerMethodField(
        help_text="The deal made from this match, if any (and if the caller may see it)."
    )

    class Meta:
        model = Match
        fields = [
            "id",
            "organisation",
            "result",
            "demand",
            "status",
            "source",
            "score",
            "deal",
            "created_at",
            "status_changed_at",
        ]
        read_only_fields = fields

    def get_deal(self, obj: Match) -> int | None:
        return getattr(
            obj, "visible_deal_id", None
        )  # matches_visible: only a deal the caller may see


class MatchContactSerializer(serializers.Serializer):
    """Contact the owners of a result for a demand (``match_contact``): the match is recorded as
    "contacted" (an existing match of the same demand and result is returned as it is)."""

    demand = serializers.IntegerField(
        min_value=1, max_value=2**62, help_text="A demand the caller acts on."
    )
    result = serializers.IntegerField(
        min_value=1, max_value=2**62, help_text="A result the caller may see."
    )
    message = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class MatchTransitionSerializer(serializers.Serializer):
    """Move a match (``match_transition``): contacted, nda, negotiating (TTO managers) or declined
    (with the reason in ``note``). A match becomes a deal only when the deal is created from it."""

    target = serializers.ChoiceField(choices=MatchStatusChoices.choices)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class RankedResultSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    score = serializers.FloatField()
    result = ResultRefSerializer()
    verdict = serializers.CharField(
        help_text="Relevance feedback recorded for this demand (empty: none)."
    )
    match = serializers.IntegerField(allow_null=True, help_text="The match already made, if any.")
    match_status = serializers.CharField(allow_null=True)


class DemandMatchesSerializer(serializers.Serializer):
    mode = serializers.CharField(help_text="lexical, dense or hybrid.")
    building = serializers.BooleanField(help_text="The index is being built: try again shortly.")
    results = RankedResultSerializer(many=True)


class FeedbackSerializer(serializers.Serializer):
    """Mark a result relevant (``shortlisted``) or not relevant for the demand, with a reason
    (``feedback_record``; empty ``verdict``: withdraw the mark). The ranking learns from it."""

    result = serializers.IntegerField(
        min_value=1, max_value=2**62, help_text="A result the caller may see."
    )
    verdict = serializers.ChoiceField(
        choices=[("", "none"), *FeedbackVerdictChoices.choices], allow_blank=True
    )
    reason = serializers.ChoiceField(
        choices=JudgementReasonChoices.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="Why it is not relevant (with verdict not_relevant only).",
    )


class DemandViewSet(RestrictedViewSet):
    """Demands the caller may see (``demands_visible``: managers all, an enterprise its own and the
    public ones, other signed-in users the public ones, anonymous callers none)."""

    serializer_class = DemandSerializer
    ordering_fields = ["id", "created_at", "status_changed_at", "deadline"]
    filter_params = (
        FilterParam("q", "Words to search in the title and problem."),
        FilterParam("status", "Status.", tuple(DemandStatusChoices.values)),
        FilterParam("field", "Field.", tuple(ResultFieldChoices.values)),
        FilterParam("mine", "1: only the demands the caller acts on (their enterprise's).", ("1",)),
    )
    http_method_names = ["get", "post", "head", "options"]
    write_permission = {
        "create": ("organisations.organisation", "post_demand"),
        "feedback": (DEMAND, "match"),
    }
    write_refused = {
        "create": gettext_lazy(
            "Only enterprise users (for their own organisation) and TTO managers post demands."
        ),
        "feedback": gettext_lazy("You may not act on this demand."),
    }

    def visible(self, user: Any) -> QuerySet[Any]:
        return demands_visible(user)

    def apply_filters(self, queryset: QuerySet[Any], params: dict[str, Any]) -> QuerySet[Any]:
        return demand_list(
            self.request.user,
            q=params.get("q", ""),
            status=params.get("status", ""),
            field_=params.get("field", ""),
            mine=params.get("mine") == "1",
        )

    def get_serializer_class(self) -> Any:
        if self.action == "create":
            return DemandCreateSerializer
        if self.action == "matches":
            return DemandMatchesSerializer
        if self.action == "feedback":
            return FeedbackSerializer
        return DemandSerializer

    @extend_schema(request=DemandCreateSerializer, responses={201: DemandSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = DemandCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = dict(serializer.validated_data)
        org: Organisation | None = getattr(request.user, "organisation", None)
        if v["organisation"] is not None:
            org = (
                Organisation.objects.restrict(request.user, "view")
                .filter(pk=v["organisation"])
                .first()
            )
            if org is None:
                return Response(
                    {"organisation": [_("Unknown organisation id.")]},
                    status=status.HTTP_400_BAD_REQUEST,
                )
        data = DemandInput(
            organisation=org,
            title_zh=v["title_zh"],
            title_en=v["title_en"],
            problem_zh=v["problem_zh"],
            problem_en=v["problem_en"],
            field=v["field"],
            cooperation=v["cooperation"],
            budget_min_cny=v["budget_min_cny"],
            budget_max_cny=v["budget_max_cny"],
            deadline=v["deadline"],
            is_public=v["is_public"],
        )
        demand = service_call(demand_create, data=data, actor=request.user, publish=v["publish"])
        return Response(DemandSerializer(demand).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: DemandMatchesSerializer}, parameters=[], filters=False)
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def matches(self, request: Request, pk: str | None = None) -> Response:
        """The results ranked for this demand (only results the caller may see), as on the demand's
        matches page: for the demand's enterprise and the TTO managers; anyone else gets 404."""
        demand = self.get_object_from(demands_permitted(request.user, "match"))
        found = demand_matches(request.user, demand, top=20)
        rows = [
            {
                "rank": r.rank,
                "score": round(r.score, 6),
                "result": r.result,
                "verdict": r.verdict,
                "match": r.match.pk if r.match else None,
                "match_status": r.match.status if r.match else None,
            }
            for r in found.results
        ]
        return Response(
            DemandMatchesSerializer(
                {"mode": found.mode, "building": found.building, "results": rows}
            ).data
        )

    @extend_schema(request=FeedbackSerializer, responses={200: FeedbackSerializer}, filters=False)
    @action(detail=True, methods=["post"], pagination_class=None, filter_backends=[])
    def feedback(self, request: Request, pk: str | None = None) -> Response:
        """Record the caller's judgement of a result for this demand (for the demand's enterprise and
        the TTO managers; anyone else gets 404; a result the caller may not see: 400)."""
        demand = self.get_object_from(demands_permitted(request.user, "match"))
        serializer = FeedbackSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        result = Result.objects.restrict(request.user, "view").filter(pk=v["result"]).first()
        if result is None:
            return Response(
                {"result": [_("Unknown result id.")]}, status=status.HTTP_400_BAD_REQUEST
            )
        service_call(
            feedback_record,
            demand=demand,
            result=result,
            verdict=v["verdict"],
            reason=v["reason"],
            actor=request.user,
        )
        return Response({"result": result.pk, "verdict": v["verdict"], "reason": v["reason"]})


class MatchViewSet(RestrictedViewSet):
    """Matches the caller may see (``matches_visible``): managers all, an enterprise its own, an
    inventor those on their organisation's results (not those of confidential demands)."""

    serializer_class = MatchSerializer
    ordering_fields = ["id", "created_at", "status_changed_at"]
    filter_params = (
        FilterParam("status", "Status.", tuple(MatchStatusChoices.values)),
        FilterParam("demand", "Demand id.", kind=int),
        FilterParam("result", "Result id.", kind=int),
    )
    http_method_names = ["get", "post", "head", "options"]
    write_permission = {
        "create": (DEMAND, "match"),
        "transition": (MATCH, "change"),
    }  # match_contact, match_transition
    write_refused = {
        "create": gettext_lazy("You may not act on this demand."),
        "transition": gettext_lazy("You may not change this match."),
    }

    def visible(self, user: Any) -> QuerySet[Any]:
        return matches_visible(user)

    def apply_filters(self, queryset: QuerySet[Any], params: dict[str, Any]) -> QuerySet[Any]:
        for key in ("demand", "result"):
            if key in params:
                params[f"{key}_id"] = params.pop(key)
        return queryset.filter(**params)

    def get_serializer_class(self) -> Any:
        if self.action == "create":
            return MatchContactSerializer
        if self.action == "transition":
            return MatchTransitionSerializer
        return MatchSerializer

    @extend_schema(
        request=MatchContactSerializer, responses={201: MatchSerializer, 200: MatchSerializer}
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Contact a result's owners for a demand: 201 with the new match, 200 with the match already made."""
        serializer = MatchContactSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        demand = demands_permitted(request.user, "match").filter(pk=v["demand"]).first()
        result = Result.objects.restrict(request.user, "view").filter(pk=v["result"]).first()
        errors: dict[str, list[str]] = {}
        if demand is None:
            errors["demand"] = [_("Unknown demand id.")]
        if result is None:
            errors["result"] = [_("Unknown result id.")]
        if errors:
            return Response(errors, status=status.HTTP_400_BAD_REQUEST)
        existed = Match.objects.filter(demand=demand, result=result).exists()
        match = service_call(
            match_contact, demand=demand, result=result, message=v["message"], actor=request.user
        )
        match = matches_visible(request.user).get(pk=match.pk)
        return Response(
            MatchSerializer(match).data,
            status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED,
        )

    @extend_schema(
        request=MatchTransitionSerializer, responses={200: MatchSerializer}, filters=False
    )
    @action(detail=True, methods=["post"], pagination_class=None, filter_backends=[])
    def transition(self, request: Request, pk: str | None = None) -> Response:
        """Move the match to ``target`` (``match_transition``): 404 for a match the caller may not
        see, 403 for a move that is not theirs, 400 for a move the workflow does not allow."""
        match = self.get_object_from(matches_visible(request.user))
        serializer = MatchTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        service_call(
            match_transition, match=match, target=v["target"], note=v["note"], actor=request.user
        )
        return Response(MatchSerializer(matches_visible(request.user).get(pk=match.pk)).data)


ROUTES = [("demands", DemandViewSet, "demand"), ("matches", MatchViewSet, "match")]
