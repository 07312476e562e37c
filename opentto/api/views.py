"""The REST API (``/api/v1/``). Every read goes through the same permission querysets and selectors
as the pages, every write through the same services: there is no second path around the rules."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from opentto.core.audit import audit_record
from opentto.core.http import YEAR_MAX, YEAR_MIN, year_param
from opentto.core.permissions import allows, restrict_directory
from opentto.core.rest import FilterParam, RestrictedViewSet, service_call
from opentto.dashboard.selectors import figures, headline
from opentto.directory.selectors import organisation_list, person_list
from opentto.landing.models import ContractRegistration, Deal, DealStatusChoices, DealTypeChoices
from opentto.organisations.models import Organisation, OrganisationKindChoices, Person
from opentto.organisations.services import organisation_create, person_create
from opentto.results.models import (
    IPAsset,
    IPAssetKindChoices,
    IPAssetStatusChoices,
    Result,
    ResultFieldChoices,
    ResultKindChoices,
    ResultStageChoices,
)
from opentto.results.selectors import result_list
from opentto.results.services import InventorInput, IPAssetInput, ResultInput, result_onboard

from .serializers import (
    DealSerializer,
    FiguresSerializer,
    IPAssetSerializer,
    OrganisationCreateSerializer,
    OrganisationSerializer,
    PersonCreateSerializer,
    PersonSerializer,
    ResultCreateSerializer,
    ResultDemandsSerializer,
    ResultDetailSerializer,
    ResultSummarySerializer,
)


class ResultViewSet(RestrictedViewSet):
    """Results the caller may see (anonymous callers: public results' summaries). A result the caller
    may not see answers 404. Confidential details only where the caller may read them."""

    serializer_class = ResultSummarySerializer
    ordering_fields = ["id", "onboarded_at", "stage_changed_at", "trl"]
    filter_params = (
        FilterParam(
            "q", "Words that must all appear (title, summary, keywords, application number)."
        ),
        FilterParam("stage", "Pipeline stage.", tuple(ResultStageChoices.values)),
        FilterParam("field", "Field.", tuple(ResultFieldChoices.values)),
        FilterParam("kind", "Kind of result.", tuple(ResultKindChoices.values)),
        FilterParam("owner", "Owner organisation id.", kind=int),
        FilterParam("public", "Public or confidential results.", ("public", "confidential")),
    )
    http_method_names = ["get", "post", "head", "options"]
    write_permission = ("results.result", "add")  # result_onboard
    write_refused = gettext_lazy("Only TTO managers and inventors can onboard results.")

    def visible(self, user: Any) -> QuerySet[Any]:
        return Result.objects.restrict(user, "view").prefetch_related("ownerships__organisation")

    def apply_filters(self, queryset: QuerySet[Any], params: dict[str, Any]) -> QuerySet[Any]:
        # The UI's selector (restrict(user, "view") inside): the API lists exactly what the page lists.
        return result_list(self.request.user, **params)

    def get_serializer_class(self) -> Any:
        if self.action == "retrieve":
            return ResultDetailSerializer
        if self.action == "create":
            return ResultCreateSerializer
        if self.action == "demands":
            return ResultDemandsSerializer
        return ResultSummarySerializer

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        result = self.get_object()
        show = allows(request.user, result, "view_details")
        if show and (result.details_zh or result.details_en):
            audit_record(
                actor=request.user,
                action="result.view_details",
                obj=result,
                payload={"via": "api"},
                remote_addr=request.META.get("REMOTE_ADDR"),
                durable=False,
            )
        data = ResultDetailSerializer(
            result, context={"request": request, "show_details": show}
        ).data
        return Response(data)

    @extend_schema(request=ResultCreateSerializer, responses={201: ResultDetailSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = ResultCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = dict(serializer.validated_data)
        directory = restrict_directory(Organisation.objects.all(), request.user)
        owners = list(directory.filter(pk__in=v["owners"]))
        people = {
            p.pk: p
            for p in restrict_directory(Person.objects.all(), request.user).filter(
                pk__in=[i["person"] for i in v["inventors"]]
            )
        }
        errors: dict[str, list[str]] = {}
        if len(owners) != len(set(v["owners"])):
            errors["owners"] = [_("Unknown organisation id.")]
        if any(i["person"] not in people for i in v["inventors"]):
            errors["inventors"] = [_("Unknown person id.")]
        if errors:
            return Response(errors, status=status.HTTP_400_BAD_REQUEST)
        data = ResultInput(
            kind=v["kind"],
            field=v["field"],
            trl=v["trl"],
            owners=owners,
            inventors=[
                InventorInput(person=people[i["person"]], share=i["share"]) for i in v["inventors"]
            ],
            ip_assets=[IPAssetInput(**a) for a in v["ip_assets"]],
            is_public=v["is_public"],
            keywords_zh=v["keywords_zh"],
            keywords_en=v["keywords_en"],
            **{
                k: v[k]
                for k in (
                    "title_zh",
                    "title_en",
                    "abstract_zh",
                    "abstract_en",
                    "advantages_zh",
                    "advantages_en",
                    "applications_zh",
                    "applications_en",
                    "details_zh",
                    "details_en",
                )
            },
        )
        result = service_call(
            result_onboard,
            data=data,
            actor=request.user,
            confirm_duplicates=v["confirm_duplicates"],
        )
        body = ResultDetailSerializer(
            result, context={"request": request, "show_details": True}
        ).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: ResultDemandsSerializer}, filters=False)
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def demands(self, request: Request, pk: str | None = None) -> Response:
        """Who needs this result: the live demands the caller may see that fit it (``result_demands``),
        and the matches already made that the caller may see."""
        from opentto.demands.selectors import result_demands

        result = self.get_object()
        found = result_demands(request.user, result)
        data = {
            "demands": [
                {"demand": f.demand, "score": round(f.score, 6), "rank": f.rank}
                for f in found.demands
            ],
            "matches": [m.pk for m in found.matches],
        }
        return Response(ResultDemandsSerializer(data).data)


class IPAssetViewSet(RestrictedViewSet):
    """IP assets of the results the caller may see."""

    serializer_class = IPAssetSerializer
    ordering_fields = ["id", "filing_date"]
    filter_params = (
        FilterParam("result", "Result id.", kind=int),
        FilterParam("ip_kind", "Kind.", tuple(IPAssetKindChoices.values)),
        FilterParam("status", "Status.", tuple(IPAssetStatusChoices.values)),
        FilterParam(
            "application_number", "Application number (exact, normalised, e.g. CN202210123456.1)."
        ),
    )

    def visible(self, user: Any) -> QuerySet[Any]:
        return IPAsset.objects.restrict(user, "view")

    def apply_filters(self, queryset: QuerySet[Any], params: dict[str, Any]) -> QuerySet[Any]:
        if "result" in params:
            params["result_id"] = params.pop("result")
        return queryset.filter(**params)


class OrganisationViewSet(RestrictedViewSet):
    """The directory of organisations (signed-in callers)."""

    serializer_class = OrganisationSerializer
    ordering_fields = ["id", "created_at"]
    filter_params = (
        FilterParam("q", "Name or credit code contains."),
        FilterParam("kind", "Kind of organisation.", tuple(OrganisationKindChoices.values)),
        FilterParam("credit_code", "Unified social credit code (exact)."),
    )
    http_method_names = ["get", "post", "head", "options"]
    write_permission = ("organisations.organisation", "add")  # organisation_create
    write_refused = gettext_lazy("Only TTO managers add organisations.")

    def visible(self, user: Any) -> QuerySet[Any]:
        return organisation_list(user)

    def apply_filters(self, queryset: QuerySet[Any], params: dict[str, Any]) -> QuerySet[Any]:
        code = params.pop("credit_code", "")
        qs = organisation_list(self.request.user, **params)
        return qs.filter(credit_code=code.upper()) if code else qs

    def get_serializer_class(self) -> Any:
        return OrganisationCreateSerializer if self.action == "create" else OrganisationSerializer

    @extend_schema(request=OrganisationCreateSerializer, responses={201: OrganisationSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = OrganisationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        org = service_call(organisation_create, actor=request.user, **serializer.validated_data)
        org.result_count = 0
        return Response(OrganisationSerializer(org).data, status=status.HTTP_201_CREATED)


class PersonViewSet(RestrictedViewSet):
    """The directory of people (signed-in callers)."""

    serializer_class = PersonSerializer
    ordering_fields = ["id", "created_at"]
    filter_params = (
        FilterParam("q", "Name contains."),
        FilterParam("organisation", "Member of this organisation (id).", kind=int),
    )
    http_method_names = ["get", "post", "head", "options"]
    write_permission = ("organisations.person", "add")  # person_create
    write_refused = gettext_lazy("Only TTO managers add people.")

    def visible(self, user: Any) -> QuerySet[Any]:
        return person_list(user)

    def apply_filters(self, queryset: QuerySet[Any], params: dict[str, Any]) -> QuerySet[Any]:
        return person_list(self.request.user, **params)

    def get_serializer_class(self) -> Any:
        return PersonCreateSerializer if self.action == "create" else PersonSerializer

    @extend_schema(request=PersonCreateSerializer, responses={201: PersonSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = PersonCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        orgs = {
            o.pk: o
            for o in restrict_directory(Organisation.objects.all(), request.user).filter(
                pk__in=[m["organisation"] for m in v["memberships"]]
            )
        }
        if any(m["organisation"] not in orgs for m in v["memberships"]):
            return Response(
                {"memberships": [_("Unknown organisation id.")]}, status=status.HTTP_400_BAD_REQUEST
            )
        person = service_call(
            person_create,
            actor=request.user,
            name_zh=v["name_zh"],
            name_en=v["name_en"],
            email=v["email"],
            memberships=[
                (orgs[m["organisation"]], m["role"], m["position_zh"], m["position_en"])
                for m in v["memberships"]
            ],
        )
        person = person_list(request.user).get(pk=person.pk)
        return Response(PersonSerializer(person).data, status=status.HTTP_201_CREATED)


class DealViewSet(RestrictedViewSet):
    """Deals the caller may see (``Deal.objects.restrict``); covered results only where visible."""

    serializer_class = DealSerializer
    ordering_fields = ["id", "signed_on", "created_at"]
    filter_params = (
        FilterParam("status", "Status.", tuple(DealStatusChoices.values)),
        FilterParam("deal_type", "Type.", tuple(DealTypeChoices.values)),
        FilterParam("counterparty", "Counterparty organisation id.", kind=int),
    )

    def visible(self, user: Any) -> QuerySet[Any]:
        return (
            Deal.objects.restrict(user, "view")
            .select_related("counterparty")
            .prefetch_related(
                Prefetch("results", queryset=Result.objects.restrict(user, "view").only("id"))
            )
            .prefetch_related(
                Prefetch(
                    "registration", queryset=ContractRegistration.objects.restrict(user, "view")
                )
            )
        )

    def apply_filters(self, queryset: QuerySet[Any], params: dict[str, Any]) -> QuerySet[Any]:
        if "counterparty" in params:
            params["counterparty_id"] = params.pop("counterparty")
        return queryset.filter(**params)


class FiguresView(APIView):
    """The district figures over what the caller may see (``figures(user, year)``), with the
    headline figures of the year beside all time (``headline(user, year)``, docs/figures.md)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        responses={200: FiguresSerializer},
        parameters=[
            OpenApiParameter(
                "year",
                int,
                OpenApiParameter.QUERY,
                required=False,
                description="A calendar year (Asia/Shanghai), 1900–2200: the tables and the headline for that year.",
            )
        ],
    )
    def get(self, request: Request) -> Response:
        raw = request.query_params.get("year")
        year = year_param(raw)
        if raw is not None and year is None:
            return Response(
                {
                    "year": [
                        _("Give a year between %(low)s and %(high)s.")
                        % {"low": YEAR_MIN, "high": YEAR_MAX}
                    ]
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        body = figures(request.user, year).as_json()
        body["year"] = year
        body["headline"] = headline(request.user, year or timezone.localdate().year).as_json()
        return Response(body)
