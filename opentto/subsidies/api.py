"""API resources for subsidy programmes and applications (``/api/v1/subsidy-programmes/``,
``/api/v1/subsidy-applications/``).

Reads go through ``programmes_visible`` and ``applications_visible``: officials and TTO managers
see every application, a reviewer those under review and those they reviewed, an enterprise or an
inventor their own organisation's. The results and the deal an application names are listed only
where the caller may see them."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from opentto.api.base import FilterParam, RestrictedViewSet
from opentto.api.serializers import OrganisationRefSerializer
from opentto.landing.models import Deal
from opentto.results.models import Result

from .models import Application, ApplicationStatusChoices, Programme
from .selectors import applications_visible, programmes_visible

MONEY = {"max_digits": 16, "decimal_places": 2, "coerce_to_string": True, "read_only": True}


class ProgrammeSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    cap_per_project_cny = serializers.DecimalField(**MONEY)
    eligible_share_cap = serializers.DecimalField(max_digits=5, decimal_places=4, coerce_to_string=True, allow_null=True, read_only=True)

    class Meta:
        model = Programme
        fields = [
            "id", "code", "kind", "name_zh", "name_en", "legal_basis_zh", "legal_basis_en", "cap_per_project_cny",
            "eligible_share_cap", "requires_research_partner", "requires_enterprise_partner", "requires_deal",
            "window_opens", "window_closes", "is_active",
        ]
        read_only_fields = fields


class ProgrammeRefSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Programme
        fields = ["id", "code", "name_zh", "name_en"]


class ApplicationSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    programme = ProgrammeRefSerializer(read_only=True)
    applicant = OrganisationRefSerializer(read_only=True)
    partners = OrganisationRefSerializer(many=True, read_only=True)
    results = serializers.SerializerMethodField(help_text="The results named that the caller may see.")
    deal = serializers.SerializerMethodField(help_text="The deal named, if the caller may see it.")
    requested_cny = serializers.DecimalField(**MONEY)
    eligible_costs_cny = serializers.DecimalField(**MONEY)
    cap_cny = serializers.DecimalField(**MONEY, allow_null=True)
    share_cap_cny = serializers.DecimalField(**MONEY, allow_null=True)
    approved_cny = serializers.DecimalField(**MONEY, allow_null=True)

    class Meta:
        model = Application
        fields = [
            "id", "programme", "year", "applicant", "partners", "results", "deal", "project_title_zh", "project_title_en",
            "description", "requested_cny", "eligible_costs_cny", "cap_cny", "share_cap_cny", "approved_cny", "status",
            "submitted_at", "recognition_number", "recognised_at", "approved_at", "decision_reason", "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_results(self, obj: Application) -> list[int]:
        # ``results`` is prefetched through Result.objects.restrict(user, "view") by the view.
        return sorted(r.pk for r in obj.results.all())

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_deal(self, obj: Application) -> int | None:
        visible = self.context.get("visible_deals")
        return obj.deal_id if obj.deal_id is not None and visible is not None and obj.deal_id in visible else None


class ProgrammeViewSet(RestrictedViewSet):
    """Subsidy programmes (anyone: the active ones; officials and TTO managers: all)."""

    serializer_class = ProgrammeSerializer
    ordering_fields = ["id", "window_opens", "window_closes"]

    def visible(self, user: Any) -> QuerySet[Any]:
        return programmes_visible(user)


class ApplicationViewSet(RestrictedViewSet):
    """Subsidy applications the caller may see."""

    serializer_class = ApplicationSerializer
    ordering_fields = ["id", "created_at", "submitted_at", "year"]
    filter_params = (
        FilterParam("status", "Status.", tuple(ApplicationStatusChoices.values)),
        FilterParam("programme", "Programme id.", kind=int),
        FilterParam("year", "Budget year.", kind=int),
    )

    def visible(self, user: Any) -> QuerySet[Any]:
        return applications_visible(user).prefetch_related(
            "partners", Prefetch("results", queryset=Result.objects.restrict(user, "view").only("id")),
        )

    def apply_filters(self, queryset: QuerySet[Any], params: dict[str, Any]) -> QuerySet[Any]:
        if "programme" in params:
            params["programme_id"] = params.pop("programme")
        return queryset.filter(**params)

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        user = getattr(context.get("request"), "user", None)
        context["visible_deals"] = _LazyIds(lambda: set(Deal.objects.restrict(user, "view").values_list("pk", flat=True)))
        return context


class _LazyIds:
    """The ids of a queryset, read on the first membership test (not for callers who never need it)."""

    def __init__(self, load: Any) -> None:
        self._load, self._ids = load, None

    def __contains__(self, pk: object) -> bool:
        if self._ids is None:
            self._ids = self._load()
        return pk in self._ids  # type: ignore[operator]


ROUTES = [
    ("subsidy-programmes", ProgrammeViewSet, "subsidyprogramme"),
    ("subsidy-applications", ApplicationViewSet, "subsidyapplication"),
]
