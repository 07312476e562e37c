"""API resource for evaluation rounds and their outcome (``/api/v1/evaluations/``).

Reads go through ``rounds_visible``: TTO staff see every round, an inventor the finalised rounds
of their organisation's results, anyone else none. Reviewer identities are only given to those who
run the round (``manage``: the TTO); everyone else sees the reviews numbered, never named (the
report's rule), and in a blind round nobody else learns who scored."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from opentto.core.rest import FilterParam, RestrictedViewSet
from opentto.results.serializers import ResultRefSerializer

from .models import (
    ReviewAssignment,
    ReviewAssignmentStatusChoices,
    ReviewPurposeChoices,
    ReviewRoundStatusChoices,
    TransferModeChoices,
)
from .selectors import rounds_managed, rounds_visible


class ReviewerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ReviewSerializer(serializers.Serializer):
    label = serializers.CharField(help_text="Reviewer 1, 2, … in the order they were invited.")
    reviewer = ReviewerSerializer(
        allow_null=True, help_text="For those who run the round (the TTO); null for everyone else."
    )
    status = serializers.ChoiceField(choices=ReviewAssignmentStatusChoices.choices)
    submitted_at = serializers.DateTimeField(allow_null=True)


class EvaluationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    result = ResultRefSerializer()
    rubric = serializers.SerializerMethodField(help_text="The rubric's key and version.")
    purpose = serializers.ChoiceField(choices=ReviewPurposeChoices.choices)
    status = serializers.ChoiceField(choices=ReviewRoundStatusChoices.choices)
    is_blind = serializers.BooleanField()
    deadline = serializers.DateField()
    opened_at = serializers.DateTimeField()
    finalised_at = serializers.DateTimeField(allow_null=True)
    recommendation = serializers.CharField(
        help_text="proceed, improve or decline (empty until finalised)."
    )
    transfer_modes = serializers.ListField(
        child=serializers.ChoiceField(choices=TransferModeChoices.choices)
    )
    overall_score = serializers.DecimalField(
        max_digits=5, decimal_places=1, allow_null=True, coerce_to_string=True
    )
    trl_assessed = serializers.IntegerField(allow_null=True)
    strengths_zh = serializers.CharField()
    strengths_en = serializers.CharField()
    risks_zh = serializers.CharField()
    risks_en = serializers.CharField()
    conditions_zh = serializers.CharField()
    conditions_en = serializers.CharField()
    reviews = serializers.SerializerMethodField()

    @extend_schema_field(
        {
            "type": "object",
            "properties": {"key": {"type": "string"}, "version": {"type": "integer"}},
            "required": ["key", "version"],
        }
    )
    def get_rubric(self, obj: Any) -> dict[str, Any]:
        return {"key": obj.rubric.key, "version": obj.rubric.version}

    @extend_schema_field(ReviewSerializer(many=True))
    def get_reviews(self, obj: Any) -> list[dict[str, Any]]:
        managed = self.context.get("managed")
        staff = managed is not None and obj.pk in managed
        rows = []
        shown = [
            a
            for a in obj.assignments.all()
            if staff or a.status != ReviewAssignmentStatusChoices.REMOVED
        ]
        for i, a in enumerate(shown, start=1):
            reviewer = (
                {"id": a.reviewer_id, "name": a.reviewer.get_full_name() or a.reviewer.username}
                if staff
                else None
            )
            rows.append(
                {
                    "label": f"Reviewer {i}",
                    "reviewer": reviewer,
                    "status": a.status,
                    "submitted_at": a.submitted_at,
                }
            )
        return ReviewSerializer(rows, many=True).data


class EvaluationViewSet(RestrictedViewSet):
    """Evaluation rounds the caller may see, with their outcome once finalised."""

    serializer_class = EvaluationSerializer
    ordering_fields = ["id", "opened_at", "deadline", "finalised_at"]
    filter_params = (
        FilterParam("status", "Status of the round.", tuple(ReviewRoundStatusChoices.values)),
        FilterParam("purpose", "Purpose.", tuple(ReviewPurposeChoices.values)),
        FilterParam("result", "Result id.", kind=int),
    )

    def visible(self, user: Any) -> QuerySet[Any]:
        assignments = ReviewAssignment.objects.select_related("reviewer").order_by(
            "invited_at", "id"
        )
        return rounds_visible(user).prefetch_related(Prefetch("assignments", queryset=assignments))

    def apply_filters(self, queryset: QuerySet[Any], params: dict[str, Any]) -> QuerySet[Any]:
        if "result" in params:
            params["result_id"] = params.pop("result")
        return queryset.filter(**params)

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        request = context.get("request")
        user = getattr(request, "user", None)
        context["managed"] = _LazyIds(
            lambda: set(rounds_managed(user).values_list("pk", flat=True))
        )
        return context


class _LazyIds:
    """The ids of a queryset, read on the first membership test."""

    def __init__(self, load: Any) -> None:
        self._load, self._ids = load, None

    def __contains__(self, pk: object) -> bool:
        if self._ids is None:
            self._ids = self._load()
        return pk in self._ids  # type: ignore[operator]


ROUTES = [("evaluations", EvaluationViewSet, "evaluation")]
