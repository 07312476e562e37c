"""API resources for subsidy programmes and applications (``/api/v1/subsidy-programmes/``,
``/api/v1/subsidy-applications/``).

Reads go through ``programmes_visible`` and ``applications_visible``: officials and TTO managers
see every application, a reviewer those under review and those they reviewed, an enterprise or an
inventor their own organisation's. The results and the deal an application names are listed only
where the caller may see them.

An enterprise or an inventor (for their own organisation) and the TTO managers draft an
application (``application_create``) and submit it (``application_submit``: the eligibility check
runs) or withdraw it (``application_withdraw``)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from opentto.core.permissions import restrict_directory
from opentto.core.rest import FilterParam, RestrictedViewSet, service_call
from opentto.landing.models import Deal
from opentto.organisations.models import Organisation
from opentto.organisations.serializers import OrganisationRefSerializer
from opentto.results.models import Result

from .models import Application, ApplicationStatusChoices, CostCategoryChoices, Programme
from .selectors import applications_visible, programmes_visible
from .services import BudgetLineInput, application_create, application_submit, application_withdraw

MONEY = {"max_digits": 16, "decimal_places": 2, "coerce_to_string": True, "read_only": True}


class ProgrammeSerializer(serializers.ModelSerializer):
    cap_per_project_cny = serializers.DecimalField(**MONEY)
    eligible_share_cap = serializers.DecimalField(
        max_digits=5, decimal_places=4, coerce_to_string=True, allow_null=True, read_only=True
    )

    class Meta:
        model = Programme
        fields = [
            "id",
            "code",
            "kind",
            "name_zh",
            "name_en",
            "legal_basis_zh",
            "legal_basis_en",
            "cap_per_project_cny",
            "eligible_share_cap",
            "requires_research_partner",
            "requires_enterprise_partner",
            "requires_deal",
            "window_opens",
            "window_closes",
            "is_active",
        ]
        read_only_fields = fields


class ProgrammeRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Programme
        fields = ["id", "code", "name_zh", "name_en"]


class ApplicationSerializer(serializers.ModelSerializer):
    programme = ProgrammeRefSerializer(read_only=True)
    applicant = OrganisationRefSerializer(read_only=True)
    partners = OrganisationRefSerializer(many=True, read_only=True)
    results = serializers.SerializerMethodField(
        help_text="The results named that the caller may see."
    )
    deal = serializers.SerializerMethodField(help_text="The deal named, if the caller may see it.")
    requested_cny = serializers.DecimalField(**MONEY)
    eligible_costs_cny = serializers.DecimalField(**MONEY)
    cap_cny = serializers.DecimalField(**MONEY, allow_null=True)
    share_cap_cny = serializers.DecimalField(**MONEY, allow_null=True)
    approved_cny = serializers.DecimalField(**MONEY, allow_null=True)

    class Meta:
        model = Application
        fields = [
            "id",
            "programme",
            "year",
            "applicant",
            "partners",
            "results",
            "deal",
            "project_title_zh",
            "project_title_en",
            "description",
            "requested_cny",
            "eligible_costs_cny",
            "cap_cny",
            "share_cap_cny",
            "approved_cny",
            "status",
            "submitted_at",
            "recognition_number",
            "recognised_at",
            "approved_at",
            "decision_reason",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_results(self, obj: Application) -> list[int]:
        # ``results`` is prefetched through Result.objects.restrict(user, "view") by the view.
        return sorted(r.pk for r in obj.results.all())

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_deal(self, obj: Application) -> int | None:
        visible = self.context.get("visible_deals")
        return (
            obj.deal_id
            if obj.deal_id is not None and visible is not None and obj.deal_id in visible
            else None
        )


def _ids(**kw: Any) -> Any:
    return serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**62),
        required=False,
        default=list,
        max_length=100,
        **kw,
    )


class BudgetLineSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=CostCategoryChoices.choices)
    description = serializers.CharField(max_length=300, allow_blank=True)
    amount_cny = serializers.DecimalField(
        max_digits=16, decimal_places=2, help_text="Decimal yuan, two places."
    )


class ApplicationCreateSerializer(serializers.Serializer):
    """A draft application (``application_create``), as the application form makes it."""

    programme = serializers.IntegerField(min_value=1, max_value=2**62)
    applicant = serializers.IntegerField(
        min_value=1,
        max_value=2**62,
        required=False,
        allow_null=True,
        default=None,
        help_text="The applicant organisation (TTO managers); others apply for their own organisation.",
    )
    project_title_zh = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default=""
    )
    project_title_en = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default=""
    )
    description = serializers.CharField(
        max_length=20000, required=False, allow_blank=True, default=""
    )
    requested_cny = serializers.DecimalField(
        max_digits=16, decimal_places=2, help_text="Decimal yuan, two places."
    )
    partners = _ids(help_text="Partner organisations (ids).")
    results = _ids(help_text="Results named (ids the caller may see).")
    deal = serializers.IntegerField(
        min_value=1,
        max_value=2**62,
        required=False,
        allow_null=True,
        default=None,
        help_text="A signed deal the caller may see.",
    )
    budget_lines = BudgetLineSerializer(many=True, required=False, default=list, max_length=50)


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
    http_method_names = ["get", "post", "head", "options"]
    # the grants the services ask: ``add`` (an enterprise or an inventor for their own organisation,
    # TTO managers for any) and ``apply`` on the application (submit, withdraw)
    write_permission = {
        "create": ("subsidies.application", "add"),
        "submit": ("subsidies.application", "apply"),
        "withdraw": ("subsidies.application", "apply"),
    }
    write_refused = {
        "create": gettext_lazy("You may apply only for your own organisation."),
        "submit": gettext_lazy("You may submit only your own organisation's applications."),
        "withdraw": gettext_lazy("You may withdraw only your own organisation's applications."),
    }

    def visible(self, user: Any) -> QuerySet[Any]:
        return applications_visible(user).prefetch_related(
            "partners",
            Prefetch("results", queryset=Result.objects.restrict(user, "view").only("id")),
        )

    def apply_filters(self, queryset: QuerySet[Any], params: dict[str, Any]) -> QuerySet[Any]:
        if "programme" in params:
            params["programme_id"] = params.pop("programme")
        return queryset.filter(**params)

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        user = getattr(context.get("request"), "user", None)
        context["visible_deals"] = _LazyIds(
            lambda: set(Deal.objects.restrict(user, "view").values_list("pk", flat=True))
        )
        return context

    def get_serializer_class(self) -> Any:
        return ApplicationCreateSerializer if self.action == "create" else ApplicationSerializer

    def _data(self, application: Application) -> Any:
        return ApplicationSerializer(
            self.visible(self.request.user).get(pk=application.pk),
            context=self.get_serializer_context(),
        ).data

    @extend_schema(request=ApplicationCreateSerializer, responses={201: ApplicationSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Draft an application; submit it with ``/submit/``."""
        serializer = ApplicationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        user = request.user
        directory = restrict_directory(Organisation.objects.all(), user)
        errors: dict[str, list[str]] = {}
        programme = programmes_visible(user).filter(pk=v["programme"]).first()
        if programme is None:
            errors["programme"] = [_("Unknown programme id.")]
        applicant = (
            getattr(user, "organisation", None)
            if v["applicant"] is None
            else directory.filter(pk=v["applicant"]).first()
        )
        if applicant is None:
            errors["applicant"] = [
                _("Unknown organisation id.")
                if v["applicant"] is not None
                else _("Name the applicant organisation.")
            ]
        partners = list(directory.filter(pk__in=v["partners"]))
        if len(partners) != len(set(v["partners"])):
            errors["partners"] = [_("Unknown organisation id.")]
        results = list(Result.objects.restrict(user, "view").filter(pk__in=v["results"]))
        if len(results) != len(set(v["results"])):
            errors["results"] = [_("Unknown result id.")]
        deal = None
        if v["deal"] is not None:
            deal = Deal.objects.restrict(user, "view").counted().filter(pk=v["deal"]).first()
            if deal is None:
                errors["deal"] = [_("Unknown deal id.")]
        if errors:
            return Response(errors, status=status.HTTP_400_BAD_REQUEST)
        lines = [
            BudgetLineInput(
                category=b["category"], description=b["description"], amount_cny=b["amount_cny"]
            )
            for b in v["budget_lines"]
        ]
        application = service_call(
            application_create,
            programme=programme,
            applicant=applicant,
            project_title_zh=v["project_title_zh"],
            project_title_en=v["project_title_en"],
            description=v["description"],
            requested_cny=v["requested_cny"],
            partners=partners,
            results=results,
            deal=deal,
            budget_lines=lines,
            actor=user,
        )
        return Response(self._data(application), status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: ApplicationSerializer}, filters=False)
    @action(detail=True, methods=["post"], pagination_class=None, filter_backends=[])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        """Submit a draft: the programme's eligibility check runs (a failed check makes it ineligible)."""
        application = self.get_object_from(applications_visible(request.user))
        return Response(
            self._data(
                service_call(application_submit, application=application, actor=request.user)
            )
        )

    @extend_schema(request=None, responses={200: ApplicationSerializer}, filters=False)
    @action(detail=True, methods=["post"], pagination_class=None, filter_backends=[])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        """Withdraw an application before the decision."""
        application = self.get_object_from(applications_visible(request.user))
        return Response(
            self._data(
                service_call(application_withdraw, application=application, actor=request.user)
            )
        )


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
