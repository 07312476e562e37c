"""API resource for the payments received on deals (``/api/v1/payments/``).

Reads go through ``payments_visible`` (``Payment.objects.restrict(user, "view")``: the payments of
the deals the caller may see); recording a payment goes through ``payment_record``, which asks the
same grant as the deal page (``record_payment`` on the deal). A repeat of a request with the same
``Idempotency-Key`` gets the first answer (``opentto.core.rest``); a second, identical payment sent
with a new key is refused unless ``confirm_duplicate`` is true."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from opentto.core.rest import FilterParam, RestrictedViewSet, service_call

from .models import Deal, Payment
from .selectors import payments_visible
from .services import payment_record


class PaymentSerializer(serializers.ModelSerializer):
    amount_cny = serializers.DecimalField(
        max_digits=16, decimal_places=2, coerce_to_string=True, read_only=True
    )
    deal = serializers.SerializerMethodField()
    schedule_item = serializers.SerializerMethodField()
    royalty_report = serializers.SerializerMethodField()

    class Meta:
        model = Payment
        fields = [
            "id",
            "deal",
            "received_on",
            "amount_cny",
            "note",
            "schedule_item",
            "royalty_report",
            "recorded_at",
        ]
        read_only_fields = fields

    def get_deal(self, obj: Payment) -> int:
        return obj.deal_id

    def get_schedule_item(self, obj: Payment) -> int | None:
        return obj.schedule_item_id

    def get_royalty_report(self, obj: Payment) -> int | None:
        return obj.royalty_report_id


class PaymentCreateSerializer(serializers.Serializer):
    """Record a payment received (``payment_record``): those who may record payments on the deal, on signed deals."""

    deal = serializers.IntegerField(min_value=1, max_value=2**62)
    received_on = serializers.DateField()
    amount_cny = serializers.DecimalField(
        max_digits=16, decimal_places=2, min_value=0, help_text="Decimal yuan, two places."
    )
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    confirm_duplicate = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Record it even though an identical payment (same deal, date, amount and note) is recorded: without it, such a "
        "payment is refused with an error on this field. A repeat of one request is answered by the Idempotency-Key instead.",
    )


class PaymentViewSet(RestrictedViewSet):
    """Payments received on the deals the caller may see."""

    serializer_class = PaymentSerializer
    ordering_fields = ["id", "received_on", "recorded_at"]
    filter_params = (FilterParam("deal", "Deal id.", kind=int),)
    http_method_names = ["get", "post", "head", "options"]
    write_permission = ("landing.deal", "record_payment")  # payment_record asks it on the deal
    write_refused = gettext_lazy("Only TTO managers record payments.")

    def visible(self, user: Any) -> QuerySet[Any]:
        return payments_visible(user)

    def apply_filters(self, queryset: QuerySet[Any], params: dict[str, Any]) -> QuerySet[Any]:
        if "deal" in params:
            params["deal_id"] = params.pop("deal")
        return queryset.filter(**params)

    def get_serializer_class(self) -> Any:
        return PaymentCreateSerializer if self.action == "create" else PaymentSerializer

    @extend_schema(request=PaymentCreateSerializer, responses={201: PaymentSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = PaymentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        deal = Deal.objects.restrict(request.user, "view").filter(pk=v["deal"]).first()
        if deal is None:
            return Response({"deal": [_("Unknown deal id.")]}, status=status.HTTP_400_BAD_REQUEST)
        payment = service_call(
            payment_record,
            deal=deal,
            received_on=v["received_on"],
            amount_cny=v["amount_cny"],
            note=v["note"],
            actor=request.user,
            confirm_duplicate=v["confirm_duplicate"],
        )
        return Response(PaymentSerializer(payment).data, status=status.HTTP_201_CREATED)


ROUTES = [("payments", PaymentViewSet, "payment")]
