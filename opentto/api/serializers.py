"""Serializers: read shapes for each resource, and input shapes that feed the services."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from opentto.landing.models import (
    ContractKindChoices,
    ContractObjectChoices,
    ContractRegistration,
    Deal,
    deal_registration_flags,
    deal_relief_unregistered,
    registration_of,
)
from opentto.organisations.models import (
    Membership,
    MembershipRoleChoices,
    Organisation,
    OrganisationKindChoices,
    Person,
)
from opentto.organisations.serializers import OrganisationRefSerializer
from opentto.results.models import (
    IPAsset,
    IPAssetKindChoices,
    IPAssetStatusChoices,
    Result,
    ResultFieldChoices,
    ResultInventor,
    ResultKindChoices,
)


class PersonRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Person
        fields = ["id", "name_zh", "name_en"]


class ResultSummarySerializer(serializers.ModelSerializer):
    """What anyone who may see a result sees: its public summary."""

    confidential = serializers.SerializerMethodField(
        help_text="The result as a whole is confidential (not public)."
    )
    owners = serializers.SerializerMethodField()

    class Meta:
        model = Result
        fields = [
            "id",
            "title_zh",
            "title_en",
            "stage",
            "confidential",
            "kind",
            "field",
            "trl",
            "abstract_zh",
            "abstract_en",
            "advantages_zh",
            "advantages_en",
            "applications_zh",
            "applications_en",
            "keywords_zh",
            "keywords_en",
            "owners",
            "onboarded_at",
            "stage_changed_at",
        ]
        read_only_fields = fields

    def get_confidential(self, obj: Result) -> bool:
        return not obj.is_public

    @extend_schema_field(OrganisationRefSerializer(many=True))
    def get_owners(self, obj: Result) -> list[dict[str, Any]]:
        # The shape of OrganisationRefSerializer, built directly: a serializer per owner per row
        # built its fields each time (a third of a list response's time).
        return [
            {
                "id": o.organisation.pk,
                "name_zh": o.organisation.name_zh,
                "name_en": o.organisation.name_en,
            }
            for o in obj.ownerships.all()
        ]


class IPAssetSerializer(serializers.ModelSerializer):
    class Meta:
        model = IPAsset
        fields = [
            "id",
            "result",
            "jurisdiction",
            "ip_kind",
            "application_number",
            "filing_date",
            "publication_number",
            "grant_number",
            "grant_date",
            "status",
        ]
        read_only_fields = fields


class InventorshipSerializer(serializers.Serializer):
    person = PersonRefSerializer()
    share = serializers.DecimalField(max_digits=5, decimal_places=2)


class ResultDetailSerializer(ResultSummarySerializer):
    """One result; ``details_zh``/``details_en`` are null unless the caller may read them. Its
    inventors and IP assets as far as the caller may see them (the result page's rules: inventors
    for signed-in callers, who may see the people directory)."""

    inventors = serializers.SerializerMethodField()
    ip_assets = serializers.SerializerMethodField()
    details_zh = serializers.SerializerMethodField()
    details_en = serializers.SerializerMethodField()

    class Meta(ResultSummarySerializer.Meta):
        fields = [
            *ResultSummarySerializer.Meta.fields,
            "inventors",
            "ip_assets",
            "details_zh",
            "details_en",
        ]
        read_only_fields = fields

    def _user(self) -> Any:
        request = self.context.get("request")
        return getattr(request, "user", None)

    @extend_schema_field(InventorshipSerializer(many=True))
    def get_inventors(self, obj: Result) -> list[dict[str, Any]]:
        rows = (
            ResultInventor.objects.restrict(self._user(), "view")
            .filter(result=obj)
            .select_related("person")
        )
        return [InventorshipSerializer(i).data for i in rows]

    @extend_schema_field(IPAssetSerializer(many=True))
    def get_ip_assets(self, obj: Result) -> list[dict[str, Any]]:
        rows = IPAsset.objects.restrict(self._user(), "view").filter(result=obj)
        return list(IPAssetSerializer(rows, many=True).data)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_details_zh(self, obj: Result) -> str | None:
        return obj.details_zh if self.context.get("show_details") else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_details_en(self, obj: Result) -> str | None:
        return obj.details_en if self.context.get("show_details") else None


class InventorInputSerializer(serializers.Serializer):
    person = serializers.IntegerField(min_value=1, max_value=2**62)
    share = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=Decimal("0.01"), max_value=Decimal("100")
    )


class IPAssetInputSerializer(serializers.Serializer):
    application_number = serializers.CharField(max_length=40)
    ip_kind = serializers.ChoiceField(
        choices=IPAssetKindChoices.choices, default=IPAssetKindChoices.INVENTION
    )
    jurisdiction = serializers.CharField(max_length=4, default="CN")
    filing_date = serializers.DateField(required=False, allow_null=True)
    publication_number = serializers.CharField(
        max_length=40, required=False, allow_blank=True, default=""
    )
    grant_number = serializers.CharField(
        max_length=40, required=False, allow_blank=True, default=""
    )
    grant_date = serializers.DateField(required=False, allow_null=True)
    status = serializers.ChoiceField(
        choices=IPAssetStatusChoices.choices, default=IPAssetStatusChoices.FILED
    )


def _text(max_length: int | None = None) -> serializers.CharField:
    return serializers.CharField(
        required=False, allow_blank=True, default="", max_length=max_length
    )


class ResultCreateSerializer(serializers.Serializer):
    """Onboard a result (``result_onboard``): the same validation as the form."""

    title_zh = _text(300)
    title_en = _text(300)
    abstract_zh = _text()
    abstract_en = _text()
    advantages_zh = _text()
    advantages_en = _text()
    applications_zh = _text()
    applications_en = _text()
    details_zh = _text()
    details_en = _text()
    kind = serializers.ChoiceField(choices=ResultKindChoices.choices)
    field = serializers.ChoiceField(choices=ResultFieldChoices.choices)
    trl = serializers.IntegerField(min_value=1, max_value=9)
    keywords_zh = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, default=list, max_length=30
    )
    keywords_en = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, default=list, max_length=30
    )
    is_public = serializers.BooleanField(default=False)
    owners = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**62), min_length=1, max_length=20
    )
    inventors = InventorInputSerializer(many=True)
    ip_assets = IPAssetInputSerializer(many=True, required=False, default=list)
    confirm_duplicates = serializers.BooleanField(
        default=False, help_text="Onboard even if a nearly identical title exists."
    )


class OrganisationSerializer(serializers.ModelSerializer):
    result_count = serializers.IntegerField(
        read_only=True, help_text="Results the caller may see that it owns."
    )

    class Meta:
        model = Organisation
        fields = [
            "id",
            "name_zh",
            "name_en",
            "kind",
            "credit_code",
            "city_zh",
            "city_en",
            "description_zh",
            "description_en",
            "result_count",
        ]
        read_only_fields = fields


class OrganisationCreateSerializer(serializers.Serializer):
    name_zh = _text(200)
    name_en = _text(200)
    kind = serializers.ChoiceField(choices=OrganisationKindChoices.choices)
    credit_code = _text(18)
    city_zh = _text(100)
    city_en = _text(100)
    description_zh = _text()
    description_en = _text()


class MembershipSerializer(serializers.ModelSerializer):
    organisation = OrganisationRefSerializer()

    class Meta:
        model = Membership
        fields = ["organisation", "role", "position_zh", "position_en"]


class PersonSerializer(serializers.ModelSerializer):
    memberships = MembershipSerializer(many=True, read_only=True)
    result_count = serializers.IntegerField(
        read_only=True, help_text="Results the caller may see that name this person."
    )

    class Meta:
        model = Person
        fields = ["id", "name_zh", "name_en", "memberships", "result_count"]
        read_only_fields = fields


class MembershipInputSerializer(serializers.Serializer):
    organisation = serializers.IntegerField(min_value=1, max_value=2**62)
    role = serializers.ChoiceField(
        choices=MembershipRoleChoices.choices, default=MembershipRoleChoices.RESEARCHER
    )
    position_zh = _text(100)
    position_en = _text(100)


class PersonCreateSerializer(serializers.Serializer):
    name_zh = _text(100)
    name_en = _text(100)
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    memberships = MembershipInputSerializer(many=True, required=False, default=list)


class ContractRegistrationSerializer(serializers.ModelSerializer):
    technology_income_cny = serializers.DecimalField(
        max_digits=16,
        decimal_places=2,
        coerce_to_string=True,
        read_only=True,
        allow_null=True,
        help_text="The technology-related income (技术性收入) the registration office set; decimal yuan.",
    )

    class Meta:
        model = ContractRegistration
        fields = [
            "status",
            "number",
            "applied_on",
            "registered_on",
            "office",
            "technology_income_cny",
        ]
        read_only_fields = fields


class DealSerializer(serializers.ModelSerializer):
    counterparty = OrganisationRefSerializer(read_only=True)
    results = serializers.SerializerMethodField(help_text="The covered results the caller may see.")
    amount_cny = serializers.DecimalField(
        max_digits=16, decimal_places=2, coerce_to_string=True, read_only=True
    )
    # "" until the TTO classifies the contract (DRF drops allow_blank from read-only model fields,
    # so the schema would not admit the empty value)
    contract_kind = serializers.ChoiceField(
        choices=ContractKindChoices.choices, allow_blank=True, read_only=True
    )
    contract_object = serializers.ChoiceField(
        choices=ContractObjectChoices.choices, allow_blank=True, read_only=True
    )
    registration = serializers.SerializerMethodField(
        help_text="The technology-contract registration; null when not applied."
    )
    relief_unregistered = serializers.SerializerMethodField(
        help_text="True when the deal claims the VAT exemption or the income-tax relief without a registered contract."
    )
    registration_flags = serializers.SerializerMethodField(
        help_text="What is wrong with the classification, registration and reliefs."
    )

    class Meta:
        model = Deal
        fields = [
            "id",
            "title",
            "deal_type",
            "status",
            "amount_cny",
            "signed_on",
            "terminated_on",
            "counterparty",
            "results",
            "contract_kind",
            "contract_object",
            "bundled_support_services",
            "claims_vat_exemption",
            "claims_income_tax_relief",
            "registration",
            "relief_unregistered",
            "registration_flags",
        ]
        read_only_fields = fields

    @extend_schema_field(ContractRegistrationSerializer(allow_null=True))
    def get_registration(self, obj: Deal) -> dict[str, Any] | None:
        # prefetched by the view through ContractRegistration.objects.restrict(user, "view")
        registration = registration_of(obj)
        return None if registration is None else ContractRegistrationSerializer(registration).data

    def get_relief_unregistered(self, obj: Deal) -> bool:
        return deal_relief_unregistered(obj)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_registration_flags(self, obj: Deal) -> list[str]:
        return deal_registration_flags(obj)

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_results(self, obj: Deal) -> list[int]:
        # ``results`` is prefetched through Result.objects.restrict(user, "view") by the view.
        return sorted(r.pk for r in obj.results.all())


class FigureRowSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    results_incubated = serializers.IntegerField()
    projects_landed = serializers.IntegerField()
    transaction_value_cny = serializers.CharField(help_text="Decimal yuan, two places.")


class HeadlineCountSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    value_cny = serializers.CharField(
        required=False, help_text="Decimal yuan, two places (money figures only)."
    )


class HeadlinePairSerializer(serializers.Serializer):
    year = HeadlineCountSerializer()
    all_time = HeadlineCountSerializer()


class HeadlineSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    figures = serializers.DictField(
        child=HeadlinePairSerializer(), help_text="By figure key (docs/figures.md)."
    )


class FiguresSerializer(serializers.Serializer):
    results_incubated = serializers.IntegerField()
    projects_landed = serializers.IntegerField()
    transaction_value_cny = serializers.CharField(help_text="Decimal yuan, two places.")
    funnel = serializers.DictField(child=serializers.IntegerField())
    by_organisation = FigureRowSerializer(many=True)
    by_field = FigureRowSerializer(many=True)
    by_year = FigureRowSerializer(many=True)
    year = serializers.IntegerField(
        allow_null=True, help_text="The year the tables are for (null: all time)."
    )
    headline = HeadlineSerializer(
        help_text="The headline figures of the year (this year when none is given) beside all time."
    )


class DemandFitSerializer(serializers.Serializer):
    demand = serializers.SerializerMethodField()
    score = serializers.FloatField()
    rank = serializers.IntegerField(
        help_text="The result's rank among the best results for that demand."
    )

    @extend_schema_field(
        {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "title_zh": {"type": "string"},
                "title_en": {"type": "string"},
                "organisation": {"type": "integer"},
                "status": {"type": "string"},
            },
            "required": ["id", "title_zh", "title_en", "organisation", "status"],
        }
    )
    def get_demand(self, obj: dict[str, Any]) -> dict[str, Any]:
        d = obj["demand"]
        return {
            "id": d.pk,
            "title_zh": d.title_zh,
            "title_en": d.title_en,
            "organisation": d.organisation_id,
            "status": d.status,
        }


class ResultDemandsSerializer(serializers.Serializer):
    demands = DemandFitSerializer(
        many=True, help_text="Live demands the caller may see that fit the result."
    )
    matches = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Ids of the matches on this result the caller may see.",
    )
