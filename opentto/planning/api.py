"""API resource for transfer plans with their modes and terms (``/api/v1/plans/``).

Reads go through ``plans_visible`` (the grants on ``planning.transferplan`` and its parts): TTO
staff see every plan, an inventor the plans of the results whose confidential details they may
read, anyone else none. The terms (fees, prices, valuations) are the options': whoever may see the
plan sees them (with the default grants).

Writes need a grant (``write_permission``, asked before the body is read) and go through the
services, which ask the same rule of the row: a draft plan
(``plan_create``), its options with their terms (``plan_option_add``) and its workflow — submit,
approve (four-eyes), reject, revise (``plan_submit``, ``plan_decide_approve``, ``plan_reject``,
``plan_revise``)."""

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
from opentto.organisations.serializers import OrganisationRefSerializer
from opentto.results.models import Result
from opentto.results.serializers import ResultRefSerializer

from .models import (
    LicenceTypeChoices,
    PlanTarget,
    TransferModeChoices,
    TransferOption,
    TransferPlan,
    TransferPlanStatusChoices,
)
from .selectors import plans_visible
from .services import (
    plan_create,
    plan_decide_approve,
    plan_option_add,
    plan_reject,
    plan_revise,
    plan_submit,
)

MONEY = {
    "max_digits": 16,
    "decimal_places": 2,
    "coerce_to_string": True,
    "allow_null": True,
    "read_only": True,
}


class TransferOptionSerializer(serializers.ModelSerializer):
    upfront_fee_cny = serializers.DecimalField(**MONEY)
    minimum_annual_royalty_cny = serializers.DecimalField(**MONEY)
    price_cny = serializers.DecimalField(**MONEY)
    valuation_cny = serializers.DecimalField(**MONEY)
    registered_capital_cny = serializers.DecimalField(**MONEY)
    budget_cny = serializers.DecimalField(**MONEY)
    royalty_rate = serializers.DecimalField(
        max_digits=7, decimal_places=6, coerce_to_string=True, allow_null=True, read_only=True
    )
    equity_share_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, coerce_to_string=True, allow_null=True, read_only=True
    )
    licence_type = serializers.ChoiceField(
        choices=LicenceTypeChoices.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = TransferOption
        fields = [
            "id",
            "mode",
            "licence_type",
            "field_of_use",
            "territory",
            "term_years",
            "upfront_fee_cny",
            "royalty_rate",
            "minimum_annual_royalty_cny",
            "milestones",
            "price_cny",
            "payment_schedule",
            "valuation_cny",
            "equity_share_percent",
            "vesting",
            "company_name",
            "founders",
            "registered_capital_cny",
            "formation_plan",
            "partner_scope",
            "budget_cny",
            "duration_months",
            "ip_ownership",
            "notes",
        ]
        read_only_fields = fields


class PlanTargetSerializer(serializers.ModelSerializer):
    organisation = OrganisationRefSerializer(read_only=True)

    class Meta:
        model = PlanTarget
        fields = ["organisation", "status", "rationale"]
        read_only_fields = fields


class PlanSerializer(serializers.ModelSerializer):
    result = ResultRefSerializer(read_only=True)
    options = TransferOptionSerializer(many=True, read_only=True)
    targets = PlanTargetSerializer(many=True, read_only=True)
    transfer_mode = serializers.ChoiceField(
        choices=TransferModeChoices.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = TransferPlan
        fields = [
            "id",
            "result",
            "transfer_mode",
            "status",
            "summary_zh",
            "summary_en",
            "decision_note",
            "created_at",
            "submitted_at",
            "approved_at",
            "options",
            "targets",
        ]
        read_only_fields = fields


class PlanCreateSerializer(serializers.Serializer):
    """A draft plan for a result in planning or landing (``plan_create``): TTO managers."""

    result = serializers.IntegerField(min_value=1, max_value=2**62)
    transfer_mode = serializers.ChoiceField(
        choices=TransferModeChoices.choices, required=False, allow_blank=True, default=""
    )
    summary_zh = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=20000
    )
    summary_en = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=20000
    )


class MilestoneTermSerializer(serializers.Serializer):
    event = serializers.CharField(max_length=300, allow_blank=True)
    amount_cny = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)


class PaymentTermSerializer(serializers.Serializer):
    due = serializers.DateField()
    amount_cny = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)


def _text(max_length: int | None = None) -> Any:
    return serializers.CharField(
        required=False, allow_blank=True, default="", max_length=max_length or 20000
    )


def _money(**kw: Any) -> Any:
    return serializers.DecimalField(
        max_digits=16, decimal_places=2, required=False, allow_null=True, default=None, **kw
    )


class PlanOptionSerializer(serializers.Serializer):
    """A transfer option with its terms (``plan_option_add``), validated as in the workspace: the
    terms each mode requires, rates as fractions, amounts in yuan with two decimals."""

    mode = serializers.ChoiceField(choices=TransferModeChoices.choices)
    licence_type = serializers.ChoiceField(
        choices=LicenceTypeChoices.choices, required=False, allow_blank=True, default=""
    )
    field_of_use = _text(300)
    territory = _text(200)
    term_years = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1, max_value=1200
    )
    upfront_fee_cny = _money()
    royalty_rate = serializers.DecimalField(
        max_digits=7, decimal_places=6, required=False, allow_null=True, default=None
    )
    minimum_annual_royalty_cny = _money()
    milestones = MilestoneTermSerializer(many=True, required=False, default=list, max_length=50)
    price_cny = _money()
    payment_schedule = PaymentTermSerializer(many=True, required=False, default=list, max_length=50)
    valuation_cny = _money()
    equity_share_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, required=False, allow_null=True, default=None
    )
    vesting = _text(300)
    company_name = _text(200)
    founders = _text(300)
    registered_capital_cny = _money()
    formation_plan = _text()
    partner_scope = _text()
    budget_cny = _money()
    duration_months = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1, max_value=1200
    )
    ip_ownership = _text(300)
    notes = _text()


