from typing import Any

from django.apps import AppConfig

#: Names of the enums in the OpenAPI schema for the choices the app resources use (the settings'
#: ``ENUM_NAME_OVERRIDES`` name the core ones); several fields called ``status`` would otherwise
#: get generated names.
APP_ENUM_NAMES = {
    "DemandStatusEnum": "opentto.demands.models.DemandStatusChoices",
    "DemandCooperationEnum": "opentto.demands.models.DemandCooperationChoices",
    "MatchStatusEnum": "opentto.demands.models.MatchStatusChoices",
    "MatchSourceEnum": "opentto.demands.models.MatchSourceChoices",
    "ReviewRoundStatusEnum": "opentto.evaluation.models.ReviewRoundStatusChoices",
    "ReviewPurposeEnum": "opentto.evaluation.models.ReviewPurposeChoices",
    "ReviewAssignmentStatusEnum": "opentto.evaluation.models.ReviewAssignmentStatusChoices",
    "TransferModeEnum": "opentto.planning.models.TransferModeChoices",
    "TransferPlanStatusEnum": "opentto.planning.models.TransferPlanStatusChoices",
    "PlanTargetStatusEnum": "opentto.planning.models.PlanTargetStatusChoices",
    "LicenceTypeEnum": "opentto.planning.models.LicenceTypeChoices",
    "SubsidyApplicationStatusEnum": "opentto.subsidies.models.ApplicationStatusChoices",
    "SubsidyProgrammeKindEnum": "opentto.subsidies.models.ProgrammeKindChoices",
}


class ApiConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "opentto.api"
    label = "api"

    def ready(self) -> None:
        from django.conf import settings

        spectacular: dict[str, Any] = settings.SPECTACULAR_SETTINGS
        overrides = spectacular.setdefault("ENUM_NAME_OVERRIDES", {})
        for name, path in APP_ENUM_NAMES.items():
            overrides.setdefault(name, path)

        from . import permissions  # noqa: F401  (registers its object types and default grants)
