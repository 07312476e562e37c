"""API resource for transfer plans with their modes and terms (``/api/v1/plans/``).

Reads go through ``planning_results`` (the selector of every planning page): TTO staff see every
plan, an inventor the plans of the results whose confidential details they may read, anyone else
none. The terms (fees, prices, valuations) are the plan's: whoever may see the plan sees them."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from rest_framework import serializers

from opentto.api.base import FilterParam, RestrictedViewSet
from opentto.api.serializers import OrganisationRefSerializer, ResultRefSerializer

from .models import (
    LicenceTypeChoices,
    PlanTarget,
    TransferModeChoices,
    TransferOption,
    TransferPlan,
    TransferPlanStatusChoices,
)
from .selectors import planning_results

MONEY = {"max_digits": 16, "decimal_places": 2, "coerce_to_string": True, "allow_null": True, "read_only": True}


class TransferOptionSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    upfront_fee_cny = serializers.DecimalField(**MONEY)
    minimum_annual_royalty_cny = serializers.DecimalField(**MONEY)
    price_cny = serializers.DecimalField(**MONEY)
    valuation_cny = serializers.DecimalField(**MONEY)
    registered_capital_cny = serializers.DecimalField(**MONEY)
    budget_cny = serializers.DecimalField(**MONEY)
    royalty_rate = serializers.DecimalField(max_digits=7, decimal_places=6, coerce_to_string=True, allow_null=True, read_only=True)
    equity_share_percent = serializers.DecimalField(max_digits=5, decimal_places=2, coerce_to_string=True, allow_null=True, read_only=True)
    licence_type = serializers.ChoiceField(choices=LicenceTypeChoices.choices, allow_blank=True, read_only=True)

    class Meta:
        model = TransferOption
        fields = [
            "id", "mode", "licence_type", "field_of_use", "territory", "term_years", "upfront_fee_cny", "royalty_rate",
            "minimum_annual_royalty_cny", "milestones", "price_cny", "payment_schedule", "valuation_cny",
            "equity_share_percent", "vesting", "company_name", "founders", "registered_capital_cny", "formation_plan",
            "partner_scope", "budget_cny", "duration_months", "ip_ownership", "notes",
        ]
        read_only_fields = fields


class PlanTargetSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    organisation = OrganisationRefSerializer(read_only=True)

    class Meta:
        model = PlanTarget
        fields = ["organisation", "status", "rationale"]
        read_only_fields = fields


class PlanSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    result = ResultRefSerializer(read_only=True)
    options = TransferOptionSerializer(many=True, read_only=True)
    targets = PlanTargetSerializer(many=True, read_only=True)
    transfer_mode = serializers.ChoiceField(choices=TransferModeChoices.choices, allow_blank=True, read_only=True)

    class Meta:
        model = TransferPlan
        fields = [
            "id", "result", "transfer_mode", "status", "summary_zh", "summary_en", "decision_note",
            "created_at", "submitted_at", "approved_at", "options", "targets",
        ]
        read_only_fields = fields


class PlanViewSet(RestrictedViewSet):
    """Transfer plans of the results whose planning the caller may read."""

    serializer_class = PlanSerializer
    ordering_fields = ["id", "created_at", "submitted_at", "approved_at"]
    filter_params = (
        FilterParam("status", "Status.", tuple(TransferPlanStatusChoices.values)),
        FilterParam("transfer_mode", "Recommended transfer mode.", tuple(TransferModeChoices.values)),
        FilterParam("result", "Result id.", kind=int),
    )

    def visible(self, user: Any) -> QuerySet[Any]:
        return (
            TransferPlan.objects.filter(result__in=planning_results(user).values("pk"))
            .select_related("result")
            .prefetch_related("options", Prefetch("targets", queryset=PlanTarget.objects.select_related("organisation")))
        )

    def apply_filters(self, queryset: QuerySet[Any], params: dict[str, Any]) -> QuerySet[Any]:
        if "result" in params:
            params["result_id"] = params.pop("result")
        return queryset.filter(**params)


ROUTES = [("plans", PlanViewSet, "plan")]