#: What a plan may be moved to through the API (``superseded`` happens only on a newer approval).
PLAN_TARGETS = (
    TransferPlanStatusChoices.SUBMITTED,
    TransferPlanStatusChoices.APPROVED,
    TransferPlanStatusChoices.REJECTED,
    TransferPlanStatusChoices.DRAFT,
)


class PlanTransitionSerializer(serializers.Serializer):
    """Move a plan: submitted (a draft with its summary and the recommended mode's option), approved
    (by another manager or an admin under four-eyes approval), rejected (with the reason in
    ``note``), draft (revise a rejected plan)."""

    target = serializers.ChoiceField(choices=[(t.value, t.label) for t in PLAN_TARGETS])
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class PlanViewSet(RestrictedViewSet):
    """Transfer plans of the results whose planning the caller may read."""

    serializer_class = PlanSerializer
    ordering_fields = ["id", "created_at", "submitted_at", "approved_at"]
    filter_params = (
        FilterParam("status", "Status.", tuple(TransferPlanStatusChoices.values)),
        FilterParam(
            "transfer_mode", "Recommended transfer mode.", tuple(TransferModeChoices.values)
        ),
        FilterParam("result", "Result id.", kind=int),
    )
    http_method_names = ["get", "post", "head", "options"]
    #: A draft plan is added to a result the caller may plan for; options and moves change a plan
    #: (approving or rejecting needs ``decide`` too: the service asks it of the plan).
    write_permission = {
        "create": ("results.result", "plan"),
        "add_option": ("planning.transferplan", "change"),
        "transition": ("planning.transferplan", "change"),
    }
    write_refused = gettext_lazy("Only TTO managers do operations planning.")

    def visible(self, user: Any) -> QuerySet[Any]:
        return plans_visible(user).select_related("result")

    def apply_filters(self, queryset: QuerySet[Any], params: dict[str, Any]) -> QuerySet[Any]:
        if "result" in params:
            params["result_id"] = params.pop("result")
        return queryset.filter(**params)

    def get_serializer_class(self) -> Any:
        return {
            "create": PlanCreateSerializer,
            "add_option": PlanOptionSerializer,
            "transition": PlanTransitionSerializer,
        }.get(self.action or "", PlanSerializer)

    def _plan_data(self, plan: TransferPlan) -> Any:
        return PlanSerializer(self.visible(self.request.user).get(pk=plan.pk)).data

    @extend_schema(request=PlanCreateSerializer, responses={201: PlanSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """A draft plan for a result in planning or landing."""
        serializer = PlanCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        # A result the caller may not see is unknown (400); one they may see but not plan for, 403 (the service).
        result = Result.objects.restrict(request.user, "view").filter(pk=v["result"]).first()
        if result is None:
            return Response(
                {"result": [_("Unknown result id.")]}, status=status.HTTP_400_BAD_REQUEST
            )
        plan = service_call(
            plan_create,
            result=result,
            transfer_mode=v["transfer_mode"],
            summary_zh=v["summary_zh"],
            summary_en=v["summary_en"],
            actor=request.user,
        )
        return Response(self._plan_data(plan), status=status.HTTP_201_CREATED)

    @extend_schema(request=PlanOptionSerializer, responses={201: PlanSerializer}, filters=False)
    # Not named ``options``: that is the handler of the HTTP OPTIONS method on every plan URL.
    @action(
        detail=True,
        methods=["post"],
        pagination_class=None,
        filter_backends=[],
        url_path="options",
        url_name="options",
    )
    def add_option(self, request: Request, pk: str | None = None) -> Response:
        """Add a transfer option with its terms to a draft plan; answers the plan."""
        plan = self.get_object_from(self.visible(request.user))
        serializer = PlanOptionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        terms = dict(serializer.validated_data)
        mode = terms.pop("mode")
        terms["milestones"] = [dict(m) for m in terms["milestones"]]
        terms["payment_schedule"] = [dict(p) for p in terms["payment_schedule"]]
        service_call(plan_option_add, plan=plan, mode=mode, terms=terms, actor=request.user)
        return Response(self._plan_data(plan), status=status.HTTP_201_CREATED)

    @extend_schema(request=PlanTransitionSerializer, responses={200: PlanSerializer}, filters=False)
    @action(detail=True, methods=["post"], pagination_class=None, filter_backends=[])
    def transition(self, request: Request, pk: str | None = None) -> Response:
        """Move the plan to ``target``: 404 for a plan the caller may not see, 400 for a move the
        workflow (or the four-eyes rule) does not allow now."""
        plan = self.get_object_from(self.visible(request.user))
        serializer = PlanTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        target, note = serializer.validated_data["target"], serializer.validated_data["note"]
        if target == TransferPlanStatusChoices.SUBMITTED:
            service_call(plan_submit, plan=plan, actor=request.user)
        elif target == TransferPlanStatusChoices.APPROVED:
            service_call(plan_decide_approve, plan=plan, note=note, actor=request.user)
        elif target == TransferPlanStatusChoices.REJECTED:
            service_call(plan_reject, plan=plan, reason=note, actor=request.user)
        else:
            service_call(plan_revise, plan=plan, actor=request.user)
        return Response(self._plan_data(plan))


ROUTES = [("plans", PlanViewSet, "plan")]
